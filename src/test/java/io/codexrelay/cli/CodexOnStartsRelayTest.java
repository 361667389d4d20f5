package io.codexrelay.cli;

import io.codexrelay.app.AdminFile;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 9: {@code codex on} with no relay running starts one (detached) and Codex is pointed at its port. */
class CodexOnStartsRelayTest {
    @TempDir Path dir;
    FakeUpstream fake;
    RelayHome home;

    @AfterEach
    void stopTheDaemon() throws Exception {
        if (home != null) {
            var info = AdminFile.read(home);
            if (info.isPresent()) {
                ProcessHandle.of(info.get().pid()).ifPresent(p -> {
                    p.destroy();   // SIGTERM: the normal stop
                    try {
                        p.onExit().get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        p.destroyForcibly();
                    }
                });
            }
        }
        if (fake != null) fake.close();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); }
    }

    @Test
    void codexOnWithNoRelayStartsItAndTheRelayAnswersOnThePortCodexWasGiven() throws Exception {
        fake = new FakeUpstream();
        home = new RelayHome(RelayHomes.pointedAt(dir.resolve("relay"), fake));
        int port = freePort();
        Files.writeString(home.configFile(), Files.readString(home.configFile()) + "\n[server]\nport = " + port + "\n");
        Path codex = Files.createDirectories(dir.resolve("codex"));
        Cli cli = new Cli(home.dir()).env("CODEX_HOME", codex.toString());

        Cli.Result on = cli.run("codex", "on");

        assertThat(on.exit()).as(on.toString()).isZero();
        assertThat(on.out()).as(on.toString()).contains("No relay was running: starting it in the background")
                .contains("Relay: answering at http://127.0.0.1:" + port + "/healthz");
        var info = AdminFile.read(home);
        assertThat(info).as(on.toString()).isPresent();
        assertThat(info.get().pid()).isNotEqualTo(ProcessHandle.current().pid());
        HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/healthz")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(Files.readString(codex.resolve("config.toml"))).contains("base_url = \"http://127.0.0.1:" + port + "/v1\"");

        // a second `codex on` finds it running and starts nothing
        Cli.Result again = cli.run("codex", "on");
        assertThat(again.out()).as(again.toString()).doesNotContain("No relay was running");
        assertThat(AdminFile.read(home).orElseThrow().pid()).isEqualTo(info.get().pid());
    }

    @Test
    void noStartOnlySaysHowToStartIt() throws Exception {
        fake = new FakeUpstream();
        home = new RelayHome(RelayHomes.pointedAt(dir.resolve("relay"), fake));
        int port = freePort();
        Files.writeString(home.configFile(), Files.readString(home.configFile()) + "\n[server]\nport = " + port + "\n");
        Path codex = Files.createDirectories(dir.resolve("codex"));

        Cli.Result on = new Cli(home.dir()).env("CODEX_HOME", codex.toString()).run("codex", "on", "--no-start");

        assertThat(on.exit()).as(on.toString()).isZero();
        assertThat(on.out()).doesNotContain("starting it").contains("not answering").contains("`codex-relay serve`");
        assertThat(AdminFile.read(home)).isEmpty();
    }
}
