package io.codexrelay.cli;

import io.codexrelay.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code run} without a daemon, and its usage errors (the run itself: RunCommandE2eTest with the real Codex CLI). */
class RunCommandTest {
    @TempDir Path tmp;

    @Test
    void withoutADaemonRunSaysSoInOneLineWithHowToStartItAndRunsNothing() throws Exception {
        Cli cli = new Cli(Files.createDirectories(tmp.resolve("relay")));
        Path marker = tmp.resolve("ran");
        Cli.Result r = cli.run("run", "--account", "B", "--", "/bin/sh", "-c", "touch \"$0\"", marker.toString());
        assertThat(r.exit()).isEqualTo(RootCommand.EXIT_FAILURE);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains("relay is not running").contains("start it with `codex-relay`");
        assertThat(marker).doesNotExist();
    }

    @Test
    void runNeedsExactlyOneOfAccountAndHome() throws Exception {
        Cli cli = new Cli(Files.createDirectories(tmp.resolve("relay")));
        assertThat(cli.run("run", "--", "true").exit()).isEqualTo(RootCommand.EXIT_USAGE);
        Cli.Result both = cli.run("run", "--account", "A", "--home", "proj", "--", "true");
        assertThat(both.exit()).isEqualTo(RootCommand.EXIT_USAGE);
        assertThat(both.err()).contains("either --account A or --home NAME");
        assertThat(cli.run("keys", "create", "x", "--strict").exit()).isEqualTo(RootCommand.EXIT_USAGE);
        Cli.Result nope = cli.run("keys", "create", "x", "--account", "Nope");
        assertThat(nope.exit()).isEqualTo(RootCommand.EXIT_FAILURE);
        assertThat(nope.err()).contains("There is no account 'Nope'");
        assertThat(cli.run("keys", "list").out()).doesNotContain(" x ");
    }
}
