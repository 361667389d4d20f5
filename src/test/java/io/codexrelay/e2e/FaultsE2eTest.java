package io.codexrelay.e2e;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.RelayApp;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9's relay-side faults as the pinned Codex CLI sees them: what it prints, and whether it retried
 * ("Reconnecting... n/5" on stderr, or the requests the fake upstream got). See docs/design.md, "Faults the relay
 * answers".
 */
@Tag("e2e")
class FaultsE2eTest {
    private static final String KEY = "sk-faults-e2e-00000000000000000000";
    private static final Duration CODEX_TIMEOUT = Duration.ofSeconds(180);

    @TempDir Path tmp;

    private CodexCli codex;
    private FakeUpstream fake;
    private RelayApp app;
    private Path codexHome;

    @BeforeEach
    void start() throws Exception {
        codex = CodexCli.require();
        fake = new FakeUpstream();
        Path home = Files.createDirectories(tmp.resolve("relay"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        Files.writeString(home.resolve("config.toml"), """
                # test relay
                [server]
                port = %d

                [upstream]
                chatgpt_base_url = "%s"
                default_api_base_url = "%s"
                oauth_issuer = "%s"
                first_byte_timeout_ms = 400
                request_deadline_ms = 1000

                # These faults are the HTTP path's; Codex's default model would otherwise take the WebSocket
                # (the socket path's own answers are in CodexWebSocketThroughRelayE2eTest and SocketSessionTest).
                [websocket]
                enabled = false
                """.formatted(port, fake.chatgptBaseUrl(), fake.apiBaseUrl(), fake.issuerUrl()));
        RelayHome relayHome = new RelayHome(home);
        app = RelayApp.start(new RelayApp.Options(relayHome, Clock.systemUTC(), null));
        app.control().addApiKey(new ControlApi.NewApiKey("K", KEY, fake.apiBaseUrl(), 1, null));
        codexHome = CodexCli.prepareHome(tmp.resolve("codex-home"));
        Cli.Result on = new Cli(relayHome.dir()).run("codex", "on", "--no-start", "--codex-home", codexHome.toString());
        assertThat(on.exit()).as(on.toString()).isZero();
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) app.stop(Duration.ofSeconds(5));
        if (fake != null) fake.close();
    }

    @Test
    void anUpstreamCutMidStreamIsRetriedByCodexAndTheTurnSucceeds() throws Exception {
        fake.enqueue(KEY, FakeUpstream.truncated("partial answer"));
        fake.setDefault(FakeUpstream.success("Recovered after the cut."));

        var r = codex.exec(codexHome, tmp.resolve("work"), "say hello", CODEX_TIMEOUT);

        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("Recovered after the cut.");
        assertThat(fake.received("/responses")).as("Codex retried the cut turn once").hasSize(2);
        assertThat(r.stderr()).contains("Reconnecting... 1/5");
    }

    @Test
    void pauseIsPrintedAtOnceWithHowToResumeAndNotRetried() throws Exception {
        app.control().setPaused(true);

        var r = codex.exec(codexHome, tmp.resolve("work"), "say hello", CODEX_TIMEOUT);

        assertThat(r.ok()).as(r.toString()).isFalse();
        assertThat(r.stderr()).contains("codex-relay is paused").contains("codex-relay resume")
                .doesNotContain("Reconnecting");
        assertThat(fake.received("/responses")).isEmpty();
    }

    @Test
    void aRejectedKeyIsReportedAsTheKeyNotAUsageLimit() throws Exception {
        fake.setDefault(FakeUpstream.status(401, "{\"error\":{\"message\":\"Incorrect API key provided\","
                + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}"));

        var r = codex.exec(codexHome, tmp.resolve("work"), "say hello", CODEX_TIMEOUT);

        assertThat(r.ok()).as(r.toString()).isFalse();
        assertThat(r.stderr()).contains("401 Unauthorized").contains("API key of account K").contains("Replace the key")
                .doesNotContain("usage limit");
        assertThat(fake.received("/responses")).as("the rejected key is set aside after its first 401").hasSize(1);
        assertThat(app.control().status().accounts()).singleElement()
                .satisfies(a -> assertThat(a.state()).isEqualTo("key_rejected"));
    }

    @Test
    void hangingUpstreamsEndAtTheDeadlineWithTheAccountsNamedAndNoRetries() throws Exception {
        fake.setDefault(FakeUpstream.hang(3_000));

        var r = codex.exec(codexHome, tmp.resolve("work"), "say hello", CODEX_TIMEOUT);

        assertThat(r.ok()).as(r.toString()).isFalse();
        assertThat(r.stderr()).contains("upstream.request_deadline_ms").contains("Timed out: K")
                .doesNotContain("Reconnecting");
        assertThat(fake.received("/responses")).hasSize(1);
    }
}
