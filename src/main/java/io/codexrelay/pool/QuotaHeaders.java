package io.codexrelay.pool;

import java.util.List;

/**
 * The names of Codex's {@code x-codex-*} quota headers for one window, and of the credit headers, spelt once: the
 * relay reads them from every upstream answer, writes the pool's view of them into every answer to Codex, and turns a
 * WebSocket {@code codex.rate_limits} event into them.
 */
public record QuotaHeaders(String window, String usedPercent, String windowMinutes, String resetAt,
                           String resetAfterSeconds) {
    public static final QuotaHeaders PRIMARY = window("primary");
    public static final QuotaHeaders SECONDARY = window("secondary");
    /** The two windows, 5-hour first; {@link #window} is the word Codex uses for each in JSON and in the names. */
    public static final List<QuotaHeaders> WINDOWS = List.of(PRIMARY, SECONDARY);
    public static final String HAS_CREDITS = "x-codex-credits-has-credits";
    public static final String UNLIMITED = "x-codex-credits-unlimited";
    public static final String BALANCE = "x-codex-credits-balance";
    public static final String ACTIVE_LIMIT = "x-codex-active-limit";

    private static QuotaHeaders window(String which) {
        String p = "x-codex-" + which;
        return new QuotaHeaders(which, p + "-used-percent", p + "-window-minutes", p + "-reset-at", p + "-reset-after-seconds");
    }

    /** Whether a header (any case) is one of the quota headers the pool replaces in answers to Codex. */
    public static boolean isQuotaHeader(String name) {
        // Every answer's every header comes through here: most are not x-codex-* at all, decided on the prefix.
        if (!startsWithIgnoreCase(name, "x-codex-")) return false;
        return startsWithIgnoreCase(name, "x-codex-primary-") || startsWithIgnoreCase(name, "x-codex-secondary-")
                || startsWithIgnoreCase(name, "x-codex-credits-") || name.equalsIgnoreCase(ACTIVE_LIMIT);
    }

    private static boolean startsWithIgnoreCase(String s, String prefix) {
        return s.regionMatches(true, 0, prefix, 0, prefix.length());
    }
}
