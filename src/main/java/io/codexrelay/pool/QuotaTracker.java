package io.codexrelay.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.account.Account;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.store.Database;
import io.codexrelay.store.StoreException;
import org.eclipse.jetty.http.HttpFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * What the relay knows of every account's quota, from three sources: the {@code x-codex-*} headers of each upstream
 * answer ("headers"), the {@code /wham/usage} poll ("poll") and quota errors ("error": 429 {@code usage_limit_reached},
 * {@code response.failed} quota codes).
 *
 * <p>Rules: each window is merged on its own. A window describing an earlier period than the one already known
 * (its reset is clearly earlier) is stale and ignored — {@code /wham/usage} lags behind the live headers after a
 * reset; within the same period the freshest observation wins, except that a full (100 %) window stays full until
 * its reset. A window whose reset time has passed is shown as reset ({@link #effective}) until the next request or
 * poll confirms it.
 *
 * <p>Updates are cheap and lock-free per account, so the relay may call them from a Jetty thread; persistence to
 * {@code relay.db} happens on the given writer executor. Every material change publishes {@link RelayEvent.QuotaChanged}.
 */
public final class QuotaTracker {
    private static final Logger log = LoggerFactory.getLogger(QuotaTracker.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final String SOURCE_HEADERS = "headers";
    public static final String SOURCE_POLL = "poll";
    public static final String SOURCE_ERROR = "error";

    /** Two reset times closer than this describe the same window period (sources round differently). */
    static final Duration SAME_PERIOD = Duration.ofMinutes(2);
    /** When a quota error names no reset time, the account is treated as out for this long. */
    public static final Duration UNKNOWN_RESET = Duration.ofHours(1);
    static final int PRIMARY_MINUTES = 300;
    static final int SECONDARY_MINUTES = 10080;

    /** A 429 {@code usage_limit_reached}: when the limit resets (null if unknown) and the plan it names. */
    public record UsageLimit(Instant resetsAt, String planType) {}

    private final Database db;
    private final EventBus events;
    private final Clock clock;
    private final Executor writer;
    private final Map<Long, QuotaSnapshot> latest = new ConcurrentHashMap<>();
    private final Map<Long, String> names = new ConcurrentHashMap<>();
    private final java.util.List<java.util.function.BiConsumer<Account, QuotaSnapshot>> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * @param db     where snapshots persist (null: memory only)
     * @param events where {@link RelayEvent.QuotaChanged} goes (null: nowhere)
     * @param writer runs the database writes (never the caller's thread in the daemon)
     */
    public QuotaTracker(Database db, EventBus events, Clock clock, Executor writer) {
        this.db = db;
        this.events = events;
        this.clock = clock;
        this.writer = writer;
    }

    /**
     * Called, on the updating thread, with the account and its effective snapshot after every material change
     * (the pool keeps its view and cooldowns in step this way). Must not block.
     */
    public void onChange(java.util.function.BiConsumer<Account, QuotaSnapshot> listener) { listeners.add(listener); }

    // ---- updates ------------------------------------------------------------------------------------------------

    /** Reads the quota headers of an upstream answer (no-op when it carries none). Safe on a Jetty thread. */
    public void recordHeaders(Account account, HttpFields headers) {
        parseHeaders(headers::get, clock.instant()).ifPresent(s -> update(account, s));
    }

    /** {@code header} looks a response header up by name, case-insensitively. */
    public void recordHeaders(Account account, Function<String, String> header) {
        parseHeaders(header, clock.instant()).ifPresent(s -> update(account, s));
    }

    public void recordHeaders(Account account, Map<String, String> headers) {
        parseHeaders(caseInsensitive(headers), clock.instant()).ifPresent(s -> update(account, s));
    }

    /** A 429 {@code usage_limit_reached}: the window it names is at 100 % until its reset. */
    public void recordUsageLimit(Account account, UsageLimit limit) {
        Instant now = clock.instant();
        QuotaSnapshot prev = latest.get(account.id());
        Instant resets = limit.resetsAt() != null ? limit.resetsAt() : now.plus(UNKNOWN_RESET);
        boolean weekly = isWeeklyReset(prev, resets, now);
        QuotaWindow known = prev == null ? null : weekly ? prev.secondary() : prev.primary();
        Integer minutes = known != null && known.windowMinutes() != null ? known.windowMinutes()
                : weekly ? SECONDARY_MINUTES : PRIMARY_MINUTES;
        QuotaWindow w = new QuotaWindow(100, minutes, resets);
        update(account, new QuotaSnapshot(weekly ? null : w, weekly ? w : null, null, null, null,
                limit.planType(), SOURCE_ERROR, now));
    }

    /** A quota code without a reset time ({@code response.failed} {@code insufficient_quota}, ...). */
    public void recordQuotaError(Account account, String code) {
        if (code != null && code.equals("usage_limit_reached")) {
            recordUsageLimit(account, new UsageLimit(null, null));
            return;
        }
        Instant now = clock.instant();
        QuotaSnapshot prev = latest.get(account.id());
        Integer minutes = prev != null && prev.primary() != null ? prev.primary().windowMinutes() : null;
        update(account, new QuotaSnapshot(new QuotaWindow(100, minutes, now.plus(UNKNOWN_RESET)), null, null, null, null,
                null, SOURCE_ERROR, now));
    }

    /** Merges a new observation into the account's snapshot; publishes {@code QuotaChanged} when something changed. */
    public QuotaSnapshot update(Account account, QuotaSnapshot incoming) {
        Objects.requireNonNull(incoming, "incoming");
        long id = account.id();
        names.put(id, account.name());
        QuotaSnapshot[] before = new QuotaSnapshot[1];
        QuotaSnapshot merged = latest.compute(id, (k, prev) -> {
            before[0] = prev;
            return merge(prev, incoming);
        });
        if (!sameQuota(before[0], merged)) {
            QuotaSnapshot view = effective(merged, clock.instant());
            if (events != null) events.publish(new RelayEvent.QuotaChanged(account.name(), view));
            for (var l : listeners) {
                try {
                    l.accept(account, view);
                } catch (RuntimeException e) {
                    log.warn("Quota listener failed: {}", e.toString());
                }
            }
            persistLater(id);
        } else if (before[0] == null || merged.observedAt().isAfter(before[0].observedAt().plusSeconds(300))) {
            persistLater(id); // keep the stored observation time reasonably fresh without a write per request
        }
        return merged;
    }

    /** Drops an account (removed by the user). */
    public void forget(long accountId) {
        latest.remove(accountId);
        names.remove(accountId);
    }

    // ---- reading ------------------------------------------------------------------------------------------------

    /** The account's quota as the user should see it now (passed resets shown as reset), or null when unknown. */
    public QuotaSnapshot current(long accountId) {
        return effective(latest.get(accountId), clock.instant());
    }

    /** The last merged observation, without the reset view (for tests and diagnostics). */
    public QuotaSnapshot raw(long accountId) {
        return latest.get(accountId);
    }

    /** Every known account's current view, keyed by account id. */
    public Map<Long, QuotaSnapshot> all() {
        Instant now = clock.instant();
        Map<Long, QuotaSnapshot> out = new HashMap<>();
        latest.forEach((id, s) -> out.put(id, effective(s, now)));
        return out;
    }

    /** A window whose reset time has passed is reported as 0 % used with an unknown next reset. */
    public static QuotaSnapshot effective(QuotaSnapshot s, Instant now) {
        if (s == null) return null;
        QuotaWindow p = resetIfPassed(s.primary(), now), sec = resetIfPassed(s.secondary(), now);
        if (p == s.primary() && sec == s.secondary()) return s;
        return new QuotaSnapshot(p, sec, s.hasCredits(), s.unlimitedCredits(), s.creditBalance(), s.planType(), s.source(),
                s.observedAt());
    }

    private static QuotaWindow resetIfPassed(QuotaWindow w, Instant now) {
        if (w == null || w.resetsAt() == null || w.resetsAt().isAfter(now)) return w;
        return new QuotaWindow(0, w.windowMinutes(), null);
    }

    /**
     * Until when the account is out of quota per this (effective) snapshot: the latest reset among windows at 100 %,
     * or empty when it has quota (or nothing is known). Unlimited credits never run out.
     */
    public static Optional<Instant> exhaustedUntil(QuotaSnapshot eff, Instant now) {
        if (eff == null || Boolean.TRUE.equals(eff.unlimitedCredits())) return Optional.empty();
        Instant until = null;
        boolean out = false;
        for (QuotaWindow w : new QuotaWindow[] {eff.primary(), eff.secondary()}) {
            if (w != null && w.usedPercent() >= 100) {
                out = true;
                Instant r = w.resetsAt() != null ? w.resetsAt() : now.plus(UNKNOWN_RESET);
                if (until == null || r.isAfter(until)) until = r;
            }
        }
        if (out && Boolean.TRUE.equals(eff.hasCredits())) return Optional.empty(); // credits keep it serving
        return out ? Optional.of(until) : Optional.empty();
    }

    // ---- merge rules --------------------------------------------------------------------------------------------

    static QuotaSnapshot merge(QuotaSnapshot prev, QuotaSnapshot inc) {
        if (prev == null) return inc;
        boolean incNewer = !inc.observedAt().isBefore(prev.observedAt());
        QuotaWindow p = pickWindow(prev.primary(), inc.primary(), incNewer);
        QuotaWindow s = pickWindow(prev.secondary(), inc.secondary(), incNewer);
        return new QuotaSnapshot(p, s,
                pick(prev.hasCredits(), inc.hasCredits(), incNewer),
                pick(prev.unlimitedCredits(), inc.unlimitedCredits(), incNewer),
                pick(prev.creditBalance(), inc.creditBalance(), incNewer),
                pick(prev.planType(), inc.planType(), incNewer),
                incNewer ? inc.source() : prev.source(),
                incNewer ? inc.observedAt() : prev.observedAt());
    }

    static QuotaWindow pickWindow(QuotaWindow old, QuotaWindow neu, boolean neuNewer) {
        if (neu == null) return old;
        if (old == null) return neu;
        if (old.resetsAt() != null && neu.resetsAt() != null) {
            if (neu.resetsAt().isBefore(old.resetsAt().minus(SAME_PERIOD))) return old; // an earlier period: stale
            if (old.resetsAt().isBefore(neu.resetsAt().minus(SAME_PERIOD))) return neu; // a later period
            // Same period: a window the upstream declared full stays full until it resets (limits can bite below
            // 100 %, and a lagging reading must not bring an exhausted account back early).
            if (old.usedPercent() >= 100 && neu.usedPercent() < 100) return old;
        }
        return neuNewer ? neu : old;
    }

    private static <T> T pick(T old, T neu, boolean neuNewer) {
        if (neu == null) return old;
        if (old == null) return neu;
        return neuNewer ? neu : old;
    }

    private static boolean sameQuota(QuotaSnapshot a, QuotaSnapshot b) {
        if (a == null || b == null) return a == b;
        return sameReading(a, b) && Objects.equals(a.planType(), b.planType());
    }

    /**
     * Whether two snapshots read the same quota: windows and credits (what the {@code x-codex-*} headers carry), not
     * the plan, source or time. Spelt out for the same reason as {@link #sameWindow}. Neither may be null.
     */
    public static boolean sameReading(QuotaSnapshot a, QuotaSnapshot b) {
        return sameWindow(a.primary(), b.primary()) && sameWindow(a.secondary(), b.secondary())
                && Objects.equals(a.hasCredits(), b.hasCredits()) && Objects.equals(a.unlimitedCredits(), b.unlimitedCredits())
                && Objects.equals(a.creditBalance(), b.creditBalance());
    }

    /**
     * {@code Objects.equals} for windows, spelt out: this runs twice for every answer, and a record's generated
     * equals goes through method handles, which the launcher's C1-compiled code calls slowly. Compares every
     * component of {@link QuotaWindow} (QuotaTrackerTest fails when one is added and not compared here).
     */
    static boolean sameWindow(QuotaWindow a, QuotaWindow b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        return Double.compare(a.usedPercent(), b.usedPercent()) == 0 && Objects.equals(a.windowMinutes(), b.windowMinutes())
                && Objects.equals(a.resetsAt(), b.resetsAt());
    }

    /** Whether a usage-limit reset belongs to the weekly window (the 5-hour window cannot reset further away). */
    static boolean isWeeklyReset(QuotaSnapshot prev, Instant resets, Instant now) {
        if (prev != null) {
            if (near(prev.secondary(), resets)) return true;
            if (near(prev.primary(), resets)) return false;
        }
        int primaryMinutes = prev != null && prev.primary() != null && prev.primary().windowMinutes() != null
                ? prev.primary().windowMinutes() : PRIMARY_MINUTES;
        return resets.isAfter(now.plus(Duration.ofMinutes(primaryMinutes)).plus(SAME_PERIOD));
    }

    private static boolean near(QuotaWindow w, Instant t) {
        return w != null && w.resetsAt() != null && Duration.between(w.resetsAt(), t).abs().compareTo(SAME_PERIOD) <= 0;
    }

    // ---- parsing ------------------------------------------------------------------------------------------------

    /**
     * The quota carried by {@code x-codex-primary-*}, {@code x-codex-secondary-*} and {@code x-codex-credits-*} headers
     * (lookup must be case-insensitive); empty when there are none.
     */
    public static Optional<QuotaSnapshot> parseHeaders(Function<String, String> header, Instant now) {
        QuotaWindow p = headerWindow(header, QuotaHeaders.PRIMARY, now), s = headerWindow(header, QuotaHeaders.SECONDARY, now);
        Boolean has = bool(header.apply(QuotaHeaders.HAS_CREDITS));
        Boolean unlimited = bool(header.apply(QuotaHeaders.UNLIMITED));
        String balance = blankToNull(header.apply(QuotaHeaders.BALANCE));
        if (p == null && s == null && has == null && unlimited == null && balance == null) return Optional.empty();
        return Optional.of(new QuotaSnapshot(p, s, has, unlimited, balance, null, SOURCE_HEADERS, now));
    }

    public static Optional<QuotaSnapshot> parseHeaders(Map<String, String> headers, Instant now) {
        return parseHeaders(caseInsensitive(headers), now);
    }

    private static QuotaWindow headerWindow(Function<String, String> header, QuotaHeaders names, Instant now) {
        Double used = dbl(header.apply(names.usedPercent()));
        if (used == null) return null;
        Long minutes = lng(header.apply(names.windowMinutes()));
        Long resetAt = lng(header.apply(names.resetAt()));
        Instant resets = resetAt != null ? Instant.ofEpochSecond(resetAt) : null;
        if (resets == null) {
            Long after = lng(header.apply(names.resetAfterSeconds()));
            if (after != null) resets = now.plusSeconds(after);
        }
        return new QuotaWindow(used, minutes == null ? null : minutes.intValue(), resets);
    }

    /** Parses the {@code /wham/usage} (or {@code /api/codex/usage}) answer. */
    public static QuotaSnapshot parseUsageJson(String json, Instant now) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("the usage answer is not JSON");
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("the usage answer is not a JSON object");
        JsonNode rl = root.path("rate_limit");
        JsonNode credits = root.path("credits");
        return new QuotaSnapshot(usageWindow(rl.path("primary_window"), now), usageWindow(rl.path("secondary_window"), now),
                credits.path("has_credits").isBoolean() ? credits.get("has_credits").asBoolean() : null,
                credits.path("unlimited").isBoolean() ? credits.get("unlimited").asBoolean() : null,
                credits.hasNonNull("balance") ? credits.get("balance").asText() : null,
                root.hasNonNull("plan_type") ? root.get("plan_type").asText() : null,
                SOURCE_POLL, now);
    }

    private static QuotaWindow usageWindow(JsonNode w, Instant now) {
        if (w == null || !w.isObject() || !w.path("used_percent").isNumber()) return null;
        Integer minutes = w.path("limit_window_seconds").isNumber() ? (int) (w.get("limit_window_seconds").asLong() / 60) : null;
        Instant resets = null;
        if (w.path("reset_at").isNumber()) resets = Instant.ofEpochSecond(w.get("reset_at").asLong());
        else if (w.path("reset_after_seconds").isNumber()) resets = now.plusSeconds(w.get("reset_after_seconds").asLong());
        return new QuotaWindow(w.get("used_percent").asDouble(), minutes, resets);
    }

    private static Function<String, String> caseInsensitive(Map<String, String> headers) {
        TreeMap<String, String> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        m.putAll(headers);
        return m::get;
    }

    private static Double dbl(String s) {
        if (s == null || s.isBlank()) return null;
        try {
            double d = Double.parseDouble(s.trim());
            return Double.isFinite(d) ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long lng(String s) {
        Double d = dbl(s);
        return d == null ? null : d.longValue();
    }

    private static Boolean bool(String s) {
        if (s == null) return null;
        String t = s.trim();
        if (t.equalsIgnoreCase("true") || t.equals("1")) return true;
        if (t.equalsIgnoreCase("false") || t.equals("0")) return false;
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    // ---- persistence --------------------------------------------------------------------------------------------

    /** Loads the stored snapshots (call once at start, before serving). */
    public void load() throws StoreException {
        if (db == null) return;
        db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT q.*, a.name FROM account_quota q JOIN accounts a ON a.id = q.account_id");
                 var rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong("account_id");
                    latest.merge(id, read(rs), (mem, stored) -> merge(stored, mem));
                    names.put(id, rs.getString("name"));
                }
            }
            return null;
        });
    }

    private void persistLater(long id) {
        if (db == null) return;
        WriteBehind.submit(writer, "the quota of " + names.getOrDefault(id, "#" + id), () -> {
            QuotaSnapshot s = latest.get(id);
            if (s != null) save(id, s);
        });
    }

    void save(long id, QuotaSnapshot s) throws StoreException {
        db.withConnection(c -> {
            try (var ps = c.prepareStatement("INSERT INTO account_quota (account_id, primary_used, primary_window_min, "
                    + "primary_reset_ms, secondary_used, secondary_window_min, secondary_reset_ms, has_credits, unlimited_credits, "
                    + "credit_balance, plan_type, source, observed_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                    + "ON CONFLICT(account_id) DO UPDATE SET primary_used=excluded.primary_used, "
                    + "primary_window_min=excluded.primary_window_min, primary_reset_ms=excluded.primary_reset_ms, "
                    + "secondary_used=excluded.secondary_used, secondary_window_min=excluded.secondary_window_min, "
                    + "secondary_reset_ms=excluded.secondary_reset_ms, has_credits=excluded.has_credits, "
                    + "unlimited_credits=excluded.unlimited_credits, credit_balance=excluded.credit_balance, "
                    + "plan_type=excluded.plan_type, source=excluded.source, observed_at_ms=excluded.observed_at_ms")) {
                ps.setLong(1, id);
                bindWindow(ps, 2, s.primary());
                bindWindow(ps, 5, s.secondary());
                bindBool(ps, 8, s.hasCredits());
                bindBool(ps, 9, s.unlimitedCredits());
                ps.setString(10, s.creditBalance());
                ps.setString(11, s.planType());
                ps.setString(12, s.source());
                ps.setLong(13, s.observedAt().toEpochMilli());
                return ps.executeUpdate();
            } catch (SQLException e) {
                // the account was removed meanwhile (foreign key): nothing to keep
                if (e.getMessage() != null && e.getMessage().contains("FOREIGN KEY")) return 0;
                throw e;
            }
        });
    }

    private static void bindWindow(PreparedStatement ps, int at, QuotaWindow w) throws SQLException {
        if (w == null) {
            ps.setNull(at, Types.REAL);
            ps.setNull(at + 1, Types.INTEGER);
            ps.setNull(at + 2, Types.INTEGER);
            return;
        }
        ps.setDouble(at, w.usedPercent());
        if (w.windowMinutes() == null) ps.setNull(at + 1, Types.INTEGER); else ps.setInt(at + 1, w.windowMinutes());
        if (w.resetsAt() == null) ps.setNull(at + 2, Types.INTEGER); else ps.setLong(at + 2, w.resetsAt().toEpochMilli());
    }

    private static void bindBool(PreparedStatement ps, int at, Boolean b) throws SQLException {
        if (b == null) ps.setNull(at, Types.INTEGER); else ps.setInt(at, b ? 1 : 0);
    }

    private static QuotaSnapshot read(ResultSet rs) throws SQLException {
        return new QuotaSnapshot(readWindow(rs, "primary"), readWindow(rs, "secondary"), readBool(rs, "has_credits"),
                readBool(rs, "unlimited_credits"), rs.getString("credit_balance"), rs.getString("plan_type"),
                rs.getString("source"), Instant.ofEpochMilli(rs.getLong("observed_at_ms")));
    }

    private static QuotaWindow readWindow(ResultSet rs, String which) throws SQLException {
        double used = rs.getDouble(which + "_used");
        if (rs.wasNull()) return null;
        int minutes = rs.getInt(which + "_window_min");
        Integer m = rs.wasNull() ? null : minutes;
        long reset = rs.getLong(which + "_reset_ms");
        Instant r = rs.wasNull() ? null : Instant.ofEpochMilli(reset);
        return new QuotaWindow(used, m, r);
    }

    private static Boolean readBool(ResultSet rs, String col) throws SQLException {
        int v = rs.getInt(col);
        return rs.wasNull() ? null : v != 0;
    }
}
