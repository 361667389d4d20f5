package io.codexrelay.ui;

/** Text helpers for the Settings window's labels. */
final class SettingsText {
    private SettingsText() {}

    /**
     * A label text that wraps at {@code widthPx} instead of widening its window (Swing's HTML view breaks lines only
     * when the body has a width).
     */
    static String wrap(String text, int widthPx) {
        return "<html><body style='width:" + widthPx + "px'>" + escape(text).replace("\n", "<br>") + "</body></html>";
    }

    static String escape(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
