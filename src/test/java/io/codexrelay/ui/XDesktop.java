package io.codexrelay.ui;

import org.junit.jupiter.api.Assumptions;

import javax.imageio.ImageIO;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A throw-away desktop for the "ui" tests: Xvfb, optionally a tray host (trayer), a D-Bus session bus
 * (dbus-run-session) with a notification daemon (dunst) and dbus-monitor recording every Notify call.
 * Every process started here is stopped by {@link #close()}, children first, by pid.
 */
final class XDesktop implements AutoCloseable {
    static final List<String> TOOLS = List.of("Xvfb", "trayer", "xdotool", "dbus-run-session", "dbus-monitor", "dunst",
            "notify-send", "import", "xdpyinfo");

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private String display;
    private String bus;
    private Path monitorLog;

    private XDesktop(Path dir) { this.dir = dir; }

    /** In CI (CI=true) a missing tool fails the test; elsewhere it is skipped, loudly. */
    static void requireTools() {
        for (String tool : TOOLS) {
            boolean found = false;
            for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(d, tool))) found = true;
            }
            if (found) continue;
            String msg = tool + " is not installed (needed for the tray tests; .ci/run installs it)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError(msg);
            System.err.println("SKIPPED LOUDLY: " + msg);
            Assumptions.abort(msg);
        }
    }

    static XDesktop start(Path dir, boolean trayHost) throws Exception {
        requireTools();
        Files.createDirectories(dir);
        XDesktop d = new XDesktop(dir);
        try {
            d.startX();
            if (trayHost) d.startTrayHost();
            d.startBus();
        } catch (Exception | AssertionError e) {
            d.close();
            throw e;
        }
        return d;
    }

    String display() { return display; }

    /** The environment every desktop program of the test gets. */
    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("DISPLAY", display);
        if (bus != null) env.put("DBUS_SESSION_BUS_ADDRESS", bus);
        env.put("NO_AT_BRIDGE", "1");
        return env;
    }

    private void startX() throws Exception {
        for (int n = 140; n < 200; n++) {
            if (Files.exists(Path.of("/tmp/.X" + n + "-lock")) || Files.exists(Path.of("/tmp/.X11-unix/X" + n))) continue;
            // -noreset: by default Xvfb resets itself whenever its last client disconnects, and a client connecting
            // during that reset is refused (two full runs saw trayer fail with "cannot open display" that way)
            Process x = spawn(List.of("Xvfb", ":" + n, "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset"), Map.of(), "xvfb.log");
            int tries = 0;
            while (x.isAlive() && !ownsDisplay(x, n) && tries++ < 100) Thread.sleep(100);
            if (x.isAlive() && ownsDisplay(x, n)) {
                display = ":" + n;
                // The socket file can be there a moment before the server takes connections (a full run once saw
                // trayer fail with "cannot open display" right after): wait until a client really connects.
                int ready = 0;
                while (ready++ < 100 && x.isAlive() && !acceptsClients()) Thread.sleep(100);
                if (x.isAlive() && acceptsClients()) return;
                display = null;
            }
            stop(x);
            processes.remove(x);
        }
        throw new AssertionError("could not start Xvfb on any display :140-:199");
    }

    /** Whether the display takes a client's connection now ({@code xdpyinfo}, from x11-utils, exits 0). */
    private boolean acceptsClients() {
        try {
            Process p = new ProcessBuilder("xdpyinfo", "-display", display).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Whether display {@code n} is this Xvfb's: its socket exists and its lock file names this process. Another test
     * run on the same machine may start an Xvfb on the same number at the same moment; the loser exits, but its
     * socket check alone would see the winner's socket and take a display that goes away with the other run.
     */
    private static boolean ownsDisplay(Process x, int n) {
        if (!Files.exists(Path.of("/tmp/.X11-unix/X" + n))) return false;
        try {
            return Files.readString(Path.of("/tmp/.X" + n + "-lock")).strip().equals(Long.toString(x.pid()));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private void startTrayHost() throws Exception {
        Process trayer = null;
        for (int attempt = 0; attempt < 3; attempt++) {   // a trayer that could not connect exits at once: start it again
            trayer = spawn(List.of("trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "200",
                    "--height", "32", "--transparent", "false", "--tint", "0x333333", "--SetDockType", "true"),
                    Map.of("DISPLAY", display), "trayer.log");
            if (!trayer.waitFor(1500, TimeUnit.MILLISECONDS)) break;
            processes.remove(trayer);
            Thread.sleep(500);
        }
        try {
            await("trayer's panel", Duration.ofSeconds(20), () -> !windows("--name", "^panel$").isEmpty());
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " (trayer " + (trayer.isAlive() ? "running" : "exited " + trayer.exitValue())
                    + "; its output: " + Files.readString(dir.resolve("trayer.log")) + "; windows: " + run(List.of("xdotool", "search", "--name", ".")) + ")");
        }
        Thread.sleep(300);
    }

    private void startBus() throws Exception {
        Path addr = dir.resolve("bus-address");
        spawn(List.of("dbus-run-session", "--", "sh", "-c", "printf '%s' \"$DBUS_SESSION_BUS_ADDRESS\" > '" + addr + "'; exec sleep 100000"),
                Map.of("DISPLAY", display), "dbus.log");
        await("the D-Bus session bus", Duration.ofSeconds(20), () -> Files.exists(addr) && size(addr) > 0);
        bus = Files.readString(addr).trim();
        monitorLog = dir.resolve("dbus-monitor.log");
        spawn(List.of("dbus-monitor", "--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"),
                env(), "dbus-monitor.log");
        spawn(List.of("dunst"), env(), "dunst.log");
        // dunst owns org.freedesktop.Notifications once it is up.
        await("dunst on the bus", Duration.ofSeconds(20), () -> run(List.of("dbus-send", "--session", "--print-reply",
                "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.Notifications")).contains("boolean true"));
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (Exception e) {
            return 0;
        }
    }

    Process spawn(List<String> cmd, Map<String, String> env, String logName) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(logName).toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /**
     * Runs a short command on this desktop and returns its output. Bounded: a command still running after 30 s (an
     * xdotool waiting for a window that never comes) is killed and fails the test instead of hanging the build.
     */
    String run(List<String> cmd) {
        Path out = null;
        try {
            out = Files.createTempFile(dir, "cmd-", ".out");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            if (display != null) pb.environment().putAll(env());
            Process p = pb.start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                stop(p);
                throw new AssertionError(String.join(" ", cmd) + " did not finish within 30 s; its output: " + Files.readString(out));
            }
            return Files.readString(out).strip();
        } catch (AssertionError e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("could not run " + cmd + ": " + e, e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (java.io.IOException ignored) {
                    // a temp file in the test's own directory
                }
            }
        }
    }

    /** The id of the visible window whose name matches {@code nameRegex}, waiting for it up to {@code timeout}. */
    String awaitWindow(String nameRegex, Duration timeout) throws InterruptedException {
        await("a window named " + nameRegex, timeout, () -> window("--name", nameRegex).isPresent());
        return window("--name", nameRegex).orElseThrow();
    }

    /** Starts a Java child on this desktop with the test's class path; it is stopped with the desktop. */
    Process java(Map<String, String> extraEnv, String... jvmArgsMainAndArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(jvmArgsMainAndArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env());
        pb.environment().putAll(extraEnv);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    String xdotool(String... args) {
        List<String> cmd = new ArrayList<>(List.of("xdotool"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Window ids matching an xdotool search (e.g. "--name", "regex"), visible ones only. */
    List<String> windows(String... search) {
        List<String> cmd = new ArrayList<>(List.of("xdotool", "search", "--onlyvisible"));
        cmd.addAll(List.of(search));
        String out = run(cmd);
        List<String> ids = new ArrayList<>();
        for (String l : out.split("\n")) if (l.strip().matches("\\d+")) ids.add(l.strip());
        return ids;
    }

    Optional<String> window(String... search) {
        List<String> w = windows(search);
        return w.isEmpty() ? Optional.empty() : Optional.of(w.get(w.size() - 1));
    }

    Rectangle geometry(String window) {
        Map<String, Integer> v = new HashMap<>();
        for (String l : xdotool("getwindowgeometry", "--shell", window).split("\n")) {
            String[] kv = l.split("=");
            if (kv.length == 2 && kv[1].matches("-?\\d+")) v.put(kv[0], Integer.parseInt(kv[1]));
        }
        return new Rectangle(v.get("X"), v.get("Y"), v.get("WIDTH"), v.get("HEIGHT"));
    }

    /** The name of the window under the pointer (what a click there reaches), for a failure message. */
    String windowUnderPointer() {
        String id = null;
        for (String l : xdotool("getmouselocation", "--shell").split("\n")) {
            if (l.startsWith("WINDOW=")) id = l.substring(7).strip();
        }
        if (id == null || !id.matches("\\d+")) return "(none)";
        return id + " '" + xdotool("getwindowname", id).strip() + "'";
    }

    /** Raises every visible window whose name is exactly {@code name} above the others (no window manager here). */
    void raise(String name) {
        for (String w : windows("--name", exactName(name))) xdotool("windowraise", w);
    }

    /** Where X has the (last) visible window named exactly {@code name}, if there is one. */
    Optional<Rectangle> whereIs(String name) {
        return window("--name", exactName(name)).map(this::geometry);
    }

    /** An xdotool name pattern (a POSIX regex) matching exactly {@code name}. */
    private static String exactName(String name) {
        return "^" + name.replaceAll("([.^$*+?()\\[\\]{}|\\\\])", "\\\\$1") + "$";
    }

    void click(int x, int y) {
        xdotool("mousemove", Integer.toString(x), Integer.toString(y), "click", "1");
    }

    void keys(String... keys) {
        List<String> cmd = new ArrayList<>(List.of("xdotool", "key", "--delay", "120"));
        cmd.addAll(List.of(keys));
        run(cmd);
    }

    /** Every Notify call seen on the bus so far. */
    String notifications() throws Exception {
        return Files.exists(monitorLog) ? Files.readString(monitorLog) : "";
    }

    /**
     * docs/screenshots/NAME.png is refreshed on request ({@code -Dscreenshots.update=true}) or when missing, so a
     * normal test run leaves the working tree as it was.
     */
    static boolean refreshDocs(Path docsFile) {
        return Boolean.getBoolean("screenshots.update") || !Files.exists(docsFile);
    }

    /** Screenshot of the whole screen into target/screenshots/NAME.png and, when {@code toDocs}, docs/screenshots. */
    BufferedImage screenshot(String name, boolean toDocs) throws Exception {
        Path shots = Path.of("target", "screenshots");
        Files.createDirectories(shots);
        Path png = shots.resolve(name + ".png");
        run(List.of("import", "-window", "root", png.toString()));
        Path docs = Path.of("docs", "screenshots", name + ".png");
        if (toDocs && refreshDocs(docs)) {
            Files.createDirectories(docs.getParent());
            Files.copy(png, docs, StandardCopyOption.REPLACE_EXISTING);
        }
        return ImageIO.read(png.toFile());
    }

    /** A crop of a screenshot, also saved (for docs: just the window, not the black desktop around it). */
    static BufferedImage crop(BufferedImage img, Rectangle r, String name, boolean toDocs) throws Exception {
        Rectangle b = r.intersection(new Rectangle(0, 0, img.getWidth(), img.getHeight()));
        BufferedImage c = img.getSubimage(b.x, b.y, b.width, b.height);
        Path png = Path.of("target", "screenshots", name + ".png");
        Files.createDirectories(png.getParent());
        ImageIO.write(c, "png", png.toFile());
        Path docs = Path.of("docs", "screenshots", name + ".png");
        if (toDocs && refreshDocs(docs)) {
            Files.createDirectories(docs.getParent());
            Files.copy(png, docs, StandardCopyOption.REPLACE_EXISTING);
        }
        return c;
    }

    static void await(String what, Duration timeout, BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (ok.getAsBoolean()) return;
            Thread.sleep(150);
        }
        if (ok.getAsBoolean()) return;
        throw new AssertionError("gave up waiting for " + what + " after " + timeout.toSeconds() + " s");
    }

    static void stop(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        for (int i = processes.size() - 1; i >= 0; i--) stop(processes.get(i));
        processes.clear();
    }
}
