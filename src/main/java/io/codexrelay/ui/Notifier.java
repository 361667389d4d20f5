package io.codexrelay.ui;

import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.events.RelayEvent.AccountExhausted;
import io.codexrelay.events.RelayEvent.AccountRecovered;
import io.codexrelay.events.RelayEvent.AccountSwitched;
import io.codexrelay.events.RelayEvent.ModeChanged;
import io.codexrelay.events.RelayEvent.PoolExhausted;
import io.codexrelay.events.RelayEvent.QuotaChanged;
import io.codexrelay.events.RelayEvent.ReloginNeeded;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Turns relay events into a few notifications that say what happened and what the relay did about it.
 *
 * <p>Events are collected for a short merge window, so "A ran out" and "switched to B" become one message
 * ("Plus-2 is out until 14:05 — switched to Pro-1"); a burst of several becomes one summary. The same message for
 * the same account is not repeated within {@link #REPEAT_AFTER}. Each kind can be switched off in the config.
 */
public final class Notifier {

    public enum Kind { EXHAUSTED, POOL_EXHAUSTED, RELOGIN, THRESHOLD, RECOVERED, POOL_PACE }

    public record Notification(Kind kind, String title, String body, boolean urgent) {}

    /** Shows one notification (desktop service, balloon or toast). May block; called on the notifier's thread. */
    public interface Sink {
        void show(Notification n);

        /** With the meter the notification's icon shows: the state it reports (an account out: its empty bar). */
        default void show(Notification n, IconState icon) { show(n); }
    }

    /** Which kinds are on, and the 5-hour usage that warns (100 = never); from the {@code ui.*} config keys. */
    public record Prefs(boolean exhausted, boolean poolExhausted, boolean relogin, boolean recovered, double thresholdPercent) {
        public static final Prefs ALL = new Prefs(true, true, true, true, 90);

        public static Prefs from(Map<String, Object> cfg) {
            return new Prefs(bool(cfg, "ui.notify_exhausted"), bool(cfg, "ui.notify_pool_exhausted"), bool(cfg, "ui.notify_relogin"),
                    bool(cfg, "ui.notify_recovered"), cfg.get("ui.notify_threshold_percent") instanceof Number n ? n.doubleValue() : 90);
        }

        private static boolean bool(Map<String, Object> cfg, String k) { return !Boolean.FALSE.equals(cfg.get(k)); }

        boolean on(Kind k) {
            return switch (k) {
                case EXHAUSTED -> exhausted;
                case POOL_EXHAUSTED, POOL_PACE -> poolExhausted;
                case RELOGIN -> relogin;
                case THRESHOLD -> thresholdPercent < 100;
                case RECOVERED -> recovered;
            };
        }
    }

    static final Duration MERGE_WINDOW = Duration.ofMillis(1500);
    static final Duration REPEAT_AFTER = Duration.ofMinutes(10);
    static final int MAX_SEPARATE = 2;

    private final Sink sink;
    private final Clock clock;
    private final ZoneId zone;
    private final Later later;
    private final Supplier<Prefs> prefs;

    // guarded by this
    private final List<RelayEvent> pending = new ArrayList<>();
    private boolean flushScheduled;
    private final Map<String, Double> lastPrimaryUsed = new HashMap<>();
    private final Map<String, QuotaSnapshot> lastQuota = new HashMap<>();
    private final Map<Notification, IconState> icons = new HashMap<>();
    private final Map<String, Instant> lastSent = new HashMap<>();
    private String serving;
    private String pinned;

    /** Runs a task after a delay (a scheduler in the app, a hand-cranked queue in tests). */
    public interface Later { void run(Runnable task, Duration delay); }

    public Notifier(Sink sink, Clock clock, ZoneId zone, Later later, Supplier<Prefs> prefs) {
        this.sink = sink;
        this.clock = clock;
        this.zone = zone;
        this.later = later;
        this.prefs = prefs;
    }

    public static Later on(ScheduledExecutorService scheduler) {
        return (task, delay) -> scheduler.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The serving and pinned account as the last status snapshot said (either may be null). */
    public synchronized void setContext(String serving, String pinned) {
        this.serving = serving;
        this.pinned = pinned;
    }

    /** Called on the event bus thread for every event. */
    public synchronized void onEvent(RelayEvent e) {
        if (e instanceof AccountSwitched s) serving = s.to();
        if (e instanceof ModeChanged m) pinned = m.pinned();
        if (!(e instanceof AccountExhausted || e instanceof AccountSwitched || e instanceof PoolExhausted
                || e instanceof ReloginNeeded || e instanceof RelayEvent.KeyRejected || e instanceof AccountRecovered || e instanceof QuotaChanged || e instanceof ModeChanged)) {
            return;
        }
        if (e instanceof QuotaChanged q && q.quota() != null) lastQuota.put(q.account(), q.quota());
        if (e instanceof QuotaChanged q && !crossedThreshold(q)) return;
        if (e instanceof AccountRecovered r && (pinned == null || !pinned.equals(r.account()))) return;
        pending.add(e);
        if (!flushScheduled) {
            flushScheduled = true;
            later.run(this::flush, MERGE_WINDOW);
        }
    }

    private boolean crossedThreshold(QuotaChanged q) {
        QuotaSnapshot s = q.quota();
        Double now = s == null || s.primary() == null ? null : s.primary().usedPercent();
        Double before = now == null ? lastPrimaryUsed.get(q.account()) : lastPrimaryUsed.put(q.account(), now);
        if (now == null || before == null) return false;
        double t = prefs.get().thresholdPercent();
        // At 100 % the account is out: the exhaustion (or all-out) message that follows says so, once.
        return t < 100 && before < t && now >= t && now < 100 && q.account().equals(serving);
    }

    /**
     * The pool as a whole will run dry before the earliest reset at this pace: warns once per reset time (a new
     * reset time is a new window). {@code serving} gives the icon its bars.
     */
    public void poolPace(io.codexrelay.app.Pace pace, Instant earliestReset, String serving) {
        if (pace == null || !pace.runsDry() || pace.outIn().isZero() || !prefs.get().on(Kind.POOL_PACE)) return;
        Notification n;
        IconState icon;
        synchronized (this) {
            Instant now = clock.instant();
            List<Notification> out = new ArrayList<>();
            icons.clear();
            String title = "At this pace every account is out in " + Fmt.duration(pace.outIn());
            String key = Kind.POOL_PACE + "|" + earliestReset;
            if (lastSent.containsKey(key)) return;
            lastSent.put(key, now);
            n = new Notification(Kind.POOL_PACE, title, "The first reset is in " + Fmt.duration(pace.resetsIn())
                    + (earliestReset == null ? "" : " (" + Fmt.clock(earliestReset, now, zone) + ")") + ". Slow down, or add an account.", false);
            out.add(n);
            icon = iconFor(Kind.POOL_PACE, serving);
        }
        sink.show(n, icon);
    }

    /** Composes and sends what collected. Runs on the scheduler. */
    void flush() {
        List<Notification> out;
        Map<Notification, IconState> iconOf;
        synchronized (this) {
            flushScheduled = false;
            icons.clear();
            out = compose(new ArrayList<>(pending));
            iconOf = new HashMap<>(icons);
            pending.clear();
        }
        Prefs p = prefs.get();
        out = out.stream().filter(n -> p.on(n.kind())).toList();
        if (out.isEmpty()) return;
        if (out.size() > MAX_SEPARATE) {
            StringBuilder body = new StringBuilder();
            for (Notification n : out) body.append(n.title()).append('\n');
            boolean urgent = out.stream().anyMatch(Notification::urgent);
            Kind kind = out.stream().anyMatch(n -> n.kind() == Kind.POOL_EXHAUSTED) ? Kind.POOL_EXHAUSTED : out.get(0).kind();
            Notification first = out.stream().filter(n -> n.kind() == Kind.POOL_EXHAUSTED).findFirst().orElse(out.get(0));
            sink.show(new Notification(kind, "codex-relay: " + Fmt.count(out.size(), "change"), body.toString().trim(), urgent), iconOf.get(first));
        } else {
            out.forEach(n -> sink.show(n, iconOf.get(n)));
        }
    }

    private List<Notification> compose(List<RelayEvent> events) {
        Instant now = clock.instant();
        List<Notification> out = new ArrayList<>();
        boolean userChangedMode = events.stream().anyMatch(e -> e instanceof ModeChanged);
        PoolExhausted pool = null;
        for (RelayEvent e : events) if (e instanceof PoolExhausted p) pool = p;
        List<String> switchedAway = new ArrayList<>();

        for (RelayEvent e : events) {
            if (e instanceof AccountExhausted x) {
                if (pool != null) continue; // the pool message says more
                String until = x.until() == null ? "" : " until " + Fmt.clock(x.until(), now, zone);
                AccountSwitched sw = events.stream().filter(s -> s instanceof AccountSwitched a && x.account().equals(a.from()) && a.to() != null)
                        .map(s -> (AccountSwitched) s).findFirst().orElse(null);
                if (sw != null) {
                    switchedAway.add(x.account());
                    add(out, now, Kind.EXHAUSTED, x.account(), x.account() + " is out" + until + " — switched to " + sw.to(),
                            reason(x.reason()), false);
                } else {
                    add(out, now, Kind.EXHAUSTED, x.account(), x.account() + " is out" + until, reason(x.reason()), false);
                }
            } else if (e instanceof AccountSwitched s) {
                // A switch away from the pinned account that no exhaustion explains, and the user did not ask for.
                if (pool != null || userChangedMode || s.from() == null || s.to() == null) continue;
                if (switchedAway.contains(s.from())) continue;
                boolean explained = events.stream().anyMatch(o -> o instanceof AccountExhausted x && x.account().equals(s.from()));
                if (explained || !s.from().equals(pinned)) continue;
                add(out, now, Kind.EXHAUSTED, s.from(), s.from() + " cannot serve now — switched to " + s.to(), reason(s.reason()), false);
            } else if (e instanceof PoolExhausted p) {
                String when = p.earliestReset() == null ? "" : " — first reset at " + Fmt.clock(p.earliestReset(), now, zone);
                add(out, now, Kind.POOL_EXHAUSTED, "", "All accounts are out" + when,
                        "Codex is told when to try again. Add an account or wait for the reset.", true);
            } else if (e instanceof ReloginNeeded r) {
                add(out, now, Kind.RELOGIN, r.account(), r.account() + " needs a new login",
                        "Open Settings › Accounts and choose “Log in with ChatGPT…”." + (r.reason() == null ? "" : " (" + r.reason() + ")"), true);
            } else if (e instanceof RelayEvent.KeyRejected k) {
                add(out, now, Kind.RELOGIN, k.account(), k.account() + ": API key rejected — replace it",
                        "The upstream answered 401 invalid_api_key. Remove the account and add it again with the new key "
                        + "(Settings › Accounts, or `codex-relay accounts add-key`).", true);
            } else if (e instanceof QuotaChanged q) {
                // The same moment's exhaustion or all-out message says more: one event, one notification.
                if (pool != null || events.stream().anyMatch(o -> o instanceof AccountExhausted x && x.account().equals(q.account()))) continue;
                var w = q.quota().primary();
                String reset = w.resetsAt() == null ? "" : " — resets " + Fmt.clock(w.resetsAt(), now, zone);
                add(out, now, Kind.THRESHOLD, q.account(), q.account() + " has used " + Fmt.percent(w.usedPercent())
                        + " of its 5-hour window" + reset, null, false);
            } else if (e instanceof AccountRecovered r) {
                add(out, now, Kind.RECOVERED, r.account(), r.account() + " has quota again",
                        "New requests go to it again (it is pinned).", false);
            }
        }
        return out;
    }

    private void add(List<Notification> out, Instant now, Kind kind, String account, String title, String body, boolean urgent) {
        String key = kind + "|" + account + "|" + title;
        Instant last = lastSent.get(key);
        if (last != null && Duration.between(last, now).compareTo(REPEAT_AFTER) < 0) return;
        lastSent.put(key, now);
        Notification n = new Notification(kind, title, body, urgent);
        out.add(n);
        icons.put(n, iconFor(kind, account));
    }

    /** The meter the notification shows: the state it reports, not the serving account's green bars. */
    private IconState iconFor(Kind kind, String account) {
        QuotaSnapshot q = account == null ? null : lastQuota.get(account);
        Double p = q == null || q.primary() == null ? null : q.primary().usedPercent();
        Double w = q == null || q.secondary() == null ? null : q.secondary().usedPercent();
        return switch (kind) {
            case POOL_EXHAUSTED -> new IconState(100.0, 100.0, IconState.Mark.ALL_OUT);
            case POOL_PACE -> new IconState(p, w, IconState.Mark.NONE);
            case EXHAUSTED -> new IconState(100.0, w, IconState.Mark.NONE);
            case RELOGIN -> new IconState(p, w, IconState.Mark.RELOGIN);
            case THRESHOLD, RECOVERED -> new IconState(p, w, IconState.Mark.NONE);
        };
    }

    private static String reason(String r) {
        return r == null || r.isBlank() ? null : Character.toUpperCase(r.charAt(0)) + r.substring(1) + ".";
    }
}
