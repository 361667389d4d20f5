package io.codexrelay.ui;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Short human forms for times, durations, percentages and token counts, as the tray and windows print them. */
public final class Fmt {
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT);
    private static final DateTimeFormatter DAY_HM = DateTimeFormatter.ofPattern("EEE HH:mm", Locale.ENGLISH);
    private static final DateTimeFormatter DATE_HM = DateTimeFormatter.ofPattern("d MMM HH:mm", Locale.ENGLISH);

    private Fmt() {}

    /** "14:05" today, "Tue 14:05" within a week, "3 Mar 14:05" beyond. */
    public static String clock(Instant t, Instant now, ZoneId zone) {
        ZonedDateTime z = t.atZone(zone);
        LocalDate today = now.atZone(zone).toLocalDate();
        if (z.toLocalDate().equals(today)) return HM.format(z);
        if (Math.abs(Duration.between(now, t).toDays()) < 6) return DAY_HM.format(z);
        return DATE_HM.format(z);
    }

    /** "1 h 20 m", "45 m", "2 d 3 h", "< 1 m"; negative durations print as "now". */
    public static String duration(Duration d) {
        if (d.isNegative() || d.isZero()) return "now";
        long mins = (d.getSeconds() + 59) / 60;
        if (mins < 1) return "< 1 m";
        if (mins < 60) return mins + " m";
        long h = mins / 60, m = mins % 60;
        if (h < 24) return m == 0 ? h + " h" : h + " h " + m + " m";
        long days = h / 24, rh = h % 24;
        return rh == 0 ? days + " d" : days + " d " + rh + " h";
    }

    /** Whole percent, rounding so that "0 %" really means nothing is left: 0.4 used prints as "100 % left". */
    public static String percent(double p) {
        return Math.round(p) + " %";
    }

    /** "1 request", "2 requests", "0 requests": the count with its noun, singular only for exactly one. */
    public static String count(long n, String noun) {
        return String.format(Locale.ROOT, "%,d", n) + " " + (n == 1 ? noun : plural(noun));
    }

    private static String plural(String noun) {
        // "entry" -> "entries", but a vowel before the y keeps it: "day" -> "days", "key" -> "keys"
        if (noun.length() > 1 && noun.endsWith("y") && "aeiou".indexOf(noun.charAt(noun.length() - 2)) < 0)
            return noun.substring(0, noun.length() - 1) + "ies";
        if (noun.endsWith("s") || noun.endsWith("x") || noun.endsWith("ch") || noun.endsWith("sh")) return noun + "es";
        return noun + "s";
    }

    /**
     * A file path that may wrap at its separators in an HTML view: Swing breaks lines only where a break is allowed,
     * and a path has none; a zero-width space after each separator adds them without changing what is shown.
     */
    public static String wrappablePath(String path) {
        return path == null ? null : path.replace("/", "/\u200B").replace("\\", "\\\u200B");
    }

    /** 950, 12.3k, 4.5M. */
    public static String tokens(long n) {
        if (n < 1000) return Long.toString(n);
        if (n < 1_000_000) return trim(n / 1000.0) + "k";
        if (n < 1_000_000_000) return trim(n / 1_000_000.0) + "M";
        return trim(n / 1_000_000_000.0) + "G";
    }

    private static String trim(double v) {
        return v >= 100 ? Long.toString(Math.round(v)) : String.format(Locale.ROOT, "%.1f", v).replace(".0", "");
    }
}
