package io.codexrelay.cli;

import io.codexrelay.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Small promises of the CLI that issue 15 found broken: each says what the user did, and leaves nothing behind. */
class CliPromisesTest {
    @TempDir Path tmp;

    @Test
    void serveOnABusyPortNamesTheFlagAndCreatesNoRelayHome() throws Exception {
        Path relay = tmp.resolve("relay");
        try (var busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Cli.Result r = new Cli(relay).run("serve", "--port", Integer.toString(busy.getLocalPort()));
            assertThat(r.exit()).as(r.toString()).isEqualTo(RootCommand.EXIT_FAILURE);
            assertThat(r.err()).contains("Port " + busy.getLocalPort()).contains("from --port").contains("choose another port with --port");
        }
        assertThat(relay).doesNotExist();
    }

    @Test
    void portZeroIsOneRuleInTheFileAndOnTheCommandLine() throws Exception {
        Path relay = Files.createDirectories(tmp.resolve("relay"));
        Files.writeString(relay.resolve("config.toml"), "[server]\nport = 0\n");
        Cli cli = new Cli(relay);
        Cli.Result list = cli.run("accounts", "list");
        assertThat(list.exit()).as("port = 0 in the file is accepted like --port 0: %s", list).isZero();
        // codex on has no port to write while no relay runs on port 0: it says so and writes nothing.
        Path codex = Files.createDirectories(tmp.resolve("codex"));
        Cli.Result on = cli.run("codex", "on", "--no-start", "--codex-home", codex.toString());
        assertThat(on.exit()).as(on.toString()).isEqualTo(RootCommand.EXIT_FAILURE);
        assertThat(on.err()).contains("server.port is 0").contains("Start the relay first");
        assertThat(codex.resolve("config.toml")).doesNotExist();
    }

    @Test
    void codexOnRefusesACodexHomeThatDoesNotExist() {
        Path missing = tmp.resolve("no-such-codex-home");
        Cli.Result r = new Cli(tmp.resolve("relay")).run("codex", "on", "--no-start", "--codex-home", missing.toString());
        assertThat(r.exit()).as(r.toString()).isEqualTo(RootCommand.EXIT_FAILURE);
        assertThat(r.err()).contains("does not exist").contains("nothing was written");
        assertThat(missing).doesNotExist();
    }

    @Test
    void theShellHistoryNoteComesOnlyWhenTheKeyWasTaken() {
        Cli cli = new Cli(tmp.resolve("relay"));
        Cli.Result refused = cli.run("accounts", "add-key", "--name", "bad name!", "--key", "sk-test-0123456789abcdefWXYZ");
        assertThat(refused.exit()).as(refused.toString()).isNotZero();
        assertThat(refused.err()).doesNotContain("shell history");
        Cli.Result ok = cli.run("accounts", "add-key", "--name", "A", "--key", "sk-test-0123456789abcdefWXYZ");
        assertThat(ok.exit()).as(ok.toString()).isZero();
        assertThat(ok.err()).contains("stays in your shell history");
        assertThat(ok.all()).doesNotContain("sk-test-0123456789abcdefWXYZ");
    }
}
