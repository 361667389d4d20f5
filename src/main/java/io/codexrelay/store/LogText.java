package io.codexrelay.store;

/**
 * Makes text that came from a client or an upstream safe to store in the request log and to print on a terminal.
 * A request's {@code model} is whatever the client sent: unbounded it fills the database, and raw it lets escape
 * codes reach the terminal of whoever runs {@code logs tail} and lets CR/LF forge extra log lines (issue 9, fault 4).
 * Every control character (C0, DEL, C1 — ESC, CR, LF and the 8-bit CSI among them) and every Unicode format
 * character (bidi overrides that reorder what the reader sees) becomes {@code \\uXXXX}-style visible text, and the
 * result is cut to a bound with a trailing "…".
 */
public final class LogText {
    /** Longest model name kept; real model names are well under 64 characters. */
    public static final int MODEL_MAX = 128;
    /** Longest short field (account, path, session id, failover step, failure class). */
    public static final int FIELD_MAX = 256;
    /** Longest error text kept. */
    public static final int ERROR_MAX = 1024;

    private LogText() {}

    /** {@code text} with unsafe characters made visible and cut to {@code max} characters; null stays null. */
    public static String clean(String text, int max) {
        return clean(text, max, false);
    }

    /**
     * As {@link #clean(String, int)} but keeps line feeds and tabs, for an error text whose lines matter (the log
     * window and exports show it as several lines). A terminal printer that shows one line per row passes it through
     * {@link #clean(String, int)} again, which makes those visible too.
     */
    public static String cleanMultiline(String text, int max) {
        return clean(text, max, true);
    }

    private static String clean(String text, int max, boolean keepLines) {
        if (text == null) return null;
        if (text.length() <= max && printableAscii(text)) return text; // nearly every value: nothing to make or cut
        StringBuilder sb = new StringBuilder(Math.min(text.length(), max + 8));
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int n = Character.charCount(cp);
            i += n;
            boolean keep = keepLines && (cp == '\n' || cp == '\t');
            String escaped = !keep && unsafe(cp) ? String.format(java.util.Locale.ROOT, "\\u%04x", cp) : null;
            if (sb.length() + (escaped != null ? escaped.length() : n) > max) {
                sb.append('…');
                return sb.toString();
            }
            if (escaped != null) sb.append(escaped);
            else sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    private static boolean printableAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f) return false;
        }
        return true;
    }

    static boolean unsafe(int cp) {
        if (Character.isISOControl(cp)) return true; // C0, DEL, C1
        int type = Character.getType(cp);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
;
    }
}
