package io.codexrelay.ui;

import dorkbox.systemTray.Checkbox;
import dorkbox.systemTray.Entry;
import dorkbox.systemTray.MenuItem;
import dorkbox.systemTray.Separator;
import dorkbox.systemTray.SystemTray;
import io.codexrelay.app.Desktop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tray icon and its menu, through dorkbox SystemTray (Gtk on Linux, native on Windows and macOS).
 *
 * <p>Entries are kept by their model id and updated in place when only texts and checks change, so an open menu
 * does not flicker; when entries come or go (an account added) the menu is rebuilt.
 */
final class Tray implements TraySurface {
    private static final Logger log = LoggerFactory.getLogger(Tray.class);
    static final String NAME = "codex-relay";

    /** Keyboard mnemonics in the open menu (shown underlined once the keyboard is used). */
    static final Map<String, Character> SHORTCUTS = Map.of(TrayMenuModel.AUTO, 'a', TrayMenuModel.CODEX, 'x',
            TrayMenuModel.PAUSE, 'p', TrayMenuModel.REFRESH, 'r', TrayMenuModel.SETTINGS, 's', TrayMenuModel.SESSIONS, 'e',
            TrayMenuModel.LOG, 'l', TrayMenuModel.QUIT, 'q');

    private final SystemTray tray;
    private final boolean gtk;
    private final TrayIconPainter painter;
    private final Actions actions;
    private final Map<String, Entry> entries = new HashMap<>();
    private List<String> shape = List.of();
    private IconState shownIcon;
    private String shownTooltip;

    private Tray(SystemTray tray, TrayIconPainter painter, Actions actions) {
        this.tray = tray;
        this.gtk = tray.getType() == SystemTray.TrayType.Gtk || tray.getType() == SystemTray.TrayType.AppIndicator;
        this.painter = painter;
        this.actions = actions;
    }

    /**
     * Switches dorkbox's phone-home off and its root check off, then asks for a tray. On Linux the Gtk type is forced,
     * but only after {@code java.awt.SystemTray.isSupported()} confirmed a tray host (the Gtk type reports success
     * even without one). Returns null, with the reason in {@code why[0]}, when there is no tray.
     */
    static Tray create(Desktop.Family os, TrayIconPainter painter, Actions actions, String[] why) {
        try {
            dorkbox.updates.Updates.INSTANCE.setENABLE(false);
            SystemTray.ENABLE_ROOT_CHECK = false;
            SystemTray.DEBUG = Boolean.getBoolean("codexrelay.tray.debug");
            if (os == Desktop.Family.LINUX) {
                if (!java.awt.SystemTray.isSupported()) {
                    why[0] = "no system tray host is running (java.awt.SystemTray reports none)";
                    return null;
                }
                SystemTray.FORCE_TRAY_TYPE = SystemTray.TrayType.Gtk;
                disableGtkGl();
                // dorkbox starts GTK's loop on its own thread (gtk_init_check runs there) and carries on at once with
                // GTK calls on this thread: a race that aborts the JVM ("Can't create a GtkStyleContext without a
                // display connection") when this thread wins. Start the loop first and wait until it has run once.
                dorkbox.jna.linux.GtkEventDispatch.startGui(SystemTray.FORCE_GTK2, SystemTray.PREFER_GTK3, SystemTray.DEBUG);
                dorkbox.jna.linux.GtkEventDispatch.dispatchAndWait(() -> { });
            }
            SystemTray st = SystemTray.get(NAME);
            if (st == null) {
                why[0] = "dorkbox SystemTray found no usable tray type on this desktop";
                return null;
            }
            Tray t = new Tray(st, painter, actions);
            if (os == Desktop.Family.LINUX) t.watchMenuOpening();
            return t;
        } catch (RuntimeException | LinkageError e) {
            why[0] = "the tray could not start: " + e;
            return null;
        }
    }

    /**
     * GTK 3 loads the OpenGL driver (Mesa's is ~50 MB resident) when it opens the display, only to pick visuals; a
     * tray icon and its menu never draw with GL. {@code GDK_GL=disable} skips that, unless the user set GDK_GL.
     */
    private static void disableGtkGl() {
        try {
            com.sun.jna.platform.unix.LibC.INSTANCE.setenv("GDK_GL", "disable", 0);
        } catch (RuntimeException | LinkageError e) {
            log.debug("could not set GDK_GL: {}", e.toString());
        }
    }

    /** Held so the native side's callback is never collected while GTK may call it. */
    private dorkbox.jna.linux.GEventCallback menuOpening;

    /**
     * Tells {@link Actions#menuOpening} when the user clicks the icon (the Gtk status icon pops its menu up on a button
     * press). dorkbox offers no such hook, so the icon's native handle is read from its tray object and a second
     * {@code button_press_event} handler is connected next to dorkbox's own. Where that is not possible (another tray
     * type, another dorkbox version), only the periodic poll and "Refresh quota now" keep the numbers fresh.
     */
    private void watchMenuOpening() {
        try {
            java.lang.reflect.Field menuField = SystemTray.class.getDeclaredField("menu");
            menuField.setAccessible(true);
            Object native_ = menuField.get(tray);
            if (native_ == null || !native_.getClass().getSimpleName().equals("_GtkStatusIconNativeTray")) {
                log.info("Quota is not refreshed when the menu opens: the {} tray gives no click event", tray.getType());
                return;
            }
            java.lang.reflect.Field iconField = native_.getClass().getDeclaredField("trayIcon");
            iconField.setAccessible(true);
            com.sun.jna.Pointer icon = (com.sun.jna.Pointer) iconField.get(native_);
            if (icon == null) return;
            menuOpening = (widget, event) -> {
                if (event != null && event.type == GDK_BUTTON_PRESS) actions.menuOpening();   // must return at once: GTK's thread
            };
            dorkbox.jna.linux.GtkEventDispatch.dispatchAndWait(() ->
                    dorkbox.jna.linux.GObject.g_signal_connect_object(icon, "button_press_event", menuOpening, null, 0));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            log.info("Quota is not refreshed when the menu opens: {}", e.toString());
        }
    }

    private static final int GDK_BUTTON_PRESS = 4;

    @Override
    public String kind() { return "tray (" + tray.getType() + ")"; }

    @Override
    public synchronized void update(TrayMenuModel model, IconState icon) {
        if (!icon.equals(shownIcon)) {
            int px = Math.max(16, tray.getTrayImageSize());
            BufferedImage img = painter.paint(icon, px);
            tray.setImage(img);
            shownIcon = icon;
        }
        if (!model.tooltip().equals(shownTooltip)) {
            try {
                tray.setTooltip(model.tooltip());
            } catch (RuntimeException e) {
                log.debug("tray tooltip not supported: {}", e.toString());
            }
            shownTooltip = model.tooltip();
        }
        tray.setStatus(model.status());
        List<String> newShape = model.shape();
        if (!newShape.equals(shape)) rebuild(model); else updateInPlace(model);
        shape = newShape;
    }

    private void rebuild(TrayMenuModel model) {
        var menu = tray.getMenu();
        for (Entry e : entries.values()) menu.remove(e);
        entries.clear();
        for (TrayMenuModel.Item item : model.items()) {
            if (item instanceof TrayMenuModel.Label l && l.id().equals(TrayMenuModel.STATUS)) continue; // setStatus shows it
            Entry e;
            if (item instanceof TrayMenuModel.Label l) {
                MenuItem info = new MenuItem(label(l.text()));   // a line to read (the sync line), not to choose
                info.setEnabled(false);
                e = info;
            } else if (item instanceof TrayMenuModel.Separator) {
                e = new Separator();
            } else if (item instanceof TrayMenuModel.Toggle t) {
                Checkbox cb = new Checkbox(label(t.text()));
                cb.setChecked(t.checked());
                cb.setEnabled(t.enabled());
                Character key = SHORTCUTS.get(t.id());
                if (key != null) cb.setShortcut(key);
                cb.setCallback(ev -> actions.chosen(t.id(), cb.getChecked()));
                e = cb;
            } else {
                TrayMenuModel.Action a = (TrayMenuModel.Action) item;
                MenuItem mi = new MenuItem(label(a.text()));
                mi.setEnabled(a.enabled());
                Character key = SHORTCUTS.get(a.id());
                if (key != null) mi.setShortcut(key);
                mi.setCallback(ev -> actions.chosen(a.id(), false));
                e = mi;
            }
            menu.add(e);
            entries.put(item.id(), e);
        }
    }

    private void updateInPlace(TrayMenuModel model) {
        for (TrayMenuModel.Item item : model.items()) {
            Entry e = entries.get(item.id());
            if (e instanceof Checkbox cb && item instanceof TrayMenuModel.Toggle t) {
                if (!cb.getText().equals(label(t.text()))) cb.setText(label(t.text()));
                if (cb.getChecked() != t.checked()) cb.setChecked(t.checked());
                if (cb.getEnabled() != t.enabled()) cb.setEnabled(t.enabled());
            } else if (e instanceof MenuItem mi && item instanceof TrayMenuModel.Action a) {
                if (!mi.getText().equals(label(a.text()))) mi.setText(label(a.text()));
                if (mi.getEnabled() != a.enabled()) mi.setEnabled(a.enabled());
            } else if (e instanceof MenuItem mi && item instanceof TrayMenuModel.Label l) {
                if (!mi.getText().equals(label(l.text()))) mi.setText(label(l.text()));
            }
        }
    }

    /** GTK reads "_x" in a menu label as a mnemonic: an account called "team_a" must keep its underscore. */
    private String label(String text) {
        return gtk ? text.replace("_", "__") : text;
    }

    @Override
    public void close() {
        try {
            tray.shutdown();
        } catch (RuntimeException e) {
            log.debug("tray shutdown: {}", e.toString());
        }
    }
}
