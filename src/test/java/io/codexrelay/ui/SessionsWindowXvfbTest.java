package io.codexrelay.ui;

import io.codexrelay.testing.SyntheticCodexHome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real Sessions window on an X server (Xvfb started here): it opens, lists the sessions, shows the details, is
 * photographed (target/screenshots/sessions.png; copied to docs/screenshots/sessions.png with
 * {@code -Dscreenshots.update=true}), and closes on Esc — both
 * from a test launcher and from the real {@code codex-relay sessions window} command.
 */
@Tag("ui")
class SessionsWindowXvfbTest {
    static final Duration WAIT = Duration.ofSeconds(60);
    @TempDir Path tmp;
    XDesktop desktop;

    @AfterEach
    void stop() {
        if (desktop != null) desktop.close();
    }

    static void need(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) return;
        }
        String msg = tool + " is not installed (needed for the Xvfb window test)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError(msg);
        System.err.println("SKIPPED LOUDLY: " + msg);
        Assumptions.abort(msg);
    }

    private Process java(Path relay, String... mainAndArgs) throws Exception {
        return desktop.java(Map.of("CODEX_RELAY_HOME", relay.toString()), mainAndArgs);
    }

    /**
     * Closes the window named "Codex sessions" with Esc. Without a window manager Java takes focus on a click; then Esc
     * reaches the window. Tried again while the child is still running (a click can land before the window is mapped).
     */
    private void pressEscapeUntilClosed(Process child) throws Exception {
        for (int attempt = 0; attempt < 4 && child.isAlive(); attempt++) {
            String id = desktop.awaitWindow("Codex sessions", WAIT);
            Thread.sleep(1000);
            desktop.xdotool("mousemove", "--window", id, "760", "300", "click", "1");
            Thread.sleep(700);
            desktop.xdotool("key", "Escape");
            if (child.waitFor(10, TimeUnit.SECONDS)) return;
        }
    }

    @Test
    void theWindowOpensListsPhotographsAndClosesOnEscape() throws Exception {
        need("Xvfb");
        need("xdotool");
        need("import");
        Path home = tmp.resolve("codex-home");
        new SyntheticCodexHome(false).write(home, Path.of("/home/dev/src"), 60, Instant.now(), 11);
        Files.writeString(home.resolve("config.toml"), "model_provider = \"codex-relay\"\n");
        desktop = XDesktop.start(tmp.resolve("desktop"), false);

        Process shot = java(tmp.resolve("relay"), SessionsWindowShot.class.getName(), home.toString(), tmp.resolve("relay").toString());
        ChildLines out = new ChildLines(shot);
        out.until("READY", WAIT);

        BufferedImage img = desktop.screenshot("sessions", true);
        assertThat(img.getWidth()).isEqualTo(1280);
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) for (int x = 0; x < img.getWidth(); x += 2) colours.add(img.getRGB(x, y));
        assertThat(colours.size()).as("distinct colours on screen").isGreaterThan(30);

        pressEscapeUntilClosed(shot);
        assertThat(shot.isAlive()).as("window closed on Esc; child output: " + out.seen()).isFalse();
        assertThat(shot.exitValue()).isZero();

        // The real command opens the same window and returns 0 when it is closed.
        Process cli = java(tmp.resolve("relay"), "io.codexrelay.Main", "sessions", "window", "--codex-home", home.toString());
        ChildLines cliOut = new ChildLines(cli);
        pressEscapeUntilClosed(cli);
        assertThat(cli.isAlive()).as("sessions window returned after Esc; its output: " + cliOut.seen()).isFalse();
        assertThat(cli.exitValue()).as("exit code; output: " + cliOut.seen()).isZero();
    }

    /**
     * Clicks the button {@code label} of the dialog whose DIALOG line was just read, until the dialog reports that it
     * closed. A click can land before a new dialog takes input, or where the button was before the dialog was placed
     * again: each further try asks the child where the button is now.
     */
    private void clickOption(Process child, ChildLines out, String title, String label) throws Exception {
        String prefix = "OPTION " + label + " ";
        String line = out.until(prefix, WAIT);
        Thread.sleep(300);
        int mark = out.mark();
        List<String> tried = new ArrayList<>();
        for (int attempt = 0; attempt < 4; attempt++) {
            String[] p = line.substring(prefix.length()).split(" ");
            int x = Integer.parseInt(p[0]), y = Integer.parseInt(p[1]);
            if (attempt > 0) {
                // A click that missed: another window may be over the dialog, or the dialog's window is not where Java
                // says (a run saw the pointer over no window at all at the reported place): raise it and aim at the
                // button inside the window where X has it.
                desktop.raise(title);
                var where = p.length >= 4 ? desktop.whereIs(title) : java.util.Optional.<java.awt.Rectangle>empty();
                if (where.isPresent()) {
                    x = where.get().x + Integer.parseInt(p[2]);
                    y = where.get().y + Integer.parseInt(p[3]);
                }
            }
            desktop.click(x, y);
            tried.add(x + "," + y + " on " + desktop.windowUnderPointer());
            if (out.sawAfter(mark, "CLOSED ", Duration.ofSeconds(10))) return;
            int asked = out.mark();
            child.getOutputStream().write("where\n".getBytes(StandardCharsets.UTF_8));
            child.getOutputStream().flush();
            int end = out.indexAfter(asked, "WHERE-END", WAIT);
            int at = out.indexAfter(asked, prefix, Duration.ZERO);
            if (end < 0 || at < 0 || at > end) break;   // not showing any more: the dialog went away without a CLOSED line
            line = out.line(at);
        }
        throw new AssertionError("the dialog did not close on '" + label + "' (clicked at " + tried + "); child output: " + out.seen());
    }

    @Test
    void copyToHomeIsClickedInTheRealWindowAndCopiesTheSession() throws Exception {
        need("Xvfb");
        need("xdotool");
        Path home = tmp.resolve("codex-home"), relay = tmp.resolve("relay"), two = tmp.resolve("two");
        new SyntheticCodexHome(false).write(home, Path.of("/home/dev/src"), 8, Instant.now(), 12);
        Files.writeString(home.resolve("config.toml"), "model_provider = \"codex-relay\"\n");
        try (var control = io.codexrelay.app.Controls.open(new io.codexrelay.config.RelayHome(relay), java.time.Clock.systemUTC())) {
            control.createHome("two", null, two, null, false);
        }
        desktop = XDesktop.start(tmp.resolve("desktop"), false);
        Process child = java(relay, SessionsCopyShot.class.getName(), home.toString(), relay.toString());
        ChildLines out = new ChildLines(child);
        String[] selected = out.until("SELECTED ", WAIT).split(" ", 3);
        String[] button = out.until("BUTTON ", WAIT).split(" ");
        assertThat(button[3]).as("Copy to home… enabled for a selected session").isEqualTo("true");
        out.until("READY", WAIT);
        Path original = Path.of(selected[2]);
        Path copy = two.toAbsolutePath().normalize().resolve(home.toAbsolutePath().normalize().relativize(original).toString());
        assertThat(copy).doesNotExist();

        String dialog = null;
        for (int attempt = 0; attempt < 4 && dialog == null; attempt++) {
            desktop.click(Integer.parseInt(button[1]), Integer.parseInt(button[2]));
            dialog = out.poll("DIALOG ", Duration.ofSeconds(15)).orElse(null);
        }
        assertThat(dialog).as("a dialog after clicking Copy to home…; child output: " + out.seen()).isEqualTo("DIALOG Copy to home");
        clickOption(child, out, "Copy to home", "two");
        assertThat(out.until("DIALOG ", WAIT)).isEqualTo("DIALOG Copy sessions to home 'two'");
        clickOption(child, out, "Copy sessions to home 'two'", "Apply");
        assertThat(out.until("DIALOG ", WAIT)).isEqualTo("DIALOG Copy sessions to home 'two'");   // the outcome
        assertThat(copy).as("copied by the click; child output: " + out.seen()).exists().hasSameBinaryContentAs(original);
        assertThat(original).exists();
        clickOption(child, out, "Copy sessions to home 'two'", "OK");

        pressEscapeUntilClosed(child);
        assertThat(child.isAlive()).as("window closed on Esc; child output: " + out.seen()).isFalse();
        System.out.println("child output: " + out.seen());
    }
}
