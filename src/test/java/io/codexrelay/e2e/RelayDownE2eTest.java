package io.codexrelay.e2e;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.RelayApp;
import io.codexrelay.codex.CodexConfigPatch;
import io.codexrelay.codex.CodexHome;
import io.codexrelay.codex.CodexWiring;
import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 9, "Stopping the relay never strands Codex", with the real Codex CLI: Codex is routed through a running relay;
 * the tray's Quit is answered "hand Codex the best account" (the app-level path the Quit dialog drives:
 * {@link ControlApi#setStopChoice} for this stop, then the daemon's stop). With the relay gone, {@code codex exec}
 * reaches the upstream with the chosen account's key; the next start routes Codex through the relay again, byte for byte.
 *
 * <p>Codex's own {@code openai} provider is pointed at the fake by the top-level {@code openai_base_url} (it stands for
 * api.openai.com here); direct mode leaves that line alone.
 */
@Tag("e2e")
class RelayDownE2eTest {
    private static final Duration CODEX_TIMEOUT = Duration.ofSeconds(180);
    private static final String KEY_A = "sk-down-a-000000000000000000000AAAA", KEY_B = "sk-down-b-000000000000000000000BBBB";
    @TempDir Path tmp;
    private FakeUpstream fake;
    private RelayApp app;

    @AfterEach
    void stop() throws Exception {
        if (app != null) app.stop(Duration.ofSeconds(2));
        if (fake != null) fake.close();
    }

    @Test
    void afterQuitWithHandOverCodexReachesTheUpstreamWithTheChosenAccountAndTheNextStartRoutesItBack() throws Exception {
        CodexCli codex = CodexCli.require();
        fake = new FakeUpstream();
        fake.setDefault(FakeUpstream.success("hello while the relay is gone"));
        fake.socket().setDefaultText("hello while the relay is gone");   // Codex's own provider may use the WebSocket
        RelayHome relayHome = new RelayHome(RelayHomes.pointedAt(tmp.resolve("relay"), fake));
        Path codexDir = Files.createDirectories(tmp.resolve("codex-home"));
        Files.writeString(codexDir.resolve("config.toml"), "# written by the codex-relay test harness\n"
                + "check_for_update_on_startup = false\n"
                + "openai_base_url = \"" + fake.apiBaseUrl() + "\"   # stands for api.openai.com\n\n[analytics]\nenabled = false\n");
        Map<String, String> env = Map.of("CODEX_HOME", codexDir.toString(), "HOME", tmp.resolve("user").toString());
        RelayApp.Options options = new RelayApp.Options(relayHome, Clock.systemUTC(), 0, env);

        app = RelayApp.start(options);
        var control = app.control();
        // B has the better priority and no quota is known yet: the pool would choose B.
        control.addApiKey(new ControlApi.NewApiKey("A", KEY_A, "https://api.openai.com/v1", 50, null));
        control.addApiKey(new ControlApi.NewApiKey("B", KEY_B, "https://api.openai.com/v1", 10, null));
        CodexHome home = new CodexHome(codexDir);
        new CodexWiring(relayHome, Clock.systemUTC()).on(home,
                new CodexConfigPatch.ProviderSpec(app.baseUrl(), ClientKey.loadOrCreate(relayHome).value(), 600_000));
        byte[] routedConfig = Files.readAllBytes(home.configFile());
        int port = app.port();

        // Quit, answered "hand Codex the best account" (not remembered).
        control.setStopChoice(ControlApi.StopChoice.HAND_OVER, false);
        app.stop(Duration.ofSeconds(5));
        app = null;
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        assertThat(Files.readString(home.authFile())).contains(KEY_B);
        assertThat(CodexConfigPatch.inspect(Files.readString(home.configFile()), "x").pointsAtRelay()).isFalse();

        CodexCli.Result r = codex.exec(codexDir, tmp.resolve("work"), "say hello", CODEX_TIMEOUT);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).as(r.toString()).contains("hello while the relay is gone");
        assertThat(fake.responsesRequests()).isNotEmpty().allSatisfy(q -> assertThat(q.token()).isEqualTo(KEY_B));

        // The next start routes Codex through the relay again: both files as they were before the stop.
        app = RelayApp.start(options);
        assertThat(Files.readAllBytes(home.configFile())).isEqualTo(routedConfig);
        assertThat(home.authFile()).doesNotExist();
        // That choice was for one stop only: the next stop leaves Codex routed.
        app.stop(Duration.ofSeconds(2));
        app = null;
        assertThat(Files.readAllBytes(home.configFile())).isEqualTo(routedConfig);
        assertThat(home.authFile()).doesNotExist();
    }
}
