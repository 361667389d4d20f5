package io.codexrelay.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Per-account cooldowns, whole account, reset-aware. Time comes from the injected {@link Clock}, so tests can move it.
 *
 * <ul>
 *   <li>{@link FailureClass#QUOTA}: until the reset the upstream named, else one hour ("exhausted").</li>
 *   <li>{@link FailureClass#RATE_LIMITED}: {@code Retry-After} (1 s .. 15 min), else 30 s ("cooling").</li>
 *   <li>{@link FailureClass#CHALLENGE}: 15 minutes ("cooling"; the account is not blamed).</li>
 *   <li>{@link FailureClass#AUTH}: until the credentials change ("relogin", no end time).</li>
 *   <li>{@link FailureClass#TRANSIENT}: only after {@value #TRANSIENT_STRIKES} failures in a row: 30 s, doubling per
 *       further failure, at most 10 minutes ("cooling"). One blip must not take an account out.</li>
 * </ul>
 */
public final class Cooldowns {
    static final int TRANSIENT_STRIKES = 3;
    static final Duration QUOTA_DEFAULT = Duration.ofHours(1);
    static final Duration RATE_DEFAULT = Duration.ofSeconds(30);
    static final Duration RATE_MAX = Duration.ofMinutes(15);
    static final Duration CHALLENGE = Duration.ofMinutes(15);
    static final Duration TRANSIENT_BASE = Duration.ofSeconds(30);
    static final Duration TRANSIENT_MAX = Duration.ofMinutes(10);

    /** One account's cooldown. {@code state} is "exhausted", "cooling" or "relogin"; {@code until} null = until fixed. */
    public record Cooldown(FailureClass cause, String state, Instant until, String reason) {
        boolean activeAt(Instant now) { return until == null || now.isBefore(until); }
    }

    private final Clock clock;
    private final Map<String, Cooldown> active = new ConcurrentHashMap<>();
    private final Map<String, Integer> strikes = new ConcurrentHashMap<>();

    public Cooldowns(Clock clock) { this.clock = clock; }

    /**
     * Records a failed attempt. {@code until} is the reset the upstream named (quota) or now + Retry-After (rate
     * limits); null when unknown. Returns the cooldown now in force, or null when the account stays usable.
     */
    public Cooldown record(String account, FailureClass cause, Instant until, String reason) {
        Instant now = clock.instant();
        Cooldown c = switch (cause) {
            case QUOTA -> new Cooldown(cause, "exhausted", until != null && until.isAfter(now) ? until : now.plus(QUOTA_DEFAULT), reason);
            case RATE_LIMITED -> new Cooldown(cause, "cooling", clamp(now, until, RATE_DEFAULT, Duration.ofSeconds(1), RATE_MAX), reason);
            case CHALLENGE -> new Cooldown(cause, "cooling", now.plus(CHALLENGE), reason);
            case AUTH -> new Cooldown(cause, "relogin", null, reason);
            case KEY_REJECTED -> new Cooldown(cause, "key_rejected", null, reason);
            case TRANSIENT -> {
                int n = strikes.merge(account, 1, Integer::sum);
                if (n < TRANSIENT_STRIKES) yield null;
                long factor = 1L << Math.min(20, n - TRANSIENT_STRIKES);
                Duration d = TRANSIENT_BASE.multipliedBy(factor);
                if (d.compareTo(TRANSIENT_MAX) > 0) d = TRANSIENT_MAX;
                yield new Cooldown(cause, "cooling", now.plus(d), reason + " (" + n + " failures in a row)");
            }
            case STALE_REASONING, REQUEST -> null;
        };
        if (cause != FailureClass.TRANSIENT) strikes.remove(account);
        if (c == null) return null;
        // A longer cooldown already in force is never shortened by a later, milder failure.
        Cooldown merged = active.merge(account, c, (old, neu) -> outlasts(old, neu) ? old : neu);
        return merged;
    }

    private static boolean outlasts(Cooldown a, Cooldown b) {
        if (a.until() == null) return true;
        if (b.until() == null) return false;
        return a.until().isAfter(b.until());
    }

    private static Instant clamp(Instant now, Instant until, Duration dflt, Duration min, Duration max) {
        if (until == null) return now.plus(dflt);
        if (until.isBefore(now.plus(min))) return now.plus(min);
        if (until.isAfter(now.plus(max))) return now.plus(max);
        return until;
    }

    /** A successful attempt: the run of transient failures is over. */
    public void succeeded(String account) {
        strikes.remove(account);
    }

    /** The cooldown in force now, or null. Expired ones are not removed here (see {@link #expire()}). */
    public Cooldown get(String account) {
        Cooldown c = active.get(account);
        return c != null && c.activeAt(clock.instant()) ? c : null;
    }

    /** Removes cooldowns whose time has passed and returns them (name -> cooldown) so the pool can announce recovery. */
    public List<Map.Entry<String, Cooldown>> expire() {
        Instant now = clock.instant();
        List<Map.Entry<String, Cooldown>> out = new ArrayList<>();
        for (var e : active.entrySet()) {
            if (!e.getValue().activeAt(now) && active.remove(e.getKey(), e.getValue())) out.add(Map.entry(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** Forgets the account (removed) or its cooldown of the given cause (e.g. relogin after new credentials). */
    public void clear(String account, FailureClass onlyCause) {
        if (onlyCause == null) {
            active.remove(account);
            strikes.remove(account);
        } else {
            active.computeIfPresent(account, (k, c) -> c.cause() == onlyCause ? null : c);
        }
    }

    /** The earliest end of a timed cooldown in force among the accounts {@code among} accepts, or null. */
    public Instant earliestEnd(Predicate<String> among) {
        Instant now = clock.instant();
        Instant best = null;
        for (var e : active.entrySet()) {
            Cooldown c = e.getValue();
            if (c.until() != null && c.activeAt(now) && among.test(e.getKey()) && (best == null || c.until().isBefore(best))) {
                best = c.until();
            }
        }
        return best;
    }
}
