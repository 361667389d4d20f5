package io.codexrelay.ui;

import io.codexrelay.app.UiStateFiles;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;

/**
 * The tray icon as it was last shown, kept in the relay home ({@code tray-icon.properties}), so that the next launch
 * paints the stored quota at once instead of grey "unknown" bars while the relay starts.
 */
final class StoredIcon {
    private final Path file;

    StoredIcon(Path file) {
        this.file = file;
    }

    /** The stored icon, or null when there is none (first launch) or it cannot be read. */
    IconState load() {
        if (file == null || !Files.isRegularFile(file)) return null;
        try {
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(file)));
            return new IconState(number(p.getProperty("primary")), number(p.getProperty("secondary")),
                    IconState.Mark.valueOf(p.getProperty("mark", "NONE")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    void save(IconState icon) throws IOException {
        if (file == null) return;
        StringBuilder sb = new StringBuilder("# The tray icon as last shown (codex-relay paints it at the next start).\n");
        if (icon.primaryUsed() != null) sb.append("primary=").append(String.format(Locale.ROOT, "%.1f", icon.primaryUsed())).append('\n');
        if (icon.secondaryUsed() != null) sb.append("secondary=").append(String.format(Locale.ROOT, "%.1f", icon.secondaryUsed())).append('\n');
        sb.append("mark=").append(icon.mark().name()).append('\n');
        UiStateFiles.write(file, sb.toString(), false);
    }

    private static Double number(String s) {
        return s == null || s.isBlank() ? null : Double.valueOf(s.trim());
    }

    /** A short description for the log ("unknown", "5h 35 % used · week 12 % used"). */
    static String describe(IconState s) {
        if (s.primaryUsed() == null && s.secondaryUsed() == null && s.mark() == IconState.Mark.NONE) return "unknown";
        StringBuilder sb = new StringBuilder();
        if (s.primaryUsed() != null) sb.append("5h ").append(Fmt.percent(s.primaryUsed())).append(" used");
        if (s.secondaryUsed() != null) sb.append(sb.isEmpty() ? "" : " · ").append("week ").append(Fmt.percent(s.secondaryUsed())).append(" used");
        if (s.mark() != IconState.Mark.NONE) sb.append(sb.isEmpty() ? "" : " · ").append(s.mark().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        return sb.isEmpty() ? "no quota" : sb.toString();
    }
}
