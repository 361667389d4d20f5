package io.codexrelay.pool;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.account.Credentials;
import io.codexrelay.account.TokenRefresher;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.store.Database;
import io.codexrelay.store.RelayState;
import io.codexrelay.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The pool's services around {@link AccountPool}, wired in one place: live quota ({@link QuotaTracker}, fed by every
 * answer's headers, quota errors and the {@link UsagePoller}), routing by policy and threshold ({@link QuotaRouting}),
 * thread affinity ({@link Affinity}), token refresh ({@link TokenRefresher}), hourly usage history
 * ({@link UsageHistory}). It is the {@link AccountServices} the forwarder calls.
 *
 * <p>Threads: one "relay-pool-store" thread writes the database, one "relay-pool-poll" thread polls usage and does
 * periodic upkeep, a small "relay-token-refresh" pool refreshes tokens. Nothing here blocks a request thread.
 * The pool is built here, on the quota tracker and affinity its leases' outcomes feed; the tracker's readings (answers,
 * errors, polls) come back to {@link AccountPool#updateQuota}, which publishes {@code QuotaChanged} and keeps its quota
 * cooldowns in step with the readings (reset-aware).
 */
public final class PoolServices implements AccountServices, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PoolServices.class);
    /** Hourly usage is kept this long. */
    static final Duration HISTORY_KEEP = Duration.ofDays(400);
    static final Duration FIRST_POLL_DELAY = Duration.ofSeconds(10);

    private final AccountRepository repo;
    private final AccountPool pool;
    private final Clock clock;
    /** How long usage-history counts gather in memory before one write (see {@link UsageHistory#record}). */
    static final Duration HISTORY_LINGER = Duration.ofSeconds(2);
    private final ExecutorService writer;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService refreshThreads;
    private final QuotaTracker quota;
    private final UsageHistory history;
    private final Affinity affinity;
    private final TokenRefresher tokens;
    private final UsagePoller poller;
    private final QuotaRouting routing;
    private final HealthProbes probes;
    private final BalancePoller balances;
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
    private volatile RelayConfig config;
    private volatile Map<String, Account> byName = Map.of();
    private volatile Instant lastPurge = Instant.EPOCH;

    private PoolServices(RelayConfig config, Database db, AccountRepository repo, RelayState state, EventBus events,
                         Clock clock) throws StoreException {
        this.config = config;
        this.repo = repo;
        this.clock = clock;
        this.writer = Executors.newSingleThreadExecutor(daemon("relay-pool-store"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("relay-pool-poll"));
        ThreadPoolExecutor refresh = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemon("relay-token-refresh"));
        refresh.allowCoreThreadTimeOut(true);
        this.refreshThreads = refresh;
        HttpClient http = HttpClient.newBuilder().connectTimeout(config.upstream().connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        Duration callTimeout = callTimeout(config);
        this.quota = new QuotaTracker(db, null, clock, writer);
        this.history = new UsageHistory(db, writer, scheduler, HISTORY_LINGER);
        this.affinity = new Affinity(db, clock, config.pool().affinityIdle(), writer);
        this.tokens = new TokenRefresher(config.upstream().oauthIssuer(), repo, null, clock, http, refreshThreads, callTimeout);
        this.poller = new UsagePoller(config.upstream().chatgptBaseUrl(), this::pollable, tokens, quota, http, scheduler, clock,
                config.pool().usagePollInterval(), callTimeout);
        this.routing = new QuotaRouting(() -> this.config.pool(), affinity, clock);
        // The pool is built last, on the parts its leases' outcomes feed: quota readings and thread affinity.
        try {
            this.pool = new AccountPool(repo, state, config, events, clock, routing, quota, affinity);
        } catch (StoreException | RuntimeException e) {
            scheduler.shutdownNow();
            refreshThreads.shutdownNow();
            writer.shutdownNow();
            throw e;
        }
        // Other wires' accounts: health probes and balance polls share the poll thread and the HTTP client.
        this.probes = new HealthProbes(this::pollable, pool, http, scheduler, clock, callTimeout);
        this.balances = new BalancePoller(this::pollable, quota, http, scheduler, clock, callTimeout);
    }

    /**
     * Builds the services and the {@link AccountPool} on them, loads what {@code relay.db} remembers (quota, affinity)
     * and starts polling. Call once, before the relay serves; the pool is {@link #pool()}.
     */
    public static PoolServices start(RelayConfig config, Database db, AccountRepository repo, RelayState state,
                                     EventBus events, Clock clock) throws StoreException {
        PoolServices s = new PoolServices(config, db, repo, state, events, clock);
        try {
            s.wire(events);
        } catch (StoreException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void wire(EventBus events) throws StoreException {
        reloadAccounts();
        quota.load();
        affinity.load();
        // What relay.db remembers goes to the pool first, so an account exhausted before a restart stays out.
        for (Account a : byName.values()) {
            QuotaSnapshot q = quota.current(a.id());
            if (q != null) pool.updateQuota(a.name(), q);
        }
        tokens.onRefreshed((a, t) -> {
            try {
                pool.reload(); // the pool's copy of the account carries the new tokens from now on
            } catch (StoreException e) {
                log.warn("Reloading accounts after a token refresh failed: {}", e.getMessage());
            }
        });
        tokens.onReloginNeeded((a, reason) -> pool.markRelogin(a.name(), reason));
        subscriptions.add(history.subscribe(events, this::idOf));
        subscriptions.add(events.subscribe(RelayEvent.AccountsChanged.class, e -> accountsChanged()));
        poller.start(FIRST_POLL_DELAY);
        probes.start(FIRST_POLL_DELAY);
        balances.start(FIRST_POLL_DELAY);
        scheduler.scheduleWithFixedDelay(this::upkeep, 1, 1, TimeUnit.MINUTES);
    }

    /** Bound on one poll or refresh call: connecting plus a generous answer time. */
    private static Duration callTimeout(RelayConfig config) {
        return config.upstream().connectTimeout().plusSeconds(30);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    // ---- AccountServices (request path: never blocks) -----------------------------------------------------------

    @Override
    public CompletableFuture<Account> prepare(Account account) {
        if (account.kind() != Account.Kind.CHATGPT) return CompletableFuture.completedFuture(account);
        return tokens.fresh(account).thenApply(account::withCredentials);
    }

    @Override
    public CompletableFuture<Account> afterUnauthorized(Account sent) {
        if (!(sent.credentials() instanceof Credentials.ChatGptTokens t)) return AccountServices.super.afterUnauthorized(sent);
        return tokens.refreshAfterUnauthorized(sent, t.accessToken()).thenApply(sent::withCredentials);
    }

    @Override
    public QuotaSnapshot codexView(Account serving) {
        Instant now = clock.instant();
        PoolView.Mode mode = PoolView.Mode.of(config.pool().reportPoolHeaders());
        QuotaSnapshot servingQuota = serving == null ? null : quota.current(serving.id());
        if (mode == PoolView.Mode.SERVING && servingQuota != null) return servingQuota; // the common case: no pool walk
        List<QuotaSnapshot> serviceable = new ArrayList<>(), all = new ArrayList<>();
        for (AccountRuntime r : pool.runtime()) {
            if (!r.account().enabled()) continue;
            all.add(r.quota());
            if (r.state().equals("ready") || r.state().equals("busy")) serviceable.add(r.quota());
        }
        return PoolView.view(mode, servingQuota, serviceable, all, now);
    }

    // ---- control ------------------------------------------------------------------------------------------------

    /** Polls every ChatGPT account now (accounts polled in the last 30 s are skipped) and waits for the round. */
    public List<UsagePoller.Outcome> refreshQuota(Duration timeout) throws InterruptedException, ExecutionException, TimeoutException {
        return poller.refreshNow().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Applies live settings: poll interval, affinity idle time, the upstream URLs polls and refreshes go to (routing
     * policy and thresholds are read per request).
     */
    public void applyConfig(RelayConfig next) {
        this.config = next;
        poller.setInterval(next.pool().usagePollInterval());
        poller.setUpstream(next.upstream().chatgptBaseUrl(), callTimeout(next));
        tokens.setIssuer(next.upstream().oauthIssuer(), callTimeout(next));
        probes.setTimeout(callTimeout(next));
        balances.setTimeout(callTimeout(next));
        affinity.setIdle(next.pool().affinityIdle());
    }

    /** The pool these services were built for. */
    public AccountPool pool() { return pool; }

    public QuotaTracker quota() { return quota; }
    public UsageHistory history() { return history; }
    public Affinity affinity() { return affinity; }
    public TokenRefresher tokens() { return tokens; }
    public UsagePoller poller() { return poller; }
    public HealthProbes probes() { return probes; }
    public BalancePoller balances() { return balances; }

    /** The freshest credentials the relay holds for an account (refreshed tokens included). */
    public Account current(Account account) {
        return tokens.current(account).map(t -> account.withCredentials(t)).orElse(account);
    }

    // ---- internals ----------------------------------------------------------------------------------------------

    private List<Account> pollable() {
        return new ArrayList<>(byName.values());
    }

    private OptionalLong idOf(String name) {
        Account a = byName.get(name);
        return a == null ? OptionalLong.empty() : OptionalLong.of(a.id());
    }

    private void accountsChanged() {
        List<Account> before = new ArrayList<>(byName.values());
        reloadAccounts();
        tokens.reconcile(new ArrayList<>(byName.values()));
        for (Account a : before) {
            Account now = byName.get(a.name());
            if (now == null || now.id() != a.id()) {
                quota.forget(a.id());
                affinity.forgetAccount(a.id());
            }
        }
    }

    private void reloadAccounts() {
        try {
            Map<String, Account> m = new HashMap<>();
            for (Account a : repo.list()) m.put(a.name(), a);
            byName = Map.copyOf(m);
        } catch (StoreException e) {
            log.warn("Could not read the accounts: {}", e.getMessage());
        }
    }

    /** Every minute: proactive token refresh; hourly: affinity purge and history pruning. */
    private void upkeep() {
        try {
            for (Account a : byName.values()) {
                if (a.enabled() && a.kind() == Account.Kind.CHATGPT) tokens.refreshIfDue(a);
            }
            Instant now = clock.instant();
            if (now.isAfter(lastPurge.plus(Duration.ofHours(1)))) {
                lastPurge = now;
                affinity.purgeExpired();
                WriteBehind.submit(writer, "the pruned usage history", () -> history.prune(now, HISTORY_KEEP));
            }
        } catch (RuntimeException e) {
            log.warn("Pool upkeep failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : subscriptions) {
            try {
                c.close();
            } catch (Exception ignored) {
                // unsubscribing cannot fail in a way that matters at shutdown
            }
        }
        poller.close();
        probes.close();
        balances.close();
        scheduler.shutdownNow();
        refreshThreads.shutdownNow();
        history.flushSoon(); // what the cancelled delayed write still held, before the writer stops
        writer.shutdown();
        try {
            if (!writer.awaitTermination(5, TimeUnit.SECONDS)) writer.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
