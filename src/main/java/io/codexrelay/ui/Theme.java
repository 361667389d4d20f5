package io.codexrelay.ui;

import com.formdev.flatlaf.FlatDarkLaf;
import com.formdev.flatlaf.FlatLaf;
import com.formdev.flatlaf.FlatLightLaf;
import io.codexrelay.app.Desktop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.swing.UIManager;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Colours shared by the icon, the chart and the windows, and the FlatLaf look (light or dark, following the OS
 * unless {@code ui.theme} says otherwise).
 */
public final class Theme {
    private static final Logger log = LoggerFactory.getLogger(Theme.class);

    /** Plenty of headroom. */
    public static final Color GREEN = new Color(0x2E, 0xA0, 0x43);
    /** Getting low. */
    public static final Color AMBER = new Color(0xE0, 0x9B, 0x1A);
    /** (Nearly) out. */
    public static final Color RED = new Color(0xE0, 0x3E, 0x36);
    /** Unknown / not applicable. */
    public static final Color NEUTRAL = new Color(0x8B, 0x94, 0x9E);
    /** Paused. */
    public static final Color PAUSED = new Color(0x5A, 0x63, 0x70);

    /** Remaining percent at or below which a bar turns amber, then red. */
    public static final double AMBER_BELOW = 30, RED_BELOW = 10;

    /** Series colours of the usage chart (one per account, cycling); readable on light and dark. */
    public static final List<Color> SERIES = List.of(
            new Color(0x3B, 0x82, 0xF6), new Color(0x10, 0xB9, 0x81), new Color(0xF5, 0x9E, 0x0B),
            new Color(0xEC, 0x48, 0x99), new Color(0x8B, 0x5C, 0xF6), new Color(0x06, 0xB6, 0xD4),
            new Color(0xEF, 0x44, 0x44), new Color(0x84, 0xCC, 0x16));

    private Theme() {}

    /** The colour for a quota window with {@code remaining} percent left. */
    public static Color forRemaining(double remaining) {
        if (remaining <= RED_BELOW) return RED;
        if (remaining <= AMBER_BELOW) return AMBER;
        return GREEN;
    }

    /** Installs FlatLaf: {@code theme} is "light", "dark" or "system". Call on the EDT. Returns whether dark was chosen. */
    public static boolean install(String theme, Desktop desktop) {
        boolean dark = switch (theme == null ? "system" : theme) {
            case "dark" -> true;
            case "light" -> false;
            default -> systemPrefersDark(desktop);
        };
        UIManager.put("TitlePane.unifiedBackground", true);
        UIManager.put("Table.showHorizontalLines", true);
        UIManager.put("ScrollBar.showButtons", false);
        UIManager.put("Component.arc", 6);
        UIManager.put("Button.arc", 6);
        if (dark) FlatDarkLaf.setup(); else FlatLightLaf.setup();
        FlatLaf.updateUI();
        return dark;
    }

    /** Asks the desktop whether it prefers a dark appearance; false when it cannot tell. */
    static boolean systemPrefersDark(Desktop desktop) {
        try {
            switch (desktop.family()) {
                case MAC -> {
                    return run("defaults", "read", "-g", "AppleInterfaceStyle").toLowerCase(Locale.ROOT).contains("dark");
                }
                case WINDOWS -> {
                    String out = run("reg", "query", "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Themes\\Personalize",
                            "/v", "AppsUseLightTheme");
                    return out.contains("0x0");
                }
                default -> {
                    String gtk = desktop.env().getOrDefault("GTK_THEME", "").toLowerCase(Locale.ROOT);
                    if (gtk.contains("dark")) return true;
                    if (desktop.which("gsettings").isEmpty()) return false;
                    String scheme = run("gsettings", "get", "org.gnome.desktop.interface", "color-scheme");
                    if (scheme.contains("prefer-dark")) return true;
                    return run("gsettings", "get", "org.gnome.desktop.interface", "gtk-theme").toLowerCase(Locale.ROOT).contains("dark");
                }
            }
        } catch (IOException | RuntimeException e) {
            log.debug("Could not read the desktop's light/dark setting: {}", e.toString());
            return false;
        }
    }

    private static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return "";
        }
    }
}
