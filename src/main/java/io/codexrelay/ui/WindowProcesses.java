package io.codexrelay.ui;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tray's windows, each in a short-lived process of its own ({@code codex-relay window settings|log},
 * {@code codex-relay sessions window}) rather than inside the daemon. A window loads about 2,000 Swing, FlatLaf and
 * window classes and their compiled code, which a JVM keeps until it exits: in the daemon they cost ~25 MB for the rest
 * of the day after the window closed (docs/benchmarks.md, "Tray"); in a window process they leave with it. The cost is
 * a JVM start (about a second) each time a window opens.
 * <p>
 * Choosing an entry whose window is still open writes {@code front} to that process, which brings its window forward.
 * {@code CODEX_RELAY_WINDOWS=in-process} keeps the windows in the daemon (as before); so does a runtime without a
 * {@code java} command to start (then {@link #open} answers false and the caller shows the window itself).
 */
final class WindowProcesses implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WindowProcesses.class);
    /** Options of a window process: a small heap and the quick-starting compiler; it lives as long as its window. */
    static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xss512k", "-XX:TieredStopAtLevel=1",
            "-Xmx256m", "-XX:-UsePerfData");

    /** What a window is started with: the command line before the window's own arguments. */
    private final List<String> launcher;
    private final Map<String, String> env;
    private final Map<String, Process> open = new HashMap<>();
    private boolean closed;

    /** {@code launcher}: the command before a window's arguments; null keeps the windows in the daemon. */
    WindowProcesses(List<String> launcher, Map<String, String> env) {
        this.launcher = launcher;
        this.env = env;
    }

    /** The windows of this daemon; {@link #open} answers false when they are to stay in the daemon. */
    static WindowProcesses forThisProcess(Map<String, String> env) {
        if ("in-process".equalsIgnoreCase(env.getOrDefault("CODEX_RELAY_WINDOWS", ""))) return new WindowProcesses(null, env);
        return new WindowProcesses(launcher(System.getProperty("java.home"), System.getProperty("java.class.path"),
                ProcessHandle.current().info().command().orElse(null)), env);
    }

    /**
     * The command that starts this program again: {@code java OPTIONS -cp CLASSPATH io.codexrelay.Main} when the
     * runtime has a {@code java} command, else the native launcher that started this process (a jpackage image, whose
     * trimmed runtime has none); null when neither is known.
     */
    static List<String> launcher(String javaHome, String classPath, String command) {
        if (javaHome != null && classPath != null && !classPath.isBlank()) {
            Path java = Path.of(javaHome, "bin", isWindows() ? "javaw.exe" : "java");
            if (Files.isExecutable(java)) {
                List<String> cmd = new ArrayList<>();
                cmd.add(java.toString());
                cmd.addAll(JVM_OPTIONS);
                // the same home as the daemon's (a test or a launcher may have set it; the window finds ~/.codex by it)
                cmd.add("-Duser.home=" + System.getProperty("user.home"));
                cmd.addAll(List.of("-cp", classPath, "io.codexrelay.Main"));
                return cmd;
            }
        }
        if (command != null) {
            String name = Path.of(command).getFileName().toString();
            if (!name.equals("java") && !name.equals("java.exe") && !name.equals("javaw.exe")) return List.of(command);
        }
        return null;
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
    }

    /** The arguments that open {@code window}: "settings", "log" or "sessions". */
    static List<String> arguments(String window) {
        return switch (window) {
            case "settings" -> List.of("window", "settings");
            case "log" -> List.of("window", "log");
            case "sessions" -> List.of("sessions", "window");
            default -> throw new IllegalArgumentException(window);
        };
    }

    /**
     * Opens {@code window} ("settings", "log" or "sessions") in its own process, or brings it forward when that
     * process still runs. False when windows stay in the daemon or the process could not be started: the caller then
     * shows the window itself. Any thread.
     */
    synchronized boolean open(String window) {
        if (launcher == null || closed) return false;
        Process running = open.get(window);
        if (running != null && running.isAlive()) {
            try {
                OutputStream in = running.getOutputStream();
                in.write("front\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                return true;
            } catch (IOException e) {
                // it is closing: start a new one
            }
        }
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(arguments(window));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().clear();
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            open.put(window, p);
            LOG.info("Opened the {} window in process {}", window, p.pid());
            p.onExit().thenAccept(done -> {
                if (done.exitValue() != 0) LOG.warn("The {} window's process ended with exit code {}", window, done.exitValue());
            });
            return true;
        } catch (IOException e) {
            LOG.warn("Could not start a process for the {} window ({}); showing it in the daemon", window, e.getMessage());
            return false;
        }
    }

    /** Whether {@code window}'s process runs (tests). */
    synchronized boolean running(String window) {
        Process p = open.get(window);
        return p != null && p.isAlive();
    }

    /** The daemon stops: its windows close with it. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Process p : open.values()) {
            if (p.isAlive()) p.destroy();
        }
        open.clear();
    }
}
