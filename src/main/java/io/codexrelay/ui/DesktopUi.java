package io.codexrelay.ui;

import com.formdev.flatlaf.FlatLaf;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlException;
import io.codexrelay.app.PoolStatus;
import io.codexrelay.app.SyncStatus;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.app.Desktop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.imageio.ImageIO;
import javax.swing.SwingUtilities;
import java.awt.Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The desktop side of the daemon: the tray icon (or the control window where no tray host runs), the windows,
 * and notifications, all driven by one {@link ControlApi} and the {@link EventBus}. Windows are created on first
 * use, so a tray that is never opened costs little memory.
 */
public final class DesktopUi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DesktopUi.class);

    /** How often the menu is re-read with no event (reset countdowns, Codex routing changed from outside). */
    static final Duration PERIODIC = Duration.ofSeconds(30);
    /** Events within this time become one menu refresh. */
    static final Duration COALESCE = Duration.ofMillis(200);

    /**
     * @param stateDir      where window sizes and the notification icon are kept (the relay home); null = nowhere
     * @param forceControlWindow show the control window even when a tray host exists
     * @param quit          stops the daemon (the Quit entry)
     * @param openSessions  opens the Sessions window; null when there is none
     */
    public record Options(Path stateDir, Map<String, String> env, Clock clock, ZoneId zone, Desktop desktop, boolean forceControlWindow,
                          Runnable quit, Runnable openSessions) {}

    private volatile ControlApi control;   // null until attach()
    private EventBus events;
    private final Options o;
    private final UiTasks tasks = new UiTasks();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tray-refresh");
        t.setDaemon(true);
        return t;
    });
    private final TrayIconPainter painter = new TrayIconPainter();
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
    private final WindowMemory memory;
    private List<Image> icons;
    private volatile TraySurface surface;
    private volatile ControlWindow controlWindow;
    private volatile PoolStatus lastPool;
    private volatile Boolean codexRouted;
    private volatile String directAccount;   // the account direct mode handed to Codex, null when off
    private volatile SyncStatus sync;        // the WebDAV sync's state; null when unknown or not set up
    private final QuotaRefreshOnOpen refreshOnOpen;
    /** What the tray and the control window report: an entry chosen, the menu opening. */
    private final TraySurface.Actions actions = new TraySurface.Actions() {
        @Override public void chosen(String id, boolean checked) { DesktopUi.this.chosen(id, checked); }
        @Override public void menuOpening() { DesktopUi.this.menuOpening(); }
    };
    /** Asks what Codex should do when the tray quits; tests replace it (the Swing dialog needs a screen). */
    volatile QuitFlow.Asker quitAsker = new QuitDialog();
    private volatile Map<String, Object> config = Map.of();
    private volatile String theme = "system";
    private boolean themed;            // EDT
    private volatile boolean closed;
    private volatile Notifier notifier;
    private volatile SettingsWindow settings;   // created on the EDT
    private volatile LogWindow logWindow;       // created on the EDT
    private IdleMemoryRelease memoryRelease;    // EDT; set up with the first window
    /** Gives back what using the tray menu grew (heap, C heap), once the menu is idle again (issue 9). */
    private final IdleMemoryRelease menuRelease;
    /** Settings, Request log and Sessions open in processes of their own; in this one when that is off or fails. */
    private final WindowProcesses windowProcesses;

    private final StoredIcon storedIcon;
    private volatile IconState stored;          // the icon of the last run, shown until the relay answers
    private volatile IconState lastSavedIcon;
    private volatile String lastIconLogged;

    private DesktopUi(Options o) {
        this.o = o;
        this.memory = new WindowMemory(o.stateDir() == null ? null : o.stateDir().resolve("ui-state.properties"));
        this.windowProcesses = WindowProcesses.forThisProcess(o.env() == null ? Map.of() : o.env());
        this.menuRelease = IdleMemoryRelease.forThisProcess(timer);
        this.storedIcon = new StoredIcon(o.stateDir() == null ? null : o.stateDir().resolve("tray-icon.properties"));
        this.stored = storedIcon.load();
        this.lastSavedIcon = stored;
        // one short-lived thread per round (at most one a minute): nothing stays behind while the menu is not used
        this.refreshOnOpen = new QuotaRefreshOnOpen(o.clock(), r -> {
            Thread t = new Thread(r, "tray-quota-refresh");
            t.setDaemon(true);
            t.start();
        });
    }

    /** Shows the tray (or control window) for a running relay and returns; the UI lives on its own threads. */
    public static DesktopUi start(ControlApi control, EventBus events, Options o) throws Exception {
        DesktopUi ui = prepare(o);
        ui.attach(control, events);
        return ui;
    }

    /**
     * Shows the tray icon (or the control window) at once, saying "Starting…", while the relay starts: the icon is
     * there as early as possible. {@link #attach} connects it to the relay.
     */
    public static DesktopUi prepare(Options o) throws Exception {
        DesktopUi ui = new DesktopUi(o);
        ui.showSurface();
        return ui;
    }

    /** A UI shown on a given surface instead of the tray or the control window (tests: no display needed). */
    static DesktopUi onSurface(Options o, TraySurface s) {
        DesktopUi ui = new DesktopUi(o);
        ui.surface = s;
        ui.refreshNow();
        return ui;
    }

    private void showSurface() throws Exception {
        // Swing and FlatLaf are loaded only when a window is first shown: a tray that is never opened does not pay for them.
        String[] why = {"the control window was asked for (CODEX_RELAY_NO_TRAY)"};
        TraySurface s = o.forceControlWindow() ? null : Tray.create(o.desktop().family(), painter, actions, why);
        if (s == null) {
            log.warn("No tray icon: {}. Showing the codex-relay control window instead.", why[0]);
            ControlWindow[] w = new ControlWindow[1];
            SwingUtilities.invokeAndWait(() -> {
                ensureTheme();
                w[0] = new ControlWindow(painter, actions, why[0], icons);
            });
            controlWindow = w[0];
            s = w[0];
        }
        surface = s;
        refreshNow();
        if (controlWindow != null) controlWindow.show();
        long sinceStart = ProcessHandle.current().info().startInstant()
                .map(t -> Duration.between(t, Instant.now()).toMillis()).orElse(-1L);
        log.info("UI ready: {} shown {} ms after the process started", surface.kind(), sinceStart);
    }

    /** Connects the shown tray to the running relay: menu, icon, notifications and windows come alive. */
    public void attach(ControlApi control, EventBus events) {
        this.events = events;
        try {
            config = control.config();
        } catch (ControlException e) {
            log.warn("Could not read the configuration for the UI: {}", e.getMessage());
        }
        theme = String.valueOf(config.getOrDefault("ui.theme", "system"));
        this.control = control;

        Desktop.Notifications desktop = o.desktop().notifications(writeNotificationIcon());
        Notifier.Sink sink = new Notifier.Sink() {
            @Override public void show(Notifier.Notification note) { show(note, null); }

            @Override public void show(Notifier.Notification note, IconState icon) {
                log.info("Notification: {}{}", note.title(), note.body() == null ? "" : " — " + note.body().replace('\n', ' '));
                if (desktop.send(note.title(), note.body(), note.urgent(), notificationIcon(icon))) return;
                // Windows (and any desktop without a service we can call): the tray balloon, else a small window.
                if (o.desktop().family() != Desktop.Family.LINUX && Balloon.show(painter, note.title(), note.body(), note.urgent(), timer)) return;
                toast(note.title(), note.body(), note.urgent());
            }
        };
        Notifier n = new Notifier(sink, o.clock(), o.zone(), Notifier.on(timer), () -> Notifier.Prefs.from(config));
        if (!desktop.available()) {
            log.info("No desktop notification service found; notifications appear as small windows in the corner.");
        }
        notifier = n;
        refreshNow();
        if (events != null) subscriptions.add(events.subscribe(RelayEvent.class, this::onEvent));
        timer.scheduleWithFixedDelay(() -> {
            updateCodexRouted();
            updateSync();
            refreshNow();
        }, PERIODIC.toMillis(), PERIODIC.toMillis(), TimeUnit.MILLISECONDS);
        timer.execute(() -> {
            updateCodexRouted();
            updateSync();
            refreshNow();
        });
    }

    private Path writeNotificationIcon() {
        if (o.stateDir() == null) return null;
        try {
            Path p = o.stateDir().resolve("icon-64.png");
            if (!Files.exists(p)) ImageIO.write(painter.paint(new IconState(0.0, 0.0, IconState.Mark.NONE), 64), "png", p.toFile());
            return p;
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * The icon file of a notification: its meter painted once per state ({@code notify-icons/}, a handful of files at
     * most since the bars are rounded to 10 %); null = the default icon.
     */
    private Path notificationIcon(IconState icon) {
        if (icon == null || o.stateDir() == null) return null;
        IconState rounded = new IconState(tens(icon.primaryUsed()), tens(icon.secondaryUsed()), icon.mark());
        String name = "notify-" + label(rounded.primaryUsed()) + "-" + label(rounded.secondaryUsed()) + "-"
                + rounded.mark().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ".png";
        try {
            Path dir = o.stateDir().resolve("notify-icons");
            Path p = dir.resolve(name);
            if (!Files.exists(p)) {
                Files.createDirectories(dir);
                Path tmp = Files.createTempFile(dir, "icon", ".tmp");
                ImageIO.write(painter.paint(rounded, 64), "png", tmp.toFile());
                Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return p;
        } catch (Exception e) {
            log.debug("Could not paint the notification icon: {}", e.toString());
            return null;
        }
    }

    private static Double tens(Double v) { return v == null ? null : Math.round(v / 10.0) * 10.0; }

    private static String label(Double v) { return v == null ? "na" : String.valueOf(Math.round(v)); }

    // ---- events and refresh ----------------------------------------------------------------------------------

    private void onEvent(RelayEvent e) {
        if (closed) return;
        Notifier n = notifier;
        if (n != null) n.onEvent(e);
        // Windows that were never opened cost nothing here (no EDT wake-up per request).
        LogWindow lw = logWindow;
        if (e instanceof RelayEvent.RequestFinished && lw != null) SwingUtilities.invokeLater(lw::requestFinished);
        if (e instanceof RelayEvent.ConfigChanged) timer.execute(() -> { reloadConfig(); updateSync(); });
        if (e instanceof RelayEvent.SyncFinished) timer.execute(this::updateSync);
        SettingsWindow sw = settings;
        if (e instanceof RelayEvent.AccountsChanged && sw != null) SwingUtilities.invokeLater(sw::poolChanged);
        if (e instanceof RelayEvent.CodexRoutingChanged r) codexRouted = r.routed();
        requestRefresh();
    }

    /** Refreshes the menu and icon soon, once for a burst of events. */
    void requestRefresh() {
        if (closed || !refreshQueued.compareAndSet(false, true)) return;
        timer.schedule(() -> {
            refreshQueued.set(false);
            refreshNow();
        }, COALESCE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void refreshNow() {
        if (closed) return;
        PoolStatus pool = null;
        String error = null;
        ControlApi c = control;
        if (c != null) {
            try {
                pool = c.status();
            } catch (ControlException | RuntimeException e) {
                error = UiTasks.message(e);
            }
        }
        lastPool = pool;
        Notifier n = notifier;
        if (n != null && pool != null) n.setContext(pool.serving(), pool.pinned());
        if (n != null && pool != null && !pool.paused() && pool.earliestReset() == null) {
            List<io.codexrelay.events.QuotaWindow> windows = new ArrayList<>();
            Instant earliest = null;
            boolean unbounded = false;   // an account without a quota window (an API key) does not run dry this way
            for (var a : pool.accounts()) {
                if (!a.enabled()) continue;
                if (a.quota() == null || a.quota().primary() == null) {
                    unbounded = true;
                    continue;
                }
                windows.add(a.quota().primary());
                Instant r = a.quota().primary().resetsAt();
                if (r != null && (earliest == null || r.isBefore(earliest))) earliest = r;
            }
            Instant first = earliest;
            io.codexrelay.app.Pace poolPace = io.codexrelay.app.Pace.pool(windows, Duration.ofHours(5), o.clock());
            if (!unbounded && poolPace != null && poolPace.runsDry()) timer.execute(() -> n.poolPace(poolPace, first, lastPool == null ? null : lastPool.serving()));
        }
        TrayMenuModel model = TrayMenuModel.of(pool, new TrayMenuModel.Context(codexRouted, o.openSessions() != null, error, directAccount, sync),
                o.clock().instant(), o.zone());
        SettingsWindow sw = settings;
        PoolStatus shown = pool;
        // The open Settings window follows the same snapshot (the Pace column moves with quota events and with time).
        // (a hidden window is not woken: isVisible is a plain read, safe off the EDT)
        if (sw != null && shown != null && sw.frame().isVisible()) SwingUtilities.invokeLater(() -> sw.poolUpdated(shown));
        IconState icon = error != null ? new IconState(null, null, IconState.Mark.ALL_OUT) : IconState.of(pool);
        // Still starting (no status yet): the last run's icon tells more than grey bars; the relay's status, read
        // from the stored quota, replaces it as soon as it answers.
        if (error == null && stored != null && pool == null) icon = stored;
        try {
            surface.update(model, icon);
        } catch (RuntimeException e) {
            log.warn("Updating the tray failed: {}", e.toString());
        }
        remember(icon, pool != null && error == null);
        Boolean routed = codexRouted;
        if (routed != null && !routed.equals(lastRoutedShown)) {
            lastRoutedShown = routed;
            log.info("Tray menu: Route Codex through relay {}", routed ? "ticked" : "unticked");
        }
    }

    private volatile Boolean lastRoutedShown;

    /** Logs when the icon turns known or unknown (the Xvfb test reads it), and stores it for the next start. */
    private void remember(IconState icon, boolean live) {
        String d = StoredIcon.describe(icon);
        String kind = "unknown".equals(d) ? "unknown" : "known";
        if (!kind.equals(lastIconLogged)) {
            lastIconLogged = kind;
            log.info("Tray icon: {}", d);
        }
        if (!live || "unknown".equals(d) || sameRounded(icon, lastSavedIcon)) return;
        lastSavedIcon = icon;
        stored = icon;
        try {
            storedIcon.save(icon);
        } catch (java.io.IOException e) {
            log.debug("Could not store the tray icon: {}", e.toString());
        }
    }

    private static boolean sameRounded(IconState a, IconState b) {
        if (b == null) return false;
        return a.mark() == b.mark() && round(a.primaryUsed()) == round(b.primaryUsed()) && round(a.secondaryUsed()) == round(b.secondaryUsed());
    }

    private static long round(Double d) { return d == null ? -1 : Math.round(d); }

    private void updateCodexRouted() {
        ControlApi c = control;
        if (c == null) return;
        try {
            codexRouted = c.codexRouted();
        } catch (ControlException | RuntimeException e) {
            log.debug("Codex routing unknown: {}", e.toString());
            codexRouted = null;
        }
        try {
            directAccount = c.directAccount(null);
        } catch (ControlException | RuntimeException e) {
            log.debug("Direct mode unknown: {}", e.toString());
            directAccount = null;
        }
    }

    private void reloadConfig() {
        ControlApi c = control;
        if (c == null) return;
        try {
            config = c.config();
        } catch (ControlException e) {
            return;
        }
        String t = String.valueOf(config.getOrDefault("ui.theme", "system"));
        if (!t.equals(theme)) {
            theme = t;
            SwingUtilities.invokeLater(() -> {
                if (!themed) return;   // applied when the first window opens
                Theme.install(t, o.desktop());
                FlatLaf.updateUI();
            });
        }
    }

    /** Re-reads the sync state (after a sync, a config change, and with the periodic refresh). Not on the EDT. */
    private void updateSync() {
        ControlApi c = control;
        if (c == null) return;
        SyncStatus s;
        try {
            s = c.syncStatus();
        } catch (ControlException | RuntimeException e) {
            s = null;   // this control cannot tell (remote/offline without sync): no line
        }
        SyncStatus before = sync;
        sync = s != null && s.configured() ? s : null;
        if (!java.util.Objects.equals(before, sync)) requestRefresh();
    }

    /** The menu is opening: fetch quota now (rate-limited, off this thread), so the numbers it shows are fresh. */
    void menuOpening() {
        if (closed) return;
        // one line per opening (the Xvfb test reads them): what the user can expect of the numbers just shown
        if (refreshOnOpen.menuOpening(control, this::requestRefresh)) log.info("Tray menu opened: refreshing quota now");
        else log.info("Tray menu opened: quota was refreshed less than a minute ago (or is being refreshed)");
    }

    // ---- menu actions ----------------------------------------------------------------------------------------

    /** A tray or control-window entry was chosen. Any thread. */
    void chosen(String id, boolean checked) {
        menuRelease.windowClosed();   // the menu closed: 5 s later, with no window of ours showing, one full GC and trim
        MenuCommand c = MenuCommand.of(id, checked, lastPool);
        ControlApi control = this.control;
        if (control == null) {   // still starting: only Quit means something
            if (c.kind() == MenuCommand.Kind.QUIT && o.quit() != null) new Thread(o.quit(), "tray-quit").start();
            else requestRefresh();
            return;
        }
        if (c.isControl()) {
            act(c.describe(), () -> {
                c.runOn(control);
                if (c.kind() == MenuCommand.Kind.CODEX || c.kind() == MenuCommand.Kind.DIRECT
                        || c.kind() == MenuCommand.Kind.UNDO_DIRECT) updateCodexRouted();
            });
            return;
        }
        switch (c.kind()) {
            case SETTINGS -> showSettingsWindow();
            case LOG -> {
                if (!windowProcesses.open("log")) SwingUtilities.invokeLater(this::showLog);
            }
            case SESSIONS -> {
                if (o.openSessions() != null && !windowProcesses.open("sessions")) SwingUtilities.invokeLater(() -> {
                    ensureTheme();
                    o.openSessions().run();
                });
            }
            case QUIT -> {
                if (o.quit() == null) return;
                new Thread(() -> {
                    // Ask once what Codex should do while the relay is gone (issue 9); Cancel keeps the relay running.
                    try {
                        updateCodexRouted();
                        if (!QuitFlow.confirm(control, codexRouted, quitAsker)) return;
                    } catch (ControlException | RuntimeException e) {
                        log.warn("Quit: could not record what Codex should do ({}); quitting with the remembered choice.", e.toString());
                    }
                    o.quit().run();
                }, "tray-quit").start();
            }
            default -> requestRefresh();
        }
    }

    private interface Action { void run() throws Exception; }

    private void act(String what, Action a) {
        tasks.run(() -> { a.run(); return null; }, v -> requestRefresh(), msg -> {
            requestRefresh();
            log.warn("Could not {}: {}", what, msg);
            toast("Could not " + what, msg, false);
        });
    }

    // ---- windows ---------------------------------------------------------------------------------------------

    /** Installs the look (FlatLaf, light or dark) before the first window; EDT. */
    private void ensureTheme() {
        if (themed) return;
        Theme.install(theme, o.desktop());
        icons = painter.windowIcons(new IconState(0.0, 0.0, IconState.Mark.NONE));
        themed = true;
        memoryRelease = IdleMemoryRelease.forThisProcess(timer);
        memoryRelease.watchWindows();
    }

    private void toast(String title, String body, boolean urgent) {
        SwingUtilities.invokeLater(() -> {
            ensureTheme();
            Toast.show(title, body, urgent);
        });
    }

    /** Brings the settings window forward (tray entry, or a second launch of codex-relay). Any thread. */
    public void showSettingsWindow() {
        if (windowProcesses.open("settings")) return;   // in a process of its own (issue 9: its classes leave with it)
        SwingUtilities.invokeLater(() -> {
            if (controlWindow != null) controlWindow.bringForward();
            settings().show(-1);
        });
    }

    /** EDT. */
    SettingsWindow settings() {
        ensureTheme();
        if (settings == null) {
            Desktop.StartAtLogin autostart = o.desktop().startAtLogin();
            SettingsWindow created = new SettingsWindow(control, tasks, autostart, memory, o.clock(), o.zone(), o.env(), icons, changes -> {
                timer.execute(this::reloadConfig);
                requestRefresh();
            });
            // A closed window is disposed and forgotten (issue 9: its Swing tree held ~10 MB for the rest of the day);
            // the next opening builds a new one.
            created.frame().addWindowListener(new java.awt.event.WindowAdapter() {
                @Override public void windowClosed(java.awt.event.WindowEvent e) {
                    if (settings == created) settings = null;
                }
            });
            settings = created;
        }
        return settings;
    }

    /** EDT. */
    LogWindow showLog() {
        ensureTheme();
        if (logWindow == null) {
            LogWindow created = new LogWindow(control, tasks, memory, o.clock(), o.zone(), icons);
            created.frame().addWindowListener(new java.awt.event.WindowAdapter() {
                @Override public void windowClosed(java.awt.event.WindowEvent e) {
                    created.close();   // its loader thread too; disposing again is a no-op
                    if (logWindow == created) logWindow = null;
                }
            });
            logWindow = created;
        }
        LogWindow shown = logWindow;
        shown.show();
        return shown;
    }

    /** What the tray shows now (for the dev harness and tests). */
    public String surfaceKind() { return surface == null ? "none" : surface.kind(); }

    @Override
    public void close() {
        closed = true;
        for (AutoCloseable s : subscriptions) {
            try {
                s.close();
            } catch (Exception ignored) {
            }
        }
        timer.shutdownNow();
        tasks.close();
        windowProcesses.close();
        TraySurface s = surface;
        if (s != null) s.close();
        SwingUtilities.invokeLater(() -> {
            if (settings != null) settings.frame().dispose();
            if (logWindow != null) logWindow.close();
        });
    }
}
