package io.codexrelay.app;

import io.codexrelay.platform.Autostart;
import io.codexrelay.platform.DesktopNotify;
import io.codexrelay.platform.Os;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The desktop the tray runs on, as {@code app} hands it to the UI: which system it is, whether windows can be
 * shown, the desktop's notification service and start at login. Keeps {@code platform} out of {@code ui}: the UI
 * asks for what it needs here instead of choosing commands per system itself.
 */
public final class Desktop {
    /** The kind of desktop, as far as the UI's choices go (tray type, notifications, dark mode). */
    public enum Family { LINUX, MAC, WINDOWS, OTHER }

    private final Os os;
    private final Map<String, String> env;

    private Desktop(Os os, Map<String, String> env) {
        this.os = os;
        this.env = Map.copyOf(env);
    }

    /** The desktop of this process. */
    public static Desktop current(Map<String, String> env) {
        return new Desktop(Os.current(), env);
    }

    /** A given kind of desktop (tests, and the dev harness). */
    public static Desktop of(Family family, Map<String, String> env) {
        return new Desktop(Os.valueOf(family.name()), env);
    }

    public Family family() { return Family.valueOf(os.name()); }

    public Map<String, String> env() { return env; }

    /** True when windows can be shown (no {@code java.awt.headless}; on X11/Wayland a display is named). Loads no AWT. */
    public boolean hasDisplay() { return os.hasDisplay(env); }

    /** An executable on {@code PATH}. */
    public Optional<Path> which(String program) { return os.which(program, env); }

    /** The desktop's own notification service ({@code notify-send}, {@code osascript}), when it has one. */
    public Notifications notifications(Path icon) {
        DesktopNotify d = new DesktopNotify(os, env, icon);
        return new Notifications() {
            @Override public boolean available() { return d.method() != DesktopNotify.Method.NONE; }
            @Override public boolean send(String title, String body, boolean urgent) { return d.send(title, body, urgent); }
            @Override public boolean send(String title, String body, boolean urgent, Path icon) { return d.send(title, body, urgent, icon); }
        };
    }

    /** Start at login for the running jar (XDG autostart, LaunchAgent, Windows Run key). */
    public StartAtLogin startAtLogin() {
        Autostart a = Autostart.forCurrentProcess(env);
        return new StartAtLogin() {
            @Override public boolean supported() { return a.supported(); }
            @Override public boolean enabled() throws IOException { return a.isEnabled(); }
            @Override public void set(boolean on) throws IOException { if (on) a.enable(); else a.disable(); }
        };
    }

    /** A desktop notification service. */
    public interface Notifications {
        boolean available();

        /** Blocks up to a few seconds (call off the EDT); false when it could not show the note. */
        boolean send(String title, String body, boolean urgent);

        /** With its own icon (an image file; null = the default icon). */
        default boolean send(String title, String body, boolean urgent, Path icon) { return send(title, body, urgent); }
    }

    /** The autostart state: whether codex-relay starts at login, and the switch. */
    public interface StartAtLogin {
        /** False when not running from the installed jar. */
        boolean supported();

        boolean enabled() throws IOException;

        void set(boolean on) throws IOException;
    }
}
