package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.PoolStatus;
import io.codexrelay.app.SyncStatus;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * The tray menu as data: built from one {@link PoolStatus} snapshot, rendered by the dorkbox tray and by the
 * no-tray control window alike, so both always say the same thing. Entry ids are stable across snapshots
 * ({@code account:<name>}, {@code auto}, ...), which lets the tray update entries in place.
 */
public record TrayMenuModel(String tooltip, String status, List<Item> items) {

    public static final String STATUS = "status", AUTO = "auto", CODEX = "codex", PAUSE = "pause", REFRESH = "refresh",
            SETTINGS = "settings", SESSIONS = "sessions", LOG = "log", QUIT = "quit", ACCOUNT_PREFIX = "account:",
            DIRECT_PREFIX = "direct:", DIRECT_UNDO = "direct-undo", SYNC = "sync";

    public sealed interface Item permits Label, Action, Toggle, Separator {
        String id();
    }

    /** Text that cannot be chosen (the status line, the sync line). */
    public record Label(String id, String text) implements Item {}

    public record Action(String id, String text, boolean enabled) implements Item {}

    /** A check item; for accounts, checked means pinned. */
    public record Toggle(String id, String text, boolean checked, boolean enabled) implements Item {}

    public record Separator(String id) implements Item {}

    /**
     * What the menu needs besides the pool: whether Codex is routed through the relay (null = unknown), whether a
     * Sessions window exists, the error text when the pool could not be read (then {@code pool} may be null), the
     * account direct mode handed to Codex, and the WebDAV sync's state (null when sync is not set up).
     */
    public record Context(Boolean codexRouted, boolean sessionsAvailable, String error, String directAccount, SyncStatus sync) {
        public Context(Boolean codexRouted, boolean sessionsAvailable, String error, String directAccount) {
            this(codexRouted, sessionsAvailable, error, directAccount, null);
        }

        public Context(Boolean codexRouted, boolean sessionsAvailable, String error) {
            this(codexRouted, sessionsAvailable, error, null);
        }

        public static Context plain() { return new Context(null, false, null); }
    }

    public static TrayMenuModel of(PoolStatus pool, Context ctx, Instant now, ZoneId zone) {
        List<Item> items = new ArrayList<>();
        String status = statusLine(pool, ctx, now, zone);
        items.add(new Label(STATUS, status));
        String sync = syncLine(ctx.sync(), now);
        if (sync != null) items.add(new Label(SYNC, sync));
        items.add(new Separator("sep-accounts"));
        if (pool != null) {
            for (AccountStatus a : pool.accounts()) {
                items.add(new Toggle(ACCOUNT_PREFIX + a.name(), accountLine(a, now, zone), a.pinned(), a.enabled() && ctx.error() == null));
            }
            if (!pool.accounts().isEmpty()) items.add(new Separator("sep-modes"));
        }
        boolean live = pool != null && ctx.error() == null;
        items.add(new Toggle(AUTO, "Auto-switch", pool != null && pool.autoSwitch(), live && pool != null && !pool.accounts().isEmpty()));
        items.add(new Toggle(CODEX, "Route Codex through relay", Boolean.TRUE.equals(ctx.codexRouted()), live && ctx.codexRouted() != null));
        // Direct mode (issue 9): Codex without the relay. Offered only where Codex's own provider can use the account.
        if (ctx.directAccount() != null) {
            items.add(new Action(DIRECT_UNDO, "Stop using " + ctx.directAccount() + " directly (undo)", live));
        } else if (pool != null) {
            for (AccountStatus a : pool.accounts()) {
                if (a.enabled() && directlyUsable(a)) items.add(new Action(DIRECT_PREFIX + a.name(), "Use " + a.name() + " directly (no relay)", live));
            }
        }
        items.add(new Toggle(PAUSE, "Pause relay", pool != null && pool.paused(), live));
        items.add(new Action(REFRESH, "Refresh quota now", live && !pool.accounts().isEmpty()));
        items.add(new Separator("sep-windows"));
        items.add(new Action(SETTINGS, "Settings…", true));
        items.add(new Action(SESSIONS, "Sessions…", ctx.sessionsAvailable()));
        items.add(new Action(LOG, "Request log…", true));
        items.add(new Separator("sep-quit"));
        items.add(new Action(QUIT, "Quit", true));
        return new TrayMenuModel(tooltip(pool, status, now, zone), status, List.copyOf(items));
    }

    /** Codex's own provider reaches ChatGPT logins and api.openai.com keys only. */
    static boolean directlyUsable(AccountStatus a) {
        return !"api-key".equals(a.kind()) || a.baseUrl() == null || a.baseUrl().replaceAll("/+$", "").equals("https://api.openai.com/v1");
    }

    /** The account name of a {@code direct:<name>} id, or null. */
    public static String directOf(String id) {
        return id.startsWith(DIRECT_PREFIX) ? id.substring(DIRECT_PREFIX.length()) : null;
    }

    /** The account name of an {@code account:<name>} id, or null. */
    public static String accountOf(String id) {
        return id.startsWith(ACCOUNT_PREFIX) ? id.substring(ACCOUNT_PREFIX.length()) : null;
    }

    public Item find(String id) {
        return items.stream().filter(i -> i.id().equals(id)).findFirst().orElse(null);
    }

    /** The ids and kinds in order: when this is unchanged, the tray can update entries in place. */
    public List<String> shape() {
        return items.stream().map(i -> i.getClass().getSimpleName() + ":" + i.id()).toList();
    }

    static String statusLine(PoolStatus pool, Context ctx, Instant now, ZoneId zone) {
        if (ctx.error() != null) return "Relay not reachable — " + ctx.error();
        if (pool == null) return "Starting…";
        if (pool.paused()) return "Paused — new requests are refused";
        if (pool.accounts().isEmpty()) return "No accounts yet — add one in Settings";
        if (pool.earliestReset() != null) return "All accounts out until " + Fmt.clock(pool.earliestReset(), now, zone);
        if (pool.serving() == null) return "No account can serve right now";
        StringBuilder sb = new StringBuilder("Serving ").append(pool.serving());
        if (pool.pinned() != null && pool.pinned().equals(pool.serving())) sb.append(" (pinned)");
        if (pool.inFlight() > 0) sb.append(" · ").append(pool.inFlight()).append(pool.inFlight() == 1 ? " request" : " requests").append(" in flight");
        return sb.toString();
    }

    /** Longest sync error shown in the menu (a menu entry does not wrap); {@code sync status} prints all of it. */
    static final int SYNC_ERROR_CHARS = 60;

    /**
     * "Synced 3 minutes ago", "Sync failed: …" (the last error, after the time of the last success when there was one),
     * "Not synced yet"; null when sync is not set up.
     */
    static String syncLine(SyncStatus s, Instant now) {
        if (s == null || !s.configured()) return null;
        Instant last = parse(s.lastSyncAt());
        if (s.lastError() != null && !s.lastError().isBlank()) {
            String err = s.lastError().strip().replaceAll("\\s+", " ").replaceFirst("^(?i)sync failed:\\s*", "");
            if (err.length() > SYNC_ERROR_CHARS) err = err.substring(0, SYNC_ERROR_CHARS - 1).strip() + "…";
            return "Sync failed: " + err + (last == null ? "" : " (last synced " + ago(last, now) + ")");
        }
        if (last == null) return "Not synced yet";
        String line = "Synced " + ago(last, now);
        int warnings = s.warnings() == null ? 0 : s.warnings().size();
        return warnings == 0 ? line : line + " · " + Fmt.count(warnings, "warning") + " (codex-relay sync status)";
    }

    /** "just now", "1 minute ago", "3 minutes ago", "2 hours ago", "4 days ago". */
    static String ago(Instant t, Instant now) {
        Duration d = Duration.between(t, now);
        if (d.toMinutes() < 1) return "just now";
        if (d.toHours() < 1) return Fmt.count(d.toMinutes(), "minute") + " ago";
        if (d.toDays() < 1) return Fmt.count(d.toHours(), "hour") + " ago";
        return Fmt.count(d.toDays(), "day") + " ago";
    }

    private static Instant parse(String iso) {
        if (iso == null || iso.isBlank()) return null;
        try {
            return Instant.parse(iso);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    static String accountLine(AccountStatus a, Instant now, ZoneId zone) {
        StringBuilder sb = new StringBuilder(a.name());
        String state = a.state() == null ? "" : a.state();
        switch (state) {
            case "disabled" -> sb.append(" · disabled");
            case "relogin" -> sb.append(" · needs a new login");
            case "key_rejected" -> sb.append(" · key rejected: replace it");
            case "exhausted" -> sb.append(" · out").append(until(a.stateUntil(), now, zone));
            case "cooling" -> sb.append(" · resting").append(until(a.stateUntil(), now, zone));
            default -> { }
        }
        if (!"disabled".equals(state) && !"relogin".equals(state) && !"key_rejected".equals(state) && !"exhausted".equals(state)) {
            QuotaSnapshot q = a.quota();
            if (q != null && (q.primary() != null || q.secondary() != null)) {
                if (q.primary() != null) sb.append(" · 5h ").append(Fmt.percent(q.primary().remainingPercent())).append(" left");
                if (q.secondary() != null) sb.append(" · week ").append(Fmt.percent(q.secondary().remainingPercent())).append(" left");
                Instant reset = nextReset(q);
                if (reset != null && reset.isAfter(now)) sb.append(" · resets ").append(Fmt.duration(Duration.between(now, reset)));
                // A step ahead: say so when, at this pace, a window runs dry before it resets.
                java.time.Clock at = java.time.Clock.fixed(now, java.time.ZoneOffset.UTC);
                io.codexrelay.app.Pace five = io.codexrelay.app.Pace.of(q.primary(), Duration.ofHours(5), at);
                io.codexrelay.app.Pace week = io.codexrelay.app.Pace.of(q.secondary(), Duration.ofDays(7), at);
                io.codexrelay.app.Pace dry = five != null && five.runsDry() ? five : week != null && week.runsDry() ? week : null;
                if (dry != null && dry.outIn().compareTo(Duration.ZERO) > 0) {
                    sb.append(" · at this pace out in ").append(Fmt.duration(dry.outIn()));
                }
            } else if ("api-key".equals(a.kind())) {
                sb.append(" · API key");
            }
        }
        if (a.inFlight() > 0) sb.append(" · ").append(a.inFlight()).append(" running");
        return sb.toString();
    }

    /** The reset that matters most: the window with the least left (the 5-hour one on ties). */
    static Instant nextReset(QuotaSnapshot q) {
        QuotaWindow p = q.primary(), s = q.secondary();
        if (p == null) return s == null ? null : s.resetsAt();
        if (s == null) return p.resetsAt();
        QuotaWindow w = s.remainingPercent() < p.remainingPercent() ? s : p;
        return w.resetsAt() != null ? w.resetsAt() : (w == s ? p.resetsAt() : s.resetsAt());
    }

    private static String until(Instant t, Instant now, ZoneId zone) {
        return t == null ? "" : " until " + Fmt.clock(t, now, zone);
    }

    private static String tooltip(PoolStatus pool, String status, Instant now, ZoneId zone) {
        if (pool == null || pool.serving() == null || pool.paused()) return "codex-relay — " + status;
        for (AccountStatus a : pool.accounts()) {
            if (a.name().equals(pool.serving())) return "codex-relay — " + accountLine(a, now, zone);
        }
        return "codex-relay — " + status;
    }
}
