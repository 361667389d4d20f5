package io.codexrelay.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.account.Account;
import io.codexrelay.account.BalanceSource;
import io.codexrelay.account.Credentials;
import io.codexrelay.account.Wire;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Polls the balance endpoint of accounts that have a {@link BalanceSource} (issue 12: relay services and providers
 * such as DeepSeek's {@code /user/balance} or OpenRouter's {@code /api/v1/key}) and feeds the reading to the same
 * {@link QuotaTracker} ChatGPT's windows go to, as a {@link QuotaSnapshot} with source {@code balance}: the remaining
 * amount as its credit balance and, when the limit is known, the used share as its primary window (no reset time).
 * A balance of zero or less puts the account out like a full window. A failed poll (no answer, an error status, a
 * path that is not in the answer) changes nothing: it is logged and shown as the last poll's error, never read as
 * exhaustion.
 */
public final class BalancePoller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BalancePoller.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String SOURCE = "balance";
    static final Duration TICK = Duration.ofSeconds(15);

    /** One poll's result: the amounts read, or why nothing was read. */
    public record Outcome(String account, boolean ok, BigDecimal remaining, BigDecimal limit, String detail) {}

    private final Supplier<List<Account>> accounts;
    private final QuotaTracker tracker;
    private final HttpClient http;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private volatile Duration timeout;
    private final Map<String, Instant> due = new ConcurrentHashMap<>();
    private final Map<String, Outcome> last = new ConcurrentHashMap<>();
    private ScheduledFuture<?> task;

    public BalancePoller(Supplier<List<Account>> accounts, QuotaTracker tracker, HttpClient http,
                         ScheduledExecutorService scheduler, Clock clock, Duration timeout) {
        this.accounts = accounts;
        this.tracker = tracker;
        this.http = http;
        this.scheduler = scheduler;
        this.clock = clock;
        this.timeout = timeout;
    }

    public synchronized void start(Duration initialDelay) {
        if (task != null) task.cancel(false);
        task = scheduler.scheduleWithFixedDelay(this::pollDue, initialDelay.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void setTimeout(Duration timeout) { this.timeout = timeout; }

    /** The last poll's outcome of an account (null: never polled). */
    public Outcome last(String account) { return last.get(account); }

    private void pollDue() {
        try {
            Instant now = clock.instant();
            for (Account a : accounts.get()) {
                if (!a.enabled() || a.balance() == null) continue;
                Instant next = due.get(a.name());
                if (next != null && now.isBefore(next)) continue;
                due.put(a.name(), now.plus(a.balance().interval()));
                poll(a);
            }
        } catch (RuntimeException e) {
            log.warn("Balance polls failed: {}", e.toString());
        }
    }

    /** Polls every account with a balance source now. */
    public CompletableFuture<List<Outcome>> pollAll() {
        List<CompletableFuture<Outcome>> all = new ArrayList<>();
        for (Account a : accounts.get()) if (a.enabled() && a.balance() != null) all.add(poll(a));
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
    }

    /** Polls one account's balance source and records a good reading. */
    public CompletableFuture<Outcome> poll(Account a) {
        BalanceSource src = a.balance();
        if (src == null) return CompletableFuture.completedFuture(new Outcome(a.name(), false, null, null, "no balance source"));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(src.url())).GET().timeout(timeout).header("accept", "application/json");
        if (a.credentials() instanceof Credentials.ApiKey k) {
            if (k.wire() == Wire.ANTHROPIC) b.header("x-api-key", k.key());
            else b.header("authorization", "Bearer " + k.key());
        }
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString())
                .handle((resp, err) -> {
                    Outcome o = err != null ? failed(a, "no answer: " + rootMessage(err))
                            : resp.statusCode() / 100 != 2 ? failed(a, "HTTP " + resp.statusCode())
                            : read(a, src, resp.body());
                    last.put(a.name(), o);
                    return o;
                });
    }

    private Outcome read(Account a, BalanceSource src, String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (Exception e) {
            return failed(a, "the answer is not JSON");
        }
        BigDecimal remaining = number(root, src.remainingPath());
        if (remaining == null) return failed(a, "no number at '" + src.remainingPath() + "' in the answer");
        BigDecimal limit = src.limitPath() == null ? null : number(root, src.limitPath());
        if (src.limitPath() != null && limit == null) return failed(a, "no number at '" + src.limitPath() + "' in the answer");
        Instant now = clock.instant();
        tracker.update(a, snapshot(remaining, limit, now));
        return new Outcome(a.name(), true, remaining, limit, "remaining " + remaining.toPlainString()
                + (limit == null ? "" : " of " + limit.toPlainString()));
    }

    /** The reading as the quota view knows it: used share as the primary window when the limit is known. */
    static QuotaSnapshot snapshot(BigDecimal remaining, BigDecimal limit, Instant now) {
        QuotaWindow primary = null;
        if (limit != null && limit.signum() > 0) {
            double used = 100.0 * (1.0 - remaining.doubleValue() / limit.doubleValue());
            primary = new QuotaWindow(Math.max(0, Math.min(100, used)), null, null);
        } else if (remaining.signum() <= 0) {
            primary = new QuotaWindow(100, null, null);
        }
        return new QuotaSnapshot(primary, null, remaining.signum() > 0 ? null : Boolean.FALSE, null,
                remaining.stripTrailingZeros().toPlainString(), null, SOURCE, now);
    }

    /** The number at a dotted path with {@code [N]} indexes; a numeric string counts (DeepSeek sends "110.00"). */
    static BigDecimal number(JsonNode root, String path) {
        JsonNode n = root;
        for (String part : path.split("\\.")) {
            int bracket = part.indexOf('[');
            String name = bracket < 0 ? part : part.substring(0, bracket);
            n = n == null ? null : n.get(name);
            while (n != null && bracket >= 0) {
                int close = part.indexOf(']', bracket);
                n = n.get(Integer.parseInt(part.substring(bracket + 1, close)));
                bracket = part.indexOf('[', close);
            }
            if (n == null) return null;
        }
        if (n.isNumber()) return n.decimalValue();
        if (n.isTextual()) {
            try {
                return new BigDecimal(n.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private Outcome failed(Account a, String detail) {
        log.info("Balance poll of {} failed ({}); its quota view is unchanged", a.name(), detail);
        return new Outcome(a.name(), false, null, null, detail);
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof java.net.http.HttpTimeoutException) return "timed out";
        if (c instanceof java.net.ConnectException) return "could not connect";
        return c.getClass().getSimpleName();
    }

    @Override
    public synchronized void close() {
        if (task != null) task.cancel(false);
    }
}
