package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;
import io.codexrelay.pool.QuotaTracker;
import io.codexrelay.pool.PoolView;
import io.codexrelay.pool.QuotaHeaders;
import org.eclipse.jetty.http.HttpField;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How Codex sees the pool. Codex reads the {@code x-codex-*} quota headers of every answer and, in some versions,
 * asks {@code /wham/usage} (or {@code /api/codex/usage}) itself; the relay answers both with the pool's view instead
 * of one upstream account's, so Codex's own status shows real headroom.
 *
 * <p>Which quota stands for the pool is {@link PoolView}'s choice (serving account or the pool's best).
 */
public final class PooledUsage {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The plan names Codex's usage payload accepts (its deserializer rejects any other). */
    public static final Set<String> PLAN_TYPES = Set.of("guest", "free", "go", "plus", "pro", "free_workspace", "team",
            "business", "education", "quorum", "k12", "enterprise", "edu");
    static final String FALLBACK_PLAN = "plus";

    private PooledUsage() {}

    /** See {@link PoolView#view}. */
    public static QuotaSnapshot view(PoolView.Mode mode, QuotaSnapshot serving, Collection<QuotaSnapshot> serviceable,
                                     Collection<QuotaSnapshot> all, Instant now) {
        return PoolView.view(mode, serving, serviceable, all, now);
    }

    /** The {@code x-codex-*} headers for a view (empty when the view is null). */
    public static Map<String, String> headers(QuotaSnapshot view, Instant now) {
        return headersOf(QuotaTracker.effective(view, now));
    }

    /** The {@code x-codex-*} headers for a view already made effective (empty when it is null). */
    private static Map<String, String> headersOf(QuotaSnapshot v) {
        Map<String, String> h = new LinkedHashMap<>();
        if (v == null) return h;
        windowHeaders(h, QuotaHeaders.PRIMARY, v.primary());
        windowHeaders(h, QuotaHeaders.SECONDARY, v.secondary());
        if (v.hasCredits() != null) h.put(QuotaHeaders.HAS_CREDITS, v.hasCredits().toString());
        if (v.unlimitedCredits() != null) h.put(QuotaHeaders.UNLIMITED, v.unlimitedCredits().toString());
        if (v.creditBalance() != null) h.put(QuotaHeaders.BALANCE, v.creditBalance());
        return h;
    }

    /** The fields made last (for {@code shown}, an effective view), for the next answer of any account. */
    private record Made(QuotaSnapshot shown, List<HttpField> fields) {}

    private static volatile Made lastMade;

    /**
     * {@link #headers} as header fields, for every answer to Codex: made again only when what they show changes
     * (most answers in a row show the same quota; fields are immutable, so answers share them). The effective view
     * is still taken at {@code now}, so a window whose reset has passed shows as reset.
     */
    public static List<HttpField> fields(QuotaSnapshot view, Instant now) {
        QuotaSnapshot v = QuotaTracker.effective(view, now);
        if (v == null) return List.of();
        Made last = lastMade;
        if (last != null && QuotaTracker.sameReading(last.shown(), v)) return last.fields();
        List<HttpField> fields = new ArrayList<>();
        headersOf(v).forEach((name, value) -> fields.add(new HttpField(name, value)));
        Made made = new Made(v, List.copyOf(fields));
        lastMade = made;
        return made.fields();
    }

    private static void windowHeaders(Map<String, String> h, QuotaHeaders names, QuotaWindow w) {
        if (w == null) return;
        h.put(names.usedPercent(), percent(w.usedPercent()));
        if (w.windowMinutes() != null) h.put(names.windowMinutes(), w.windowMinutes().toString());
        if (w.resetsAt() != null) h.put(names.resetAt(), Long.toString(w.resetsAt().getEpochSecond()));
    }

    private static String percent(double d) {
        double c = Math.max(0, d);
        return c == Math.rint(c) ? Long.toString((long) c) : Double.toString(Math.round(c * 100) / 100.0);
    }

    /**
     * The body of {@code GET /backend-api/wham/usage} and {@code GET /api/codex/usage} for a view, in Codex's shape
     * (integer percentages and times; every window field present). {@code planType} falls back to the view's plan.
     */
    public static String usageJson(QuotaSnapshot view, String planType, Instant now) {
        QuotaSnapshot v = QuotaTracker.effective(view, now);
        ObjectNode root = JSON.createObjectNode();
        String plan = planType != null ? planType : v == null ? null : v.planType();
        plan = plan == null ? FALLBACK_PLAN : plan.toLowerCase(Locale.ROOT);
        root.put("plan_type", PLAN_TYPES.contains(plan) ? plan : FALLBACK_PLAN);
        boolean reached = v != null && QuotaTracker.exhaustedUntil(v, now).isPresent();
        ObjectNode rl = root.putObject("rate_limit");
        rl.put("allowed", !reached);
        rl.put("limit_reached", reached);
        putWindow(rl, "primary_window", v == null ? null : v.primary(), QuotaTrackerDefaults.PRIMARY, now);
        putWindow(rl, "secondary_window", v == null ? null : v.secondary(), QuotaTrackerDefaults.SECONDARY, now);
        if (v != null && (v.hasCredits() != null || v.unlimitedCredits() != null || v.creditBalance() != null)) {
            ObjectNode c = root.putObject("credits");
            c.put("has_credits", Boolean.TRUE.equals(v.hasCredits()));
            c.put("unlimited", Boolean.TRUE.equals(v.unlimitedCredits()));
            if (v.creditBalance() != null) c.put("balance", v.creditBalance()); else c.putNull("balance");
        } else {
            root.putNull("credits");
        }
        root.putArray("additional_rate_limits");
        return root.toString();
    }

    private static final class QuotaTrackerDefaults {
        static final Duration PRIMARY = Duration.ofHours(5);
        static final Duration SECONDARY = Duration.ofDays(7);
    }

    private static void putWindow(ObjectNode rl, String field, QuotaWindow w, Duration defaultLength, Instant now) {
        if (w == null) {
            rl.putNull(field);
            return;
        }
        long seconds = w.windowMinutes() != null ? w.windowMinutes() * 60L : defaultLength.toSeconds();
        // Codex wants a reset time; when unknown, the end of a window starting now is the honest upper bound.
        Instant reset = w.resetsAt() != null ? w.resetsAt() : now.plusSeconds(seconds);
        ObjectNode n = rl.putObject(field);
        n.put("used_percent", (int) Math.min(100, Math.max(0, Math.round(w.usedPercent()))));
        n.put("limit_window_seconds", seconds);
        n.put("reset_after_seconds", Math.max(0, reset.getEpochSecond() - now.getEpochSecond()));
        n.put("reset_at", reset.getEpochSecond());
    }
}
