package io.codexrelay.platform;

import io.codexrelay.config.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * "Start at login", supervised where the platform can restart a crashed daemon (issue 9, crash recovery).
 * <ul>
 * <li>Linux with a systemd user manager ({@code $XDG_RUNTIME_DIR/systemd/private} exists): a user unit
 *   {@code $XDG_CONFIG_HOME/systemd/user/codex-relay.service} with {@code Restart=on-failure}, a start limit (after
 *   {@link #START_LIMIT_BURST} crashes within {@link #START_LIMIT_INTERVAL_SEC} s it stays down) and
 *   {@code OnFailure=codex-relay-failed.service}, which tells the user through {@code notify-send}. The unit is started
 *   at login by the XDG autostart entry (every desktop runs those; not every desktop reaches
 *   {@code graphical-session.target}), which first hands the session's DISPLAY to the manager so the tray appears.</li>
 * <li>Linux without systemd: the XDG autostart entry starts the daemon itself (no supervision there).</li>
 * <li>macOS: a LaunchAgent with {@code KeepAlive/SuccessfulExit=false} (relaunched after a crash, not after Quit) and
 *   {@code ThrottleInterval} so a crash loop runs at most once every {@link #RESTART_DELAY_MAC_SEC} s.</li>
 * <li>Windows: the {@code HKCU\...\Run} value starts {@code wscript.exe} on a small JScript supervisor
 *   ({@code %APPDATA%\codex-relay\start-at-login.js}, {@link #windowsSupervisor()}): it runs the daemon hidden, restarts
 *   it {@link #RESTART_DELAY_SEC} s after a crash (any exit code but 0), and after {@link #START_LIMIT_BURST} crashes
 *   within {@link #START_LIMIT_INTERVAL_SEC} s stops and says so in a message box. Script host, not a second JVM: a
 *   few MB. Task Scheduler's restart-on-failure waits at least a minute and covers a task that failed to start rather
 *   than a process that crashed. Its logic is tested under Node with stand-ins for the script host's objects; it has
 *   not been run on Windows here.</li>
 * </ul>
 * Every path is derived from {@code $HOME} / {@code $XDG_CONFIG_HOME} when set, never from Java's {@code user.home}
 * (issue 15: the entry landed in the account's home although HOME pointed elsewhere). A custom
 * {@code CODEX_RELAY_HOME} is carried into the entry.
 */
public final class Autostart {
    public static final String RUN_KEY = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";
    public static final String NAME = "codex-relay";
    static final String LAUNCH_AGENT = "io.codexrelay.daemon";
    /** The supervised unit and the unit that tells the user when supervision gave up. */
    public static final String UNIT = NAME + ".service";
    public static final String FAILED_UNIT = NAME + "-failed.service";
    /** Crashes tolerated within {@link #START_LIMIT_INTERVAL_SEC} before systemd stops restarting. */
    public static final int START_LIMIT_BURST = 4;
    public static final int START_LIMIT_INTERVAL_SEC = 120;
    /** Pause before a restart: long enough not to spin, short enough that Codex barely notices. */
    public static final int RESTART_DELAY_SEC = 2;
    public static final int RESTART_DELAY_MAC_SEC = 10;

    /** Runs a command and returns its exit code (replaced in tests). */
    public interface CommandRunner {
        int run(List<String> command) throws IOException;
    }

    private final Os os;
    private final Path userHome;
    private final Map<String, String> env;
    private final List<String> launch;
    private final CommandRunner runner;

    /**
     * @param launch the command that starts codex-relay (e.g. {@code [/usr/bin/java, -jar, /opt/codex-relay.jar]}),
     *               see {@link #currentLaunchCommand}
     */
    public Autostart(Os os, Path userHome, Map<String, String> env, List<String> launch, CommandRunner runner) {
        this.os = os;
        this.userHome = userHome;
        this.env = env;
        this.launch = List.copyOf(launch);
        this.runner = runner;
    }

    public static Autostart forCurrentProcess(Map<String, String> env) {
        return new Autostart(Os.current(), userHome(env), env, currentLaunchCommand(Os.current()), Autostart::exec);
    }

    /** {@code $HOME} (or {@code %USERPROFILE%}) when set: what the user's login session will use; else user.home. */
    public static Path userHome(Map<String, String> env) {
        for (String var : List.of("HOME", "USERPROFILE")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) return Path.of(v);
        }
        return Path.of(System.getProperty("user.home"));
    }

    /** True on Linux when a systemd user manager runs this session, so a unit can supervise the daemon. */
    public boolean systemdSupervises() {
        if (os != Os.LINUX) return false;
        String runtime = env.get("XDG_RUNTIME_DIR");
        return runtime != null && !runtime.isBlank() && Files.exists(Path.of(runtime, "systemd", "private"));
    }

    private Path configHome() {
        String xdg = env.get("XDG_CONFIG_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg) : userHome.resolve(".config");
    }

    /** The supervised systemd user unit (written only when {@link #systemdSupervises()}). */
    public Path unitFile() {
        return configHome().resolve("systemd/user").resolve(UNIT);
    }

    public Path failedUnitFile() {
        return configHome().resolve("systemd/user").resolve(FAILED_UNIT);
    }

    public boolean supported() {
        return os != Os.OTHER && !launch.isEmpty();
    }

    /** The file that holds the entry: the desktop entry (Linux), the LaunchAgent (macOS), the supervisor script (Windows). */
    public Path entryFile() {
        return switch (os) {
            case LINUX, OTHER -> configHome().resolve("autostart").resolve(NAME + ".desktop");
            case MAC -> userHome.resolve("Library/LaunchAgents").resolve(LAUNCH_AGENT + ".plist");
            case WINDOWS -> windowsAppData().resolve(NAME).resolve("start-at-login.js");
        };
    }

    public boolean isEnabled() throws IOException {
        if (os == Os.WINDOWS) return runner.run(List.of("reg", "query", RUN_KEY, "/v", NAME)) == 0;
        Path f = entryFile();
        if (!Files.exists(f)) return false;
        if (os == Os.MAC) return true;
        // A desktop entry can also be switched off in place by desktop settings tools.
        return !Files.readString(f).lines().anyMatch(l -> l.trim().equalsIgnoreCase("Hidden=true")
                || l.trim().equalsIgnoreCase("X-GNOME-Autostart-enabled=false"));
    }

    public void enable() throws IOException {
        if (!supported()) throw new IOException("Start at login is not supported here (" + os + ", launched without a jar).");
        switch (os) {
            case WINDOWS -> {
                AtomicFiles.writeString(entryFile(), windowsSupervisor(), false);
                int rc = runner.run(List.of("reg", "add", RUN_KEY, "/v", NAME, "/t", "REG_SZ", "/d", windowsRunValue(), "/f"));
                if (rc != 0) throw new IOException("reg add failed with exit code " + rc);
            }
            case MAC -> AtomicFiles.writeString(entryFile(), plist(), false);
            default -> {
                if (systemdSupervises()) {
                    AtomicFiles.writeString(failedUnitFile(), failedUnit(), false);
                    AtomicFiles.writeString(unitFile(), serviceUnit(), false);
                    int rc = runner.run(List.of("systemctl", "--user", "daemon-reload"));
                    if (rc != 0) throw new IOException("systemctl --user daemon-reload failed with exit code " + rc);
                    AtomicFiles.writeString(entryFile(), desktopEntry(supervisedStart()), false);
                } else {
                    AtomicFiles.writeString(entryFile(), desktopEntry(launchCommand()), false);
                }
            }
        }
    }

    public void disable() throws IOException {
        if (os == Os.WINDOWS) {
            if (!isEnabled()) return;
            int rc = runner.run(List.of("reg", "delete", RUN_KEY, "/v", NAME, "/f"));
            if (rc != 0) throw new IOException("reg delete failed with exit code " + rc);
            Files.deleteIfExists(entryFile());
            return;
        }
        Files.deleteIfExists(entryFile());
        // The unit files go too; a daemon running under the unit keeps running (it may be the caller).
        boolean hadUnit = Files.deleteIfExists(unitFile()) | Files.deleteIfExists(failedUnitFile());
        if (hadUnit && systemdSupervises()) runner.run(List.of("systemctl", "--user", "daemon-reload"));
    }

    private List<String> launchCommand() {
        List<String> cmd = new ArrayList<>();
        String home = env.get("CODEX_RELAY_HOME");
        if (home != null && !home.isBlank()) {
            cmd.add("env");
            cmd.add("CODEX_RELAY_HOME=" + home);
        }
        cmd.addAll(launch);
        return cmd;
    }

    /** Hands the login session's display to the user manager (so the tray can show), then starts the unit. */
    private static List<String> supervisedStart() {
        return List.of("sh", "-c", "systemctl --user import-environment DISPLAY WAYLAND_DISPLAY XAUTHORITY "
                + "DBUS_SESSION_BUS_ADDRESS 2>/dev/null; exec systemctl --user start " + UNIT);
    }

    String desktopEntry() {
        return desktopEntry(systemdSupervises() ? supervisedStart() : launchCommand());
    }

    /**
     * The supervised unit. {@code Restart=on-failure} restarts after a crash or a kill, never after Quit (exit 0);
     * the start limit stops a crash loop after {@link #START_LIMIT_BURST} tries, and then {@code OnFailure=} runs
     * {@link #failedUnit()}.
     */
    String serviceUnit() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Written by codex-relay (Settings > Start at login). Removed when start at login is switched off.\n")
          .append("[Unit]\n")
          .append("Description=codex-relay: lets the Codex CLI use several accounts\n")
          .append("StartLimitIntervalSec=").append(START_LIMIT_INTERVAL_SEC).append('\n')
          .append("StartLimitBurst=").append(START_LIMIT_BURST).append('\n')
          .append("OnFailure=").append(FAILED_UNIT).append('\n')
          .append("\n[Service]\n")
          .append("Type=simple\n");
        String home = env.get("CODEX_RELAY_HOME");
        if (home != null && !home.isBlank()) sb.append("Environment=").append(systemdQuote("CODEX_RELAY_HOME=" + home)).append('\n');
        sb.append("ExecStart=");
        for (int i = 0; i < launch.size(); i++) {
            if (i > 0) sb.append(' ');
            sb.append(systemdQuote(launch.get(i)));
        }
        sb.append('\n')
          .append("Restart=on-failure\n")
          .append("RestartSec=").append(RESTART_DELAY_SEC).append('\n')
          .append("# A normal stop (logout, Quit) is not a failure.\n")
          .append("SuccessExitStatus=143\n");
        return sb.toString();
    }

    /** Runs once supervision gave up: a desktop notification that says what happened and what to do. */
    String failedUnit() {
        return "# Written by codex-relay: tells the user that the relay crashed repeatedly and was left stopped.\n"
                + "[Unit]\n"
                + "Description=codex-relay stopped after repeated crashes\n"
                + "\n[Service]\n"
                + "Type=oneshot\n"
                + "ExecStart=/bin/sh -c 'notify-send -a codex-relay \"codex-relay stopped\" \"It crashed "
                + START_LIMIT_BURST + " times and was left stopped. Codex cannot reach it: run codex-relay, or "
                + "codex-relay codex off. Details: journalctl --user -u " + UNIT + "\" || true'\n";
    }

    /** systemd's quoting for ExecStart= and Environment=: double quotes, backslash escapes, {@code %} and {@code $} doubled. */
    static String systemdQuote(String arg) {
        String a = arg.replace("%", "%%").replace("$", "$$");
        if (!a.isEmpty() && a.chars().noneMatch(c -> " \t\n\"'\\;".indexOf(c) >= 0)) return a;
        StringBuilder sb = new StringBuilder("\"");
        for (char c : a.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\');
            sb.append(c);
        }
        return sb.append('"').toString();
    }

    private String desktopEntry(List<String> cmd) {
        StringBuilder exec = new StringBuilder();
        for (String a : cmd) {
            if (exec.length() > 0) exec.append(' ');
            exec.append(desktopQuote(a));
        }
        return "[Desktop Entry]\n"
                + "Type=Application\n"
                + "Name=codex-relay\n"
                + "Comment=Lets the Codex CLI use several accounts; starts in the tray\n"
                + "Exec=" + exec + "\n"
                + "Terminal=false\n"
                + "Categories=Development;\n"
                + "X-GNOME-Autostart-enabled=true\n";
    }

    /** Quoting of the Desktop Entry spec: double quotes, with " ` $ \ escaped; '%' doubled everywhere. */
    static String desktopQuote(String arg) {
        String a = arg.replace("%", "%%");
        if (!a.isEmpty() && a.chars().noneMatch(c -> " \t\n\"'\\><~|&;$*?#()`".indexOf(c) >= 0)) return a;
        StringBuilder sb = new StringBuilder("\"");
        for (char c : a.toCharArray()) {
            if (c == '"' || c == '`' || c == '$' || c == '\\') sb.append('\\');
            sb.append(c);
        }
        return sb.append('"').toString();
    }

    String plist() {
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
          .append("<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n")
          .append("<plist version=\"1.0\">\n<dict>\n")
          .append("  <key>Label</key><string>").append(LAUNCH_AGENT).append("</string>\n")
          .append("  <key>ProgramArguments</key>\n  <array>\n");
        for (String a : launch) sb.append("    <string>").append(xml(a)).append("</string>\n");
        sb.append("  </array>\n")
          .append("  <key>RunAtLoad</key><true/>\n")
          .append("  <!-- Relaunch after a crash, not after Quit; at most once every ThrottleInterval seconds. -->\n")
          .append("  <key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key><false/>\n  </dict>\n")
          .append("  <key>ThrottleInterval</key><integer>").append(RESTART_DELAY_MAC_SEC).append("</integer>\n")
          .append("  <key>ProcessType</key><string>Interactive</string>\n")
          .append("  <key>LimitLoadToSessionType</key><string>Aqua</string>\n");
        String home = env.get("CODEX_RELAY_HOME");
        if (home != null && !home.isBlank()) {
            sb.append("  <key>EnvironmentVariables</key>\n  <dict>\n")
              .append("    <key>CODEX_RELAY_HOME</key><string>").append(xml(home)).append("</string>\n  </dict>\n");
        }
        return sb.append("</dict>\n</plist>\n").toString();
    }

    /** {@code %APPDATA%} when set, else the roaming application data under the user's home. */
    private Path windowsAppData() {
        String v = env.get("APPDATA");
        return v != null && !v.isBlank() ? Path.of(v) : userHome.resolve("AppData").resolve("Roaming");
    }

    /** The Run value: the windowless script host ({@code wscript.exe}, not the console one) on the supervisor. */
    String windowsRunValue() {
        return "wscript.exe //Nologo \"" + entryFile() + "\"";
    }

    /**
     * The Windows supervisor (JScript for {@code wscript.exe}): runs the daemon without a console window and waits for
     * it; exit code 0 (Quit, a second launch that handed over, a normal stop) ends it; any other exit is a crash,
     * restarted after {@link #RESTART_DELAY_SEC} s; the {@link #START_LIMIT_BURST}th crash within
     * {@link #START_LIMIT_INTERVAL_SEC} s ends it with a message that says what to do. A custom
     * {@code CODEX_RELAY_HOME} is set for the daemon through {@code cmd /c set}.
     */
    String windowsSupervisor() {
        String command = windowsCommandLine();
        String home = env.get("CODEX_RELAY_HOME");
        if (home != null && !home.isBlank()) command = "cmd.exe /c set \"CODEX_RELAY_HOME=" + home + "\" && " + command;
        return "// Written by codex-relay (Settings > Start at login): starts the relay at login and restarts it after a crash.\n"
                + "// Removed when start at login is switched off. Run by: " + windowsRunValue().replace("\n", " ") + "\n"
                + "var shell = new ActiveXObject(\"WScript.Shell\");\n"
                + "var command = " + jsString(command) + ";\n"
                + "var burst = " + START_LIMIT_BURST + ", windowMs = " + START_LIMIT_INTERVAL_SEC * 1000 + ", delayMs = " + RESTART_DELAY_SEC * 1000 + ";\n"
                + "var crashes = [];\n"
                + "for (;;) {\n"
                + "  var code = shell.Run(command, 0, true);\n"
                + "  if (code === 0) WScript.Quit(0);\n"
                + "  var now = new Date().getTime();\n"
                + "  crashes.push(now);\n"
                + "  while (crashes.length > 0 && now - crashes[0] > windowMs) crashes.shift();\n"
                + "  if (crashes.length >= burst) {\n"
                + "    shell.Popup(\"codex-relay stopped after \" + burst + \" crashes within \" + (windowMs / 1000) + \" s (last exit code \" + code\n"
                + "        + \"). It is left stopped: start codex-relay again, and run codex-relay doctor if it keeps crashing.\", 0, \"codex-relay\", 48);\n"
                + "    WScript.Quit(1);\n"
                + "  }\n"
                + "  WScript.Sleep(delayMs);\n"
                + "}\n";
    }

    private static String jsString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                default -> sb.append(c < 0x20 || c == 0x2028 || c == 0x2029 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }

    String windowsCommandLine() {
        StringBuilder sb = new StringBuilder();
        for (String a : launch) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(a.contains(" ") || a.contains("\"") ? '"' + a.replace("\"", "\\\"") + '"' : a);
        }
        return sb.toString();
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /**
     * JVM options for the daemon started at login, the same as the launchers' (docs/install.md): a small heap that
     * grows only when needed and the serial collector keep an idle tray daemon around 120 MB resident instead of
     * 155 MB (docs/benchmarks.md, "Tray").
     */
    public static final List<String> LEAN_JVM = List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx128m", "-Xss512k",
            "-XX:TieredStopAtLevel=1", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:-ShrinkHeapInSteps",
            "-Dorg.eclipse.jetty.util.referencesPerCacheLine=16", "-XX:-UsePerfData");

    /**
     * How this process was started, as a command that starts it again: the running JVM with {@link #LEAN_JVM}, {@code -jar}
     * and the jar holding this class. On Windows {@code javaw.exe} so no console window opens. Empty when not run from
     * a jar (a development run), where an autostart entry would be wrong.
     */
    public static List<String> currentLaunchCommand(Os os) {
        try {
            var src = Autostart.class.getProtectionDomain().getCodeSource();
            if (src == null) return List.of();
            Path jar = Path.of(src.getLocation().toURI());
            if (!Files.isRegularFile(jar) || !jar.toString().endsWith(".jar")) return List.of();
            Path java = Path.of(System.getProperty("java.home"), "bin", os == Os.WINDOWS ? "javaw.exe" : "java");
            List<String> cmd = new java.util.ArrayList<>();
            cmd.add(java.toString());
            cmd.addAll(LEAN_JVM);
            cmd.add("-jar");
            cmd.add(jar.toAbsolutePath().toString());
            return List.copyOf(cmd);
        } catch (Exception e) {
            return List.of();
        }
    }

    private static int exec(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command.subList(0, Math.min(2, command.size()))) + " did not finish");
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public String toString() {
        return "Autostart[" + os + ", " + String.join(" ", launch) + "]";
    }
}
