package io.codexrelay.e2e;

import io.codexrelay.account.Credentials;
import io.codexrelay.codex.CodexConfigPatch;
import io.codexrelay.codex.CodexDirectMode;
import io.codexrelay.codex.CodexHome;
import io.codexrelay.codex.CodexWiring;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.CodexAuth;
import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay-down path with the real Codex CLI: Codex was wired to a relay that is not running (so it would hang on
 * "Reconnecting..."), direct mode hands it one account, and {@code codex exec} then reaches the upstream with that
 * account's credentials and no relay at all.
 *
 * <p>The upstream is the fake: Codex's own {@code openai} provider is pointed at it by the top-level
 * {@code openai_base_url} key (honoured by the pinned 0.169.0), which stands for api.openai.com / chatgpt.com here and
 * is left untouched by direct mode.
 */
@Tag("e2e")
class CodexDirectModeE2eTest {
    private static final Duration CODEX_TIMEOUT = Duration.ofSeconds(180);
    @TempDir Path tmp;
    private FakeUpstream fake;

    @AfterEach
    void stop() throws Exception {
        if (fake != null) fake.close();
    }

    private CodexHome wiredToADeadRelay(FakeUpstream fake) throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) { deadPort = s.getLocalPort(); } // closed: no relay listens there
        Path dir = Files.createDirectories(tmp.resolve("codex-home"));
        Files.writeString(dir.resolve("config.toml"), "# written by the codex-relay test harness\n"
                + "check_for_update_on_startup = false\n"
                + "openai_base_url = \"" + fake.apiBaseUrl() + "\"\n\n[analytics]\nenabled = false\n");
        CodexHome home = new CodexHome(dir);
        new CodexWiring(new RelayHome(tmp.resolve("relay")), Clock.systemUTC())
                .on(home, new CodexConfigPatch.ProviderSpec("http://127.0.0.1:" + deadPort + "/v1", "crk_" + "a".repeat(48), 10_000));
        return home;
    }

    @Test
    void afterHandingAnApiKeyAccountToCodexItReachesTheUpstreamWithThatKeyAndNoRelay() throws Exception {
        CodexCli codex = CodexCli.require();
        fake = new FakeUpstream();
        // Codex's built-in openai provider prefers WebSocket for its default model and the fake now speaks it; this
        // test is about the credentials, which it reads from the HTTP requests, so the fake sends Codex to HTTP (426).
        fake.socket().refuseUpgrades(426, 100);
        CodexHome home = wiredToADeadRelay(fake);
        String key = "sk-direct-e2e-b-000000000000000000";
        fake.setDefault(FakeUpstream.success("hello from the direct account"));

        CodexDirectMode direct = new CodexDirectMode(new RelayHome(tmp.resolve("relay")), Clock.systemUTC());
        direct.apply(home, "B", new Credentials.ApiKey(key, null));

        CodexCli.Result r = codex.exec(home.dir(), tmp.resolve("work"), "say hello", CODEX_TIMEOUT);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).as(r.toString()).contains("hello from the direct account");
        assertThat(fake.responsesRequests()).isNotEmpty().allSatisfy(q -> {
            assertThat(q.token()).isEqualTo(key);
            assertThat(q.header("x-relay-key")).isNull();
        });
    }

    @Test
    void afterHandingAChatGptLoginToCodexItReachesTheUpstreamWithThoseTokensAndNoRelay() throws Exception {
        CodexCli codex = CodexCli.require();
        fake = new FakeUpstream();
        // Codex's built-in openai provider prefers WebSocket for its default model and the fake now speaks it; this
        // test is about the credentials, which it reads from the HTTP requests, so the fake sends Codex to HTTP (426).
        fake.socket().refuseUpgrades(426, 100);
        CodexHome home = wiredToADeadRelay(fake);
        String access = CodexAuth.jwt("{\"exp\":4102444800,\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"acct-a\"}}");
        fake.setDefault(FakeUpstream.success("hello from the chatgpt account"));

        CodexDirectMode direct = new CodexDirectMode(new RelayHome(tmp.resolve("relay")), Clock.systemUTC());
        direct.apply(home, "A", new Credentials.ChatGptTokens(CodexAuth.idToken("a@example.com", "plus", "acct-a"), access,
                "rt-a", "acct-a", Instant.now()));

        CodexCli.Result r = codex.exec(home.dir(), tmp.resolve("work"), "say hello", CODEX_TIMEOUT);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).as(r.toString()).contains("hello from the chatgpt account");
        assertThat(fake.responsesRequests()).isNotEmpty().allSatisfy(q -> {
            assertThat(q.token()).isEqualTo(access);
            assertThat(q.header("chatgpt-account-id")).isEqualTo("acct-a");
        });
    }
}
