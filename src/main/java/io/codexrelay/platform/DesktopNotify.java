package io.codexrelay.platform;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sends a desktop notification the platform's way: on Linux through the freedesktop notification service over
 * D-Bus ({@code notify-send}), on macOS through Notification Center ({@code osascript}). Returns false when the
 * platform way is missing or failed, so the caller can fall back (tray balloon, in-app toast).
 */
public final class DesktopNotify {
    private static final Logger log = LoggerFactory.getLogger(DesktopNotify.class);

    public enum Method { NOTIFY_SEND, OSASCRIPT, NONE }

    private final Method method;
    private final Path program;
    private final Path icon;

    public DesktopNotify(Os os, Map<String, String> env, Path icon) {
        this.icon = icon;
        Path p = null;
        Method m = Method.NONE;
        if (os == Os.LINUX || os == Os.OTHER) {
            p = os.which("notify-send", env).orElse(null);
            if (p != null) m = Method.NOTIFY_SEND;
        } else if (os == Os.MAC) {
            p = os.which("osascript", env).orElse(null);
            if (p != null) m = Method.OSASCRIPT;
        }
        this.method = m;
        this.program = p;
    }

    public Method method() { return method; }

    /** Blocks up to a few seconds (call off the EDT). */
    public boolean send(String title, String body, boolean urgent) {
        return send(title, body, urgent, icon);
    }

    /** With its own icon ({@code icon} null: the default one). Blocks up to a few seconds (call off the EDT). */
    public boolean send(String title, String body, boolean urgent, Path icon) {
        if (method == Method.NONE) return false;
        List<String> cmd = command(title, body, urgent, icon == null ? this.icon : icon);
        try {
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            proc.getOutputStream().close();
            proc.getInputStream().transferTo(OutputStream.nullOutputStream());
            if (!proc.waitFor(5, TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                log.warn("{} did not return within 5 s; desktop notifications may not work", program.getFileName());
                return false;
            }
            if (proc.exitValue() != 0) {
                log.warn("{} failed (exit {}); is a notification service running?", program.getFileName(), proc.exitValue());
                return false;
            }
            return true;
        } catch (IOException e) {
            log.warn("Could not run {}: {}", program, e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    List<String> command(String title, String body, boolean urgent) {
        return command(title, body, urgent, icon);
    }

    private List<String> command(String title, String body, boolean urgent, Path icon) {
        List<String> cmd = new ArrayList<>();
        cmd.add(program.toString());
        if (method == Method.NOTIFY_SEND) {
            cmd.addAll(List.of("--app-name=codex-relay", "--urgency=" + (urgent ? "critical" : "normal"), "--expire-time=10000"));
            if (icon != null) cmd.add("--icon=" + icon);
            cmd.add("--");
            cmd.add(title);
            if (body != null && !body.isBlank()) cmd.add(body);
        } else {
            cmd.add("-e");
            cmd.add("display notification " + appleString(body == null ? "" : body) + " with title \"codex-relay\" subtitle "
                    + appleString(title));
        }
        return cmd;
    }

    private static String appleString(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
