package io.codexrelay.app;

import io.codexrelay.events.QuotaWindow;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;

/**
 * Whether a quota window runs dry before it resets, at the rate it was used since it began: used percent over the
 * time since the window's start (its reset minus its length). "At this pace: out in 1 h 10 m, resets in 2 h 30 m".
 * Pure: the time comes from the injected {@link Clock}; tests give a fixed one.
 *
 * @param outIn     how long until 100 % at this rate (null: nothing used yet, or too early in the window to tell)
 * @param resetsIn  how long until the window resets
 */
public record Pace(Duration outIn, Duration resetsIn) {

    /** Below this much of a window elapsed, the rate says more about one burst than about the pace. */
    static final Duration TOO_EARLY = Duration.ofMinutes(5);

    /** True when, at this rate, the window is used up before it resets. */
    public boolean runsDry() { return outIn != null && outIn.compareTo(resetsIn) < 0; }

    /**
     * The pace of window {@code w}; {@code defaultLength} is used when the upstream did not say how long the window
     * is (5 hours for the primary, 7 days for the secondary). Null when the window or its reset is unknown, or past.
     */
    public static Pace of(QuotaWindow w, Duration defaultLength, Clock clock) {
        if (w == null || w.resetsAt() == null) return null;
        Instant now = clock.instant();
        Duration resetsIn = Duration.between(now, w.resetsAt());
        if (resetsIn.isNegative() || resetsIn.isZero()) return null;
        Duration length = w.windowMinutes() != null && w.windowMinutes() > 0 ? Duration.ofMinutes(w.windowMinutes()) : defaultLength;
        Duration elapsed = length.minus(resetsIn);
        double used = Math.max(0, Math.min(100, w.usedPercent()));
        if (used >= 100) return new Pace(Duration.ZERO, resetsIn);
        if (used <= 0 || elapsed.compareTo(TOO_EARLY) < 0) return new Pace(null, resetsIn);
        double perSecond = used / elapsed.toSeconds();
        return new Pace(Duration.ofSeconds((long) Math.ceil((100 - used) / perSecond)), resetsIn);
    }

    /**
     * The pool as a whole: the headroom of every window given, spent at their summed rates, against the earliest
     * reset among them. Null when no window has a pace.
     */
    public static Pace pool(Collection<QuotaWindow> windows, Duration defaultLength, Clock clock) {
        double headroom = 0, perSecond = 0;
        Duration earliest = null;
        boolean any = false;
        for (QuotaWindow w : windows) {
            Pace p = of(w, defaultLength, clock);
            if (p == null) continue;
            any = true;
            double used = Math.max(0, Math.min(100, w.usedPercent()));
            headroom += 100 - used;
            if (p.outIn() != null && p.outIn().toSeconds() > 0) perSecond += (100 - used) / p.outIn().toSeconds();
            if (earliest == null || p.resetsIn().compareTo(earliest) < 0) earliest = p.resetsIn();
        }
        if (!any) return null;
        if (headroom <= 0) return new Pace(Duration.ZERO, earliest);
        return new Pace(perSecond <= 0 ? null : Duration.ofSeconds((long) Math.ceil(headroom / perSecond)), earliest);
    }

    /** "at this pace: out in 1 h 10 m, resets in 2 h 30 m", or "at this pace: lasts until the reset in 2 h 30 m". */
    public String describe() {
        if (outIn == null || !runsDry()) return "at this pace: lasts until the reset in " + human(resetsIn);
        return "at this pace: out in " + human(outIn) + ", resets in " + human(resetsIn);
    }

    /** "1 h 10 m", "45 m", "2 d 3 h", "< 1 m". */
    public static String human(Duration d) {
        if (d.isNegative() || d.isZero()) return "now";
        long mins = (d.getSeconds() + 59) / 60;
        if (mins < 1) return "< 1 m";
        if (mins < 60) return mins + " m";
        long h = mins / 60, m = mins % 60;
        if (h < 24) return m == 0 ? h + " h" : h + " h " + m + " m";
        long days = h / 24, rh = h % 24;
        return rh == 0 ? days + " d" : days + " d " + rh + " h";
    }
}
