package io.codexrelay.app;

/**
 * A user interface that runs inside the daemon process (the tray). Found with {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.codexrelay.app.FrontEnd}), so nothing outside {@code ui} imports {@code ui}.
 * {@link Daemon} uses the first one that is {@link #available()} unless the daemon was started headless.
 */
public interface FrontEnd {

    /** True when it can show itself here (a display, a tray host, ...). Must be cheap and must not show anything. */
    boolean available();

    /**
     * Called before the relay starts, so the UI can show itself early ("Starting…") while the relay starts. Must return
     * promptly (work on its own thread); {@link #start} follows, or {@link #close} when the relay could not start.
     */
    default void prepare() throws Exception { }

    /**
     * Called once the relay runs. Returns promptly (the UI lives on its own threads). {@code requestStop} asks the
     * daemon for a graceful stop (the tray's Quit).
     */
    void start(RelayApp app, Runnable requestStop) throws Exception;

    /** Called when the daemon stops, before the relay closes. */
    void close();

    /**
     * {@code sessions window}: shows the Sessions window on {@code sessions} and returns when it is closed; false when
     * this front end has no such window.
     */
    default boolean showSessionsAndWait(SessionsService sessions) throws Exception { return false; }

    /** The windows a front end can show on their own, each in a process of its own ({@code codex-relay window NAME}). */
    enum Window { SETTINGS, REQUEST_LOG }

    /**
     * {@code window settings|log}: shows {@code window} on {@code control} (usually the running daemon's, over its admin
     * API) and returns when it is closed; false when this front end has no such window.
     */
    default boolean showWindowAndWait(Window window, ControlHandle control) throws Exception { return false; }

    /** {@link #showWindowAndWait} of the first front end that has the window; false when none is on the class path. */
    static boolean openWindowAndWait(Window window, ControlHandle control) throws Exception {
        for (FrontEnd f : java.util.ServiceLoader.load(FrontEnd.class)) {
            if (f.showWindowAndWait(window, control)) return true;
        }
        return false;
    }

    /**
     * The Sessions window of the first front end that has one (found like the tray, through {@code META-INF/services},
     * so {@code cli} opens it without importing {@code ui}); false when none is on the class path.
     */
    static boolean openSessionsAndWait(SessionsService sessions) throws Exception {
        for (FrontEnd f : java.util.ServiceLoader.load(FrontEnd.class)) {
            if (f.showSessionsAndWait(sessions)) return true;
        }
        return false;
    }
}
