package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.Desktop;
import io.codexrelay.app.FrontEnd;
import io.codexrelay.app.PoolStatus;
import io.codexrelay.app.RelayApp;
import io.codexrelay.app.RequestView;

import javax.swing.JFrame;
import javax.swing.SwingUtilities;
import java.awt.Image;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * One of the tray's windows (Settings or the request log) shown in a process of its own ({@code codex-relay window
 * NAME}), on a {@link ControlApi} that is usually the running daemon's admin API. The tray starts this process
 * ({@link WindowProcesses}) instead of building the window inside the daemon: the ~2,000 Swing, FlatLaf and window
 * classes a window loads then leave with this process, and the daemon stays at its tray-only size (issue 9).
 * <p>
 * The window follows the daemon as the in-process one follows its events: the pool every two seconds (the Accounts
 * tab, the Pace column), and new rows of the request log. A line {@code front} on standard input brings the window
 * forward (the tray's menu entry chosen again while it is open).
 */
final class StandaloneWindow {
    static final long FOLLOW_MS = 2000;

    private StandaloneWindow() {}

    /** Shows {@code which} and returns when the user closed it. */
    static void showAndWait(FrontEnd.Window which, ControlApi control, Map<String, String> env) throws Exception {
        Desktop desktop = Desktop.current(env);
        String theme = "system";
        try {
            theme = String.valueOf(control.config().getOrDefault("ui.theme", "system"));
        } catch (Exception e) {
            // the settings cannot be read: the window itself says so; the system theme meanwhile
        }
        Path stateDir = RelayApp.homeDir(env);
        WindowMemory memory = new WindowMemory(stateDir == null ? null : stateDir.resolve("ui-state.properties"));
        UiTasks tasks = new UiTasks();
        ScheduledExecutorService follow = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "window-follow");
            t.setDaemon(true);
            return t;
        });
        CountDownLatch closed = new CountDownLatch(1);
        AtomicReference<JFrame> frame = new AtomicReference<>();
        AtomicReference<Runnable> front = new AtomicReference<>();
        String chosenTheme = theme;
        try {
            SwingUtilities.invokeAndWait(() -> {
                Theme.install(chosenTheme, desktop);
                List<Image> icons = new TrayIconPainter().windowIcons(new IconState(0.0, 0.0, IconState.Mark.NONE));
                Clock clock = Clock.systemUTC();
                ZoneId zone = ZoneId.systemDefault();
                if (which == FrontEnd.Window.SETTINGS) {
                    SettingsWindow w = new SettingsWindow(control, tasks, desktop.startAtLogin(), memory, clock, zone, env, icons, changes -> { });
                    frame.set(w.frame());
                    front.set(() -> w.show(-1));
                    follow.scheduleWithFixedDelay(followPool(control, (changed, pool) -> SwingUtilities.invokeLater(() -> {
                        if (changed) w.poolChanged();
                        w.poolUpdated(pool);
                    })), FOLLOW_MS, FOLLOW_MS, TimeUnit.MILLISECONDS);
                    w.show(-1);
                } else {
                    LogWindow w = new LogWindow(control, tasks, memory, clock, zone, icons);
                    frame.set(w.frame());
                    front.set(w::show);
                    follow.scheduleWithFixedDelay(followLog(control, () -> SwingUtilities.invokeLater(w::requestFinished)),
                            FOLLOW_MS, FOLLOW_MS, TimeUnit.MILLISECONDS);
                    w.show();
                }
                frame.get().addWindowListener(new WindowAdapter() {
                    @Override public void windowClosed(WindowEvent e) { closed.countDown(); }
                });
            });
            listenForFront(System.in, front.get());
            closed.await();
        } finally {
            follow.shutdownNow();
            tasks.close();
        }
    }

    /**
     * One round of following the pool, as the tray would pass it on: {@code onRound} gets every snapshot, with true when
     * the account list changed since the last round (the Accounts tab then reloads). A daemon that cannot answer is
     * skipped: the window keeps what it shows and the next round tries again.
     */
    static Runnable followPool(ControlApi control, BiConsumer<Boolean, PoolStatus> onRound) {
        List<String> names = new ArrayList<>();
        return () -> {
            try {
                PoolStatus pool = control.status();
                List<String> now = pool.accounts().stream().map(AccountStatus::name).toList();
                boolean changed = !names.isEmpty() && !names.equals(now);
                names.clear();
                names.addAll(now);
                onRound.accept(changed, pool);
            } catch (Exception e) {
                // the daemon stopped or is busy: the window keeps what it shows; the next round tries again
            }
        };
    }

    /** One round of following the request log: the newest row's id changing is the daemon's "request finished". */
    static Runnable followLog(ControlApi control, Runnable onNewRows) {
        long[] newest = {Long.MIN_VALUE};
        return () -> {
            try {
                List<RequestView> last = control.recentRequests(1);
                long id = last.isEmpty() ? -1 : last.get(0).id();
                if (newest[0] != Long.MIN_VALUE && id != newest[0]) onNewRows.run();
                newest[0] = id;
            } catch (Exception e) {
                // as above
            }
        };
    }

    /**
     * "front" on {@code input} (standard input) brings the window forward on the event thread; the tray writes it when
     * its menu entry is chosen again.
     */
    static void listenForFront(java.io.InputStream input, Runnable front) {
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.strip().equals("front")) SwingUtilities.invokeLater(front);
                }
            } catch (IOException e) {
                // the tray went away; the window stays until it is closed
            }
        }, "window-front");
        t.setDaemon(true);
        t.start();
    }
}
