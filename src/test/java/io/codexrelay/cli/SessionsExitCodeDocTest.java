package io.codexrelay.cli;

import io.codexrelay.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exit codes docs/cli.md gives in its sessions table are the ones the commands return when there is nothing to
 * find (an existing, empty Codex home): the documentation and the code cannot drift apart again.
 */
class SessionsExitCodeDocTest {
    private static final Pattern EXIT = Pattern.compile("exit (\\d)");

    @TempDir Path tmp;

    private static int documented(String doc, String rowStart) {
        String row = doc.lines().filter(l -> l.startsWith("| `" + rowStart)).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + rowStart + " in docs/cli.md"));
        Matcher m = EXIT.matcher(row);
        assertThat(m.find()).as("the row of %s names its exit code when nothing is found: %s", rowStart, row).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void nothingFoundExitsAsDocumented() throws Exception {
        String doc = Files.readString(Path.of("docs/cli.md"));
        Path codexHome = Files.createDirectories(tmp.resolve("codex"));
        Cli cli = new Cli(tmp.resolve("relay"));
        String ch = "--codex-home=" + codexHome;

        Cli.Result list = cli.run("sessions", ch, "list", "--all");
        assertThat(list.exit()).as(list.toString()).isEqualTo(documented(doc, "sessions list")).isZero();
        Cli.Result last = cli.run("sessions", ch, "last");
        assertThat(last.exit()).as(last.toString()).isEqualTo(documented(doc, "sessions last")).isEqualTo(SessionsCommand.NOT_FOUND);
        Cli.Result show = cli.run("sessions", ch, "show", "0199aaaa-0000-7000-8000-000000000000");
        assertThat(show.exit()).as(show.toString()).isEqualTo(documented(doc, "sessions show")).isEqualTo(SessionsCommand.NOT_FOUND);
        assertThat(doc).contains("| 3 | `sessions` only:").contains("(`sessions list`) is an answer and exits 0");
    }
}
