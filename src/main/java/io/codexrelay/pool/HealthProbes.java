package io.codexrelay.pool;

import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;
import io.codexrelay.account.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * Background health checks for accounts of other wires (issue 12): {@code GET {base}/models} for {@code chat}
 * accounts (Bearer key) and Anthropic's {@code GET {base}/v1/models} ({@code x-api-key}) for {@code anthropic} ones,
 * the cheapest request both accept, costing no tokens. A probe that cannot connect, times out, gets a 5xx or has its
 * key refused (401/403) makes the account unhealthy ({@link AccountHealth}): routing then skips it while another can
 * serve, and the status shows it. A failing account is probed again after 30 s, doubling up to 10 min; a healthy one
 * every 5 min. Any other answer (200, 404 from a provider without {@code /models}, 429) means the provider is up.
 * Runs on the pool's scheduler; the HTTP calls are asynchronous, never on a request thread.
 */
public final class HealthProbes implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HealthProbes.class);

    static final Duration HEALTHY_INTERVAL = Duration.ofMinutes(5);
    static final Duration FIRST_RETRY = Duration.ofSeconds(30);
    static final Duration MAX_RETRY = Duration.ofMinutes(10);
    static final Duration TICK = Duration.ofSeconds(15);

    /** One probe's result: {@code healthy}, and what was seen (status or error), never a secret. */
    public record Outcome(String account, boolean healthy, String detail) {}

    private final Supplier<List<Account>> accounts;
    private final AccountPool pool;
    private final HttpClient http;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private volatile Duration timeout;
    private final Map<String, Instant> due = new ConcurrentHashMap<>();
    private ScheduledFuture<?> task;

    public HealthProbes(Supplier<List<Account>> accounts, AccountPool pool, HttpClient http,
                        ScheduledExecutorService scheduler, Clock clock, Duration timeout) {
        this.accounts = accounts;
        this.pool = pool;
        this.http = http;
        this.scheduler = scheduler;
        this.clock = clock;
        this.timeout = timeout;
    }

    /** Starts the schedule: every {@link #TICK} the accounts whose probe is due are probed. */
    public synchronized void start(Duration initialDelay) {
        if (task != null) task.cancel(false);
        task = scheduler.scheduleWithFixedDelay(this::probeDue, initialDelay.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void setTimeout(Duration timeout) { this.timeout = timeout; }

    /** Whether the account is one the probes watch: an enabled key of the chat or anthropic wire. */
    public static boolean probed(Account a) {
        return a.enabled() && a.credentials() instanceof Credentials.ApiKey k && k.wire() != Wire.RESPONSES;
    }

    private void probeDue() {
        try {
            Instant now = clock.instant();
            for (Account a : accounts.get()) {
                if (!probed(a)) {
                    due.remove(a.name());
                    if (pool.health().isUnhealthy(a.name())) {
                        pool.health().forget(a.name());
                        pool.healthChanged(a.name(), true);
                    }
                    continue;
                }
                Instant next = due.get(a.name());
                if (next != null && now.isBefore(next)) continue;
                due.put(a.name(), now.plus(TICK.multipliedBy(40))); // in flight: not again before the answer decides
                probe(a);
            }
        } catch (RuntimeException e) {
            log.warn("Health probes failed: {}", e.toString());
        }
    }

    /** Probes every watched account now; completes when all answered or timed out. */
    public CompletableFuture<List<Outcome>> probeAll() {
        List<CompletableFuture<Outcome>> all = new ArrayList<>();
        for (Account a : accounts.get()) if (probed(a)) all.add(probe(a));
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
    }

    /** Probes one account and records the result. */
    public CompletableFuture<Outcome> probe(Account a) {
        HttpRequest request;
        try {
            request = request(a);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(record(a, false, "its base URL is not a valid URL"));
        }
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .handle((resp, err) -> {
                    if (err != null) return record(a, false, "probe failed: " + describe(err));
                    int s = resp.statusCode();
                    if (s == 401 || s == 403) return record(a, false, "probe refused the key (HTTP " + s + ")");
                    if (s >= 500) return record(a, false, "probe answered HTTP " + s);
                    return record(a, true, "HTTP " + s);
                });
    }

    private HttpRequest request(Account a) {
        Credentials.ApiKey k = (Credentials.ApiKey) a.credentials();
        String base = k.baseUrl().endsWith("/") ? k.baseUrl().substring(0, k.baseUrl().length() - 1) : k.baseUrl();
        HttpRequest.Builder b = HttpRequest.newBuilder().GET().timeout(timeout);
        if (k.wire() == Wire.ANTHROPIC) {
            b.uri(URI.create(base.endsWith("/v1") ? base + "/models" : base + "/v1/models"))
                    .header("x-api-key", k.key()).header("anthropic-version", "2023-06-01");
        } else {
            b.uri(URI.create(base + "/models")).header("authorization", "Bearer " + k.key());
        }
        return b.header("accept", "application/json").build();
    }

    private Outcome record(Account a, boolean healthy, String detail) {
        Instant now = clock.instant();
        AccountHealth health = pool.health();
        if (healthy) {
            due.put(a.name(), now.plus(HEALTHY_INTERVAL));
            if (health.passed(a.name())) pool.healthChanged(a.name(), true);
        } else {
            boolean news = health.failed(a.name(), detail, now);
            int failures = health.get(a.name()).failures();
            Duration wait = FIRST_RETRY.multipliedBy(1L << Math.min(failures - 1, 10));
            if (wait.compareTo(MAX_RETRY) > 0) wait = MAX_RETRY;
            due.put(a.name(), now.plus(wait));
            if (news) pool.healthChanged(a.name(), false);
        }
        return new Outcome(a.name(), healthy, detail);
    }

    /** When the account's next probe is due (null: not scheduled yet). */
    public Instant nextProbe(String account) { return due.get(account); }

    private static String describe(Throwable t) {
        Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof java.net.http.HttpTimeoutException) return "timed out";
        if (c instanceof java.net.ConnectException) return "could not connect";
        String m = c.getMessage();
        return c.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    @Override
    public synchronized void close() {
        if (task != null) task.cancel(false);
    }
}
