package io.codexrelay.cli;

import io.codexrelay.codex.CodexConfigPatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CodexCommandTest {
    @TempDir Path tmp;

    record Run(int exit, String out, String err) {}

    private Run run(String... args) {
        var cmd = new CommandLine(new CodexCommand(Map.of("CODEX_RELAY_HOME", tmp.resolve("relay").toString()), Clock.systemUTC()));
        StringWriter out = new StringWriter(), err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); }
    }

    @Test
    void onStatusOffUseThePortAndKeyOfTheRelayConfig() throws Exception {
        int port = freePort(); // nothing listens there
        Files.createDirectories(tmp.resolve("relay"));
        Files.writeString(tmp.resolve("relay/config.toml"), "[server]\nport = " + port + "\n");
        Path codex = Files.createDirectories(tmp.resolve("codex"));
        String original = "# mine\nmodel = \"o3\"\nmodel_provider = \"azure\" # keep\n\n[model_providers.azure]\nname = \"Azure\"\n";
        Files.writeString(codex.resolve("config.toml"), original);

        Run on = run("on", "--no-start", "--codex-home", codex.toString());
        assertThat(on.exit()).as(on.err()).isZero();
        assertThat(on.out()).contains("Codex now uses the relay at http://127.0.0.1:" + port + "/v1")
                .contains("Backup of the previous file: ").contains("Relay: not answering at http://127.0.0.1:" + port + "/healthz");
        String key = Files.readString(tmp.resolve("relay/client.key")).trim();
        var view = CodexConfigPatch.inspect(Files.readString(codex.resolve("config.toml")), "x");
        assertThat(view.relayBaseUrl()).isEqualTo("http://127.0.0.1:" + port + "/v1");
        assertThat(view.relayClientKey()).isEqualTo(key);
        assertThat(on.out() + on.err()).doesNotContain(key);

        Run again = run("on", "--no-start", "--codex-home", codex.toString());
        assertThat(again.out()).contains("already uses the relay");

        Run status = run("status", "--codex-home", codex.toString());
        assertThat(status.exit()).isZero();
        assertThat(status.out()).contains("Codex uses:      the relay (provider 'codex-relay' -> http://127.0.0.1:" + port + "/v1)")
                .contains("client key matches the relay's").contains("Relay:           not answering").contains("Backups:         1 in ");
        assertThat(status.out()).doesNotContain(key);

        Run off = run("off", "--codex-home", codex.toString(), "--purge");
        assertThat(off.exit()).isZero();
        assertThat(off.out()).contains("Codex now uses provider 'azure'");
        assertThat(Files.readString(codex.resolve("config.toml"))).isEqualTo(original);
    }

    @Test
    void aBrokenCodexConfigFailsWithTheLineAndIsUnchanged() throws Exception {
        Path codex = Files.createDirectories(tmp.resolve("codex"));
        String broken = "model = \"o3\"\nmodel_provider = \n";
        Files.writeString(codex.resolve("config.toml"), broken);
        Run on = run("on", "--no-start", "--codex-home", codex.toString());
        assertThat(on.exit()).isEqualTo(1);
        assertThat(on.err()).contains("codex-relay: " + codex.resolve("config.toml") + ":2: not valid TOML");
        assertThat(Files.readString(codex.resolve("config.toml"))).isEqualTo(broken);
    }

    @Test
    void statusReportsARelayThatAnswers() throws Exception {
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/healthz", ex -> { ex.sendResponseHeaders(200, -1); ex.close(); });
        server.start();
        try {
            Files.createDirectories(tmp.resolve("relay"));
            Files.writeString(tmp.resolve("relay/config.toml"), "[server]\nport = " + server.getAddress().getPort() + "\n");
            Run status = run("status", "--codex-home", tmp.resolve("no-codex").toString());
            assertThat(status.out()).contains("Codex uses:      the default provider 'openai' (no config.toml)")
                    .contains("Relay:           answering at http://127.0.0.1:" + server.getAddress().getPort() + "/healthz");
        } finally {
            server.stop(0);
        }
    }
}
