package io.codexrelay.e2e;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.RelayApp;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.CodexAuth;
import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real Codex CLI, pointed at an in-process relay by {@code codex-relay codex on}, served by the fake upstream
 * through two accounts: a ChatGPT login imported from a Codex {@code auth.json} (A) and an API key (B).
 */
@Tag("e2e")
class CodexThroughRelayE2eTest {
    private static final String KEY_B = "sk-account-b-e2e-0000000000000000";
    private static final Duration CODEX_TIMEOUT = Duration.ofSeconds(180);

    @TempDir Path tmp;

    private CodexCli codex;
    private FakeUpstream fake;
    private RelayApp app;
    private RelayHome relayHome;
    private Path codexHome;
    private String tokenA;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        codex = CodexCli.require();
        fake = new FakeUpstream();
        relayHome = new RelayHome(RelayHomes.pointedAt(tmp.resolve("relay"), fake));
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        // `codex on` reads the port from the relay's config, so it is fixed there (not chosen at start).
        Files.writeString(relayHome.configFile(), Files.readString(relayHome.configFile())
                + "\n[server]\nport = " + port + "\n\n[pool]\nrouting = \"priority\"\n"
                // These tests follow Codex over HTTP (the fake's HTTP replies, `received("/responses")`): without this
                // `codex on` lets Codex use WebSocket, which CodexWebSocketThroughRelayE2eTest covers.
                + "\n[websocket]\nenabled = false\n");
        cli = new Cli(relayHome.dir());
        app = RelayApp.start(new RelayApp.Options(relayHome, Clock.systemUTC(), null));

        // Account A: a ChatGPT login, imported the way users do it (from a Codex home's auth.json).
        Path loginHome = tmp.resolve("login-codex-home");
        tokenA = CodexAuth.writeChatGpt(loginHome, "a@example.com", "plus", "acct-a",
                CodexAuth.jwt("{\"exp\":4102444800,\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"acct-a\"}}"), "rt-a");
        ControlApi control = app.control();
        control.importCodex(loginHome, "A");
        control.updateAccount("A", new ControlApi.AccountChanges(1, null, null));
        // Account B: an API key for any OpenAI-compatible endpoint.
        control.addApiKey(new ControlApi.NewApiKey("B", KEY_B, fake.apiBaseUrl(), 2, null));

        codexHome = CodexCli.prepareHome(tmp.resolve("codex-home"));
        String out = codexRelay("codex", "on", "--no-start", "--codex-home", codexHome.toString());
        assertThat(out).contains("Codex now uses the relay at http://127.0.0.1:" + app.port() + "/v1");
        assertThat(codexRelay("codex", "status", "--codex-home", codexHome.toString()))
                .contains("Codex uses:      the relay").contains("Relay:           answering at http://127.0.0.1:" + app.port() + "/healthz");
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) app.stop(Duration.ofSeconds(5));
        if (fake != null) fake.close();
    }

    /** {@code codex-relay <args>} in-process (the real command line, against the test relay home). */
    private String codexRelay(String... args) {
        Cli.Result r = cli.run(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.all();
    }

    private String clientKey() throws Exception {
        return Files.readString(relayHome.clientKeyFile()).trim();
    }

    private void assertNoRequestCarriedTheClientKey() throws Exception {
        String key = clientKey();
        for (FakeUpstream.Received r : fake.received()) {
            assertThat(r.headers()).doesNotContainKey("x-relay-key");
            assertThat(r.headers().values()).noneMatch(v -> v.contains(key));
            assertThat(r.bodyText()).doesNotContain(key);
        }
    }

    @Test
    void codexExecPrintsTheAnswerServedWithTheAccountsCredentials() throws Exception {
        fake.setDefault(FakeUpstream.success("Hello through the relay."));
        var r = codex.exec(codexHome, tmp.resolve("work"), "say hello", CODEX_TIMEOUT);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("Hello through the relay.");

        var responses = fake.received("/responses");
        assertThat(responses).hasSize(1);
        var served = responses.get(0);
        assertThat(served.path()).isEqualTo("/backend-api/codex/responses");
        assertThat(served.token()).isEqualTo(tokenA);
        assertThat(served.header("chatgpt-account-id")).isEqualTo("acct-a");
        assertThat(served.header("originator")).isEqualTo("codex_exec");
        assertNoRequestCarriedTheClientKey();
    }

    @Test
    void whenAccountAIsOutOfQuotaTheSameExecIsServedByB() throws Exception {
        long resetsAt = java.time.Instant.now().getEpochSecond() + 3600;
        fake.enqueue(tokenA, FakeUpstream.usageLimit(resetsAt, "plus"));
        fake.setDefault(FakeUpstream.success("Served by the second account."));
        var r = codex.exec(codexHome, tmp.resolve("work"), "say hello", CODEX_TIMEOUT);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("Served by the second account.");

        var responses = fake.received("/responses");
        assertThat(responses).extracting(FakeUpstream.Received::token).containsExactly(tokenA, KEY_B);
        assertThat(responses.get(1).path()).isEqualTo("/v1/responses");
        assertThat(responses.get(1).body()).isEqualTo(responses.get(0).body());
        assertNoRequestCarriedTheClientKey();
    }

    @Test
    void eventsReachTheClientAsTheUpstreamSendsThem() throws Exception {
        // Each event must arrive before the fake even writes the next one (200 ms later): nothing buffers.
        // Only response.created may wait for the next event (the relay decides on failover before committing).
        fake.setDefault(FakeUpstream.stampedSuccess("Streamed.", 5, 200));
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/v1/responses"))
                .header("content-type", "application/json").header("accept", "text/event-stream")
                .header("x-relay-key", clientKey())
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5-codex\",\"stream\":true,\"input\":[]}")).build();
        HttpResponse<java.io.InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(resp.statusCode()).isEqualTo(200);
        List<long[]> events = new ArrayList<>(); // {sent_ns, received_ns}
        try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data:")) continue;
                long received = System.nanoTime();
                events.add(new long[] {FakeUpstream.sentNanos(line), received});
            }
        }
        assertThat(events).hasSize(9); // created, item added, 5 deltas, item done, completed
        assertThat(events.get(0)[1]).as("response.created is held back at most until the next event").isLessThan(events.get(2)[0]);
        for (int i = 1; i + 1 < events.size(); i++) {
            assertThat(events.get(i)[1]).as("event %d received before event %d was sent", i, i + 1).isLessThan(events.get(i + 1)[0]);
        }
    }

    @Test
    void codexFollowsASlowStreamToTheEnd() throws Exception {
        fake.setDefault(FakeUpstream.stampedSuccess("Slow but complete.", 4, 200));
        var r = codex.exec(codexHome, tmp.resolve("work"), "say hello slowly", CODEX_TIMEOUT);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("Slow but complete.");
    }

    @Test
    void onThenOffPurgeAroundRealRunsLeavesTheUsersConfigByteIdentical() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("users-codex-home"));
        String original = """
                # My Codex settings (hand-written; please keep the comments)
                check_for_update_on_startup = false   # no update check in tests
                model = "gpt-5-codex"
                approval_policy = "never"    # exec runs unattended
                model_provider = "azure"     # my usual provider

                [analytics]
                enabled = false

                # Tools ------------------------------------------------------------
                [mcp_servers.docs]
                command = "npx"
                args = ["-y", "@upstash/context7-mcp"]
                enabled = false              # only when I need it
                env = { "DEBUG" = "0" }

                # Providers --------------------------------------------------------
                [model_providers.azure]
                name = "Azure"
                base_url = "https://example.invalid/openai"
                env_key = "AZURE_OPENAI_API_KEY"
                query_params = { api-version = "2025-04-01-preview" }
                wire_api = "responses"

                [profiles.work]
                model = "o3"
                model_provider = "azure"

                [shell_environment_policy]
                inherit = "core"
                exclude = ["AWS_*", "AZURE_*"]
                """;
        Files.writeString(home.resolve("config.toml"), original);
        fake.setDefault(FakeUpstream.success("Your config still works."));

        codexRelay("codex", "on", "--no-start", "--codex-home", home.toString());
        var r = codex.exec(home, tmp.resolve("work"), "hello", CODEX_TIMEOUT);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("Your config still works.");

        String off = codexRelay("codex", "off", "--codex-home", home.toString());
        assertThat(off).contains("1 session recorded under provider 'codex-relay' will not show in `codex resume` while Codex points at 'azure'");
        codexRelay("codex", "off", "--purge", "--codex-home", home.toString());
        assertThat(Files.readString(home.resolve("config.toml"))).isEqualTo(original);
    }
}
