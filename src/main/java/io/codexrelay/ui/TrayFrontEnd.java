package io.codexrelay.ui;

import io.codexrelay.app.Desktop;
import io.codexrelay.app.FrontEnd;
import io.codexrelay.app.RelayApp;
import io.codexrelay.app.SessionsService;

import javax.swing.JFrame;
import java.time.Clock;
import java.time.ZoneId;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The tray as the daemon's {@link FrontEnd} (found through {@code META-INF/services}). Available when a display
 * exists; {@code CODEX_RELAY_NO_TRAY=1} shows the control window instead of a tray icon.
 */
public final class TrayFrontEnd implements FrontEnd {
    private final Map<String, String> env = System.getenv();
    private volatile RelayApp app;
    private final CompletableFuture<DesktopUi> preparing = new CompletableFuture<>();
    private volatile boolean preparingStarted;
    private volatile Runnable requestStop;
    private DesktopUi ui;
    private JFrame sessionsFrame;       // EDT

    @Override
    public boolean available() {
        return Desktop.current(env).hasDisplay();
    }

    @Override
    public void prepare() {
        boolean noTray = "1".equals(env.get("CODEX_RELAY_NO_TRAY")) || "true".equalsIgnoreCase(env.get("CODEX_RELAY_NO_TRAY"));
        var options = new DesktopUi.Options(RelayApp.homeDir(env), env, Clock.systemUTC(), ZoneId.systemDefault(),
                Desktop.current(env), noTray, this::quit, this::openSessions);
        preparingStarted = true;
        Thread t = new Thread(() -> {
            try {
                preparing.complete(DesktopUi.prepare(options));
            } catch (Throwable e) {
                preparing.completeExceptionally(e);
            }
        }, "tray-start");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void start(RelayApp app, Runnable requestStop) throws Exception {
        this.app = app;
        this.requestStop = requestStop;
        if (!preparingStarted) prepare();
        try {
            ui = preparing.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
        }
        ui.attach(app.control(), app.events());
        app.control().onShowSettings(ui::showSettingsWindow);
    }

    private void quit() {
        Runnable r = requestStop;
        if (r != null) r.run();
        else System.err.println("codex-relay is still starting; Quit is possible once it runs.");
    }

    /** Opens the Sessions window, or brings it forward. EDT. */
    private void openSessions() {
        if (sessionsFrame != null && sessionsFrame.isDisplayable()) {
            WindowMemory.bringForward(sessionsFrame);
            return;
        }
        JFrame opened = SessionsWindow.open(app.sessions(env));
        // Forget it once closed (it is disposed), so its Swing tree can be collected (issue 9).
        opened.addWindowListener(new java.awt.event.WindowAdapter() {
            @Override public void windowClosed(java.awt.event.WindowEvent e) {
                if (sessionsFrame == opened) sessionsFrame = null;
            }
        });
        sessionsFrame = opened;
    }

    @Override
    public boolean showWindowAndWait(FrontEnd.Window window, io.codexrelay.app.ControlHandle control) throws Exception {
        StandaloneWindow.showAndWait(window, control, env);
        return true;
    }

    @Override
    public boolean showSessionsAndWait(SessionsService sessions) throws Exception {
        SessionsWindow.showAndWait(sessions);
        return true;
    }

    @Override
    public void close() {
        if (app != null) app.control().onShowSettings(null);
        DesktopUi u = ui;
        if (u == null && preparingStarted) {
            try {
                u = preparing.get(30, TimeUnit.SECONDS);   // the relay failed to start: take the early icon away again
            } catch (Exception e) {
                u = null;
            }
        }
        if (u != null) u.close();
    }
}
