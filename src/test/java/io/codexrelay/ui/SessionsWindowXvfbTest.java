package io.codexrelay.ui;

import io.codexrelay.testing.SyntheticCodexHome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
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
    @TempDir Path tmp;
    final List<Process> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            Process p = started.get(i);
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
        }
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

    private String startXvfb() throws Exception {
        for (int n = 91; n < 140; n++) {
            if (Files.exists(Path.of("/tmp/.X" + n + "-lock")) || Files.exists(Path.of("/tmp/.X11-unix/X" + n))) continue;
            Process x = new ProcessBuilder("Xvfb", ":" + n, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            started.add(x);
            for (int i = 0; i < 50 && x.isAlive(); i++) {
                if (Files.exists(Path.of("/tmp/.X11-unix/X" + n))) return ":" + n;
                Thread.sleep(100);
            }
            x.destroy();
            started.remove(x);
        }
        throw new AssertionError("could not start Xvfb");
    }

    private Process java(String display, Path relay, String... mainAndArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(mainAndArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DISPLAY", display);
        pb.environment().put("CODEX_RELAY_HOME", relay.toString());
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private static String run(String display, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DISPLAY", display);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
        return out.strip();
    }

    /** Without a window manager Java takes focus on a click; then Esc reaches the window. */
    private static void pressEscape(String display) throws Exception {
        String id = run(display, "xdotool", "search", "--sync", "--name", "Codex sessions").lines().findFirst().orElseThrow();
        Thread.sleep(1500);
        run(display, "xdotool", "mousemove", "--window", id, "760", "300", "click", "1");
        Thread.sleep(700);
        run(display, "xdotool", "key", "Escape");
    }

    @Test
    void theWindowOpensListsPhotographsAndClosesOnEscape() throws Exception {
        need("Xvfb");
        need("xdotool");
        need("import");
        Path home = tmp.resolve("codex-home");
        new SyntheticCodexHome(false).write(home, Path.of("/home/dev/src"), 60, Instant.now(), 11);
        Files.writeString(home.resolve("config.toml"), "model_provider = \"codex-relay\"\n");
        String display = startXvfb();

        Process shot = java(display, tmp.resolve("relay"), SessionsWindowShot.class.getName(), home.toString(), tmp.resolve("relay").toString());
        BufferedReader out = new BufferedReader(new InputStreamReader(shot.getInputStream(), StandardCharsets.UTF_8));
        List<String> log = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null && !line.equals("READY")) log.add(line);
        assertThat(line).as("child output: " + log).isEqualTo("READY");

        Path screenshots = Path.of("target", "screenshots");
        Files.createDirectories(screenshots);
        Path png = screenshots.resolve("sessions.png");
        run(display, "import", "-window", "root", png.toString());
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(1280);
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) for (int x = 0; x < img.getWidth(); x += 2) colours.add(img.getRGB(x, y));
        assertThat(colours.size()).as("distinct colours on screen").isGreaterThan(30);
        // docs/screenshots/sessions.png is refreshed on request (-Dscreenshots.update=true) or when missing, so that
        // ordinary builds do not leave a changed binary file in every worktree.
        Path docs = Path.of("docs", "screenshots", "sessions.png");
        if (Boolean.getBoolean("screenshots.update") || !Files.exists(docs)) {
            Files.createDirectories(docs.getParent());
            Files.copy(png, docs, StandardCopyOption.REPLACE_EXISTING);
        }

        pressEscape(display);
        assertThat(shot.waitFor(20, TimeUnit.SECONDS)).as("window closed on Esc").isTrue();
        assertThat(shot.exitValue()).isZero();

        // The real command opens the same window and returns 0 when it is closed.
        Process cli = java(display, tmp.resolve("relay"), "io.codexrelay.Main", "sessions", "window", "--codex-home", home.toString());
        pressEscape(display);
        assertThat(cli.waitFor(30, TimeUnit.SECONDS)).as("sessions window returned after Esc").isTrue();
        assertThat(cli.exitValue()).as(new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    }

    /** Reads the child's lines until one starts with {@code prefix}; fails with what was read when the child ends first. */
    private static String until(BufferedReader out, String prefix, List<String> log) throws Exception {
        String line;
        while ((line = out.readLine()) != null) {
            log.add(line);
            if (line.startsWith(prefix)) return line;
        }
        throw new AssertionError("child ended before '" + prefix + "': " + log);
    }

    /** Clicks the button {@code label} of the dialog whose DIALOG line was just read. */
    private static void clickOption(String display, BufferedReader out, String label, List<String> log) throws Exception {
        String line;
        while ((line = out.readLine()) != null) {
            log.add(line);
            if (line.startsWith("OPTION " + label + " ")) {
                String[] p = line.substring(("OPTION " + label + " ").length()).split(" ");
                run(display, "xdotool", "mousemove", p[0], p[1], "click", "1");
                return;
            }
        }
        throw new AssertionError("no button '" + label + "': " + log);
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 3, unit = TimeUnit.MINUTES)   // a click that opens nothing would wait forever for the child's next line
    void copyToHomeIsClickedInTheRealWindowAndCopiesTheSession() throws Exception {
        need("Xvfb");
        need("xdotool");
        Path home = tmp.resolve("codex-home"), relay = tmp.resolve("relay"), two = tmp.resolve("two");
        new SyntheticCodexHome(false).write(home, Path.of("/home/dev/src"), 8, Instant.now(), 12);
        Files.writeString(home.resolve("config.toml"), "model_provider = \"codex-relay\"\n");
        try (var control = io.codexrelay.app.Controls.open(new io.codexrelay.config.RelayHome(relay), java.time.Clock.systemUTC())) {
            control.createHome("two", null, two, null, false);
        }
        String display = startXvfb();
        Process child = java(display, relay, SessionsCopyShot.class.getName(), home.toString(), relay.toString());
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        List<String> log = new ArrayList<>();
        String[] selected = until(out, "SELECTED ", log).split(" ", 3);
        String[] button = until(out, "BUTTON ", log).split(" ");
        assertThat(button[3]).as("Copy to home… enabled for a selected session").isEqualTo("true");
        until(out, "READY", log);
        Path original = Path.of(selected[2]);
        Path copy = two.toAbsolutePath().normalize().resolve(home.toAbsolutePath().normalize().relativize(original).toString());
        assertThat(copy).doesNotExist();

        run(display, "xdotool", "mousemove", button[1], button[2], "click", "1");
        assertThat(until(out, "DIALOG ", log)).isEqualTo("DIALOG Copy to home");
        clickOption(display, out, "two", log);
        assertThat(until(out, "DIALOG ", log)).isEqualTo("DIALOG Copy sessions to home 'two'");
        clickOption(display, out, "Apply", log);
        assertThat(until(out, "DIALOG ", log)).isEqualTo("DIALOG Copy sessions to home 'two'");   // the outcome
        assertThat(copy).as("copied by the click; child output: " + log).exists().hasSameBinaryContentAs(original);
        assertThat(original).exists();
        clickOption(display, out, "OK", log);

        pressEscape(display);
        assertThat(child.waitFor(20, TimeUnit.SECONDS)).as("window closed on Esc").isTrue();
    }
}
