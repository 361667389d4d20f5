package io.codexrelay.pool;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.store.RelayState;
import io.codexrelay.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The accounts the relay serves from. It chooses (pinned account first, else the {@link RoutingPolicy}), holds the
 * per-account cooldowns and concurrency gates, keeps pinned/auto/paused mode (persisted in {@link RelayState}), and
 * publishes what changes (AccountExhausted, AccountRecovered, AccountSwitched, PoolExhausted, ModeChanged, ...).
 *
 * <p>One road in and one back (HikariCP's acquire -> lease -> close): {@link #acquire} hands out a {@link Lease}, and
 * everything an attempt teaches the pool comes back on it: the answer's quota headers ({@link Lease#answered}) and the
 * attempt's {@link AttemptOutcome} ({@link Lease#close}), from which cooldowns, the quota readings and thread
 * affinity update here. The quota tracker and affinity are given to the constructor; the tracker's readings from any
 * source come back to {@link #updateQuota}.
 *
 * <p>Nothing here blocks a request thread: {@link #acquire} answers with a future that completes when a permit is
 * free, or when the wait budget of every candidate has run out. Database access happens only in the control calls
 * (constructor, {@link #reload}, {@link #pin}, {@link #auto}, {@link #setPaused}).
 */
public final class AccountPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccountPool.class);

    public static final Comparator<Account> DISPLAY_ORDER =
            Comparator.comparingInt(Account::priority).thenComparing(Account::name);
    public static final Comparator<AccountRuntime> DISPLAY_ORDER_RUNTIME =
            Comparator.comparing(AccountRuntime::account, DISPLAY_ORDER);

    private final AccountRepository accounts;
    private final RelayState state;
    private final EventBus events;
    private final Clock clock;
    private final Cooldowns cooldowns;
    private final ConcurrencyGates gates;
    private final ScheduledExecutorService timer;
    private final Map<String, QuotaSnapshot> quota = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final DateTimeFormatter hhmm;

    /** Quota readings (null: the pool keeps only what {@link #updateQuota} is told). */
    private final QuotaTracker quotaTracker;
    /** Thread affinity (null: threads are not bound). */
    private final Affinity affinity;
    private volatile RelayConfig config;
    private volatile RoutingPolicy routing;
    private volatile List<Account> all;
    private volatile String pinned;
    private volatile boolean paused;
    private String lastServing; // guarded by lock

    public AccountPool(AccountRepository accounts, RelayState state, RelayConfig config, EventBus events, Clock clock)
            throws StoreException {
        this(accounts, state, config, events, clock, RoutingPolicy.PRIORITY);
    }

    public AccountPool(AccountRepository accounts, RelayState state, RelayConfig config, EventBus events, Clock clock,
                       RoutingPolicy routing) throws StoreException {
        this(accounts, state, config, events, clock, routing, null, null);
    }

    /**
     * The pool with the services an attempt's outcome feeds ({@link Lease#answered}, {@link Lease#close}): the quota
     * tracker (its changes come back to {@link #updateQuota}) and thread affinity. Either may be null.
     */
    public AccountPool(AccountRepository accounts, RelayState state, RelayConfig config, EventBus events, Clock clock,
                       RoutingPolicy routing, QuotaTracker quotaTracker, Affinity affinity) throws StoreException {
        this.accounts = accounts;
        this.quotaTracker = quotaTracker;
        this.affinity = affinity;
        this.state = state;
        this.config = config;
        this.events = events;
        this.clock = clock;
        this.routing = routing;
        this.cooldowns = new Cooldowns(clock);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "relay-pool-timer");
            t.setDaemon(true);
            return t;
        });
        this.gates = new ConcurrencyGates(timer);
        this.hhmm = DateTimeFormatter.ofPattern("HH:mm").withZone(clock.getZone());
        this.all = List.copyOf(accounts.list());
        String p = state.get(RelayState.PINNED_ACCOUNT).orElse(null);
        if (p != null && find(p) == null) {
            log.warn("The pinned account '{}' no longer exists; choosing automatically", p);
            state.put(RelayState.PINNED_ACCOUNT, null);
            p = null;
        }
        this.pinned = p;
        this.paused = state.get(RelayState.PAUSED).map(Boolean::parseBoolean).orElse(false);
        synchronized (lock) {
            lastServing = computeServing();
        }
        // Quota readings from any source (answers, errors, polls) keep the pool's view and cooldowns in step.
        if (quotaTracker != null) quotaTracker.onChange((a, view) -> updateQuota(a.name(), view));
    }

    // ---- mode ------------------------------------------------------------------------------------------------

    /** Re-reads the accounts after add/remove/edit. Cooldowns and in-flight counts of unchanged accounts stay. */
    public void reload() throws StoreException {
        List<Account> fresh = List.copyOf(accounts.list());
        boolean unpinned = false;
        synchronized (lock) {
            Map<String, Account> old = new LinkedHashMap<>();
            for (Account a : all) old.put(a.name(), a);
            for (Account f : fresh) {
                Account o = old.remove(f.name());
                if (o != null && !Objects.equals(o.credentials(), f.credentials())) {
                    cooldowns.clear(f.name(), FailureClass.AUTH); // new credentials: worth trying again
                    cooldowns.clear(f.name(), FailureClass.KEY_REJECTED);
                }
                var g = gates.find(f.name());
                if (g != null) g.resize(maxConcurrent(f), config.pool().requestsPerMinute());
            }
            for (String gone : old.keySet()) {
                cooldowns.clear(gone, null);
                gates.remove(gone);
                quota.remove(gone);
            }
            all = fresh;
            if (pinned != null && find(pinned) == null) {
                state.put(RelayState.PINNED_ACCOUNT, null);
                pinned = null;
                unpinned = true;
            }
        }
        if (unpinned) events.publish(new RelayEvent.ModeChanged(null, paused));
        recompute("accounts changed");
    }

    /** Pins an account: it serves every new request while it can; when it cannot, the next best serves. */
    public void pin(String name) throws StoreException {
        if (find(name) == null) {
            reload();
            if (find(name) == null) throw new IllegalArgumentException("No account named '" + name + "'. `codex-relay accounts list` shows the names.");
        }
        state.put(RelayState.PINNED_ACCOUNT, name);
        pinned = name;
        events.publish(new RelayEvent.ModeChanged(name, paused));
        recompute("pinned " + name);
    }

    /** Lets the pool choose (auto-switch). */
    public void auto() throws StoreException {
        state.put(RelayState.PINNED_ACCOUNT, null);
        pinned = null;
        events.publish(new RelayEvent.ModeChanged(null, paused));
        recompute("auto-switch on");
    }

    /** Client keys bound to accounts (named Codex homes). */

    /** The pinned account's name, or null in auto mode. */
    public String pinned() { return pinned; }

    public void setPaused(boolean paused) throws StoreException {
        state.put(RelayState.PAUSED, Boolean.toString(paused));
        this.paused = paused;
        events.publish(new RelayEvent.ModeChanged(pinned, paused));
    }

    public boolean paused() { return paused; }

    /** Applies live settings (gate wait, default limits, the per-minute cap, thresholds). */
    public void applyConfig(RelayConfig config) {
        this.config = config;
        for (Account a : all) {
            var g = gates.find(a.name());
            if (g != null) g.resize(maxConcurrent(a), config.pool().requestsPerMinute());
        }
        recompute("settings changed");
    }

    /** Replaces the routing policy used in auto mode (the seam for smarter policies). */
    public void setRoutingPolicy(RoutingPolicy policy) {
        this.routing = Objects.requireNonNull(policy);
        recompute("routing policy changed");
    }

    public RelayConfig config() { return config; }

    // ---- what the UI sees ------------------------------------------------------------------------------------

    /** Every account with its live state, in display order (priority, name). */
    public List<AccountRuntime> runtime() {
        sweep();
        List<AccountRuntime> out = new ArrayList<>();
        for (Account a : all) out.add(runtimeOf(a));
        out.sort(DISPLAY_ORDER_RUNTIME);
        return out;
    }

    private AccountRuntime runtimeOf(Account a) {
        int limit = maxConcurrent(a);
        var g = gates.find(a.name());
        int inFlight = g == null ? 0 : g.inFlight();
        QuotaSnapshot q = QuotaTracker.effective(quota.get(a.name()), clock.instant());
        if (!a.enabled()) return new AccountRuntime(a, "disabled", null, "disabled by the user", inFlight, limit, q);
        Cooldowns.Cooldown c = cooldowns.get(a.name());
        if (c != null) return new AccountRuntime(a, c.state(), c.until(), c.reason(), inFlight, limit, q);
        return new AccountRuntime(a, inFlight >= limit ? "busy" : "ready", null, null, inFlight, limit, q);
    }

    /** The account a new request would go to now; null if none can serve. */
    public String serving() {
        sweep();
        return computeServing();
    }

    /** When no account can serve: the earliest time one comes back (null if unknown). Otherwise null. */
    public Instant earliestReset() {
        sweep();
        return computeServing() == null ? earliestReturn() : null;
    }

    /** Requests in flight over all accounts. */
    public int inFlight() {
        int n = 0;
        for (Account a : all) {
            var g = gates.find(a.name());
            if (g != null) n += g.inFlight();
        }
        return n;
    }

    /** Latest quota known for the account (null if none). */
    public QuotaSnapshot quota(String account) { return quota.get(account); }

    /**
     * Records what is known of an account's quota (from response headers or a usage poll) and tells observers.
     * Quota cooldowns follow the readings: a full window puts the account out until its reset; a reading that shows
     * room again (a new window period, not an error echo) ends a quota cooldown early.
     */
    public void updateQuota(String account, QuotaSnapshot snapshot) {
        Account a = find(account);
        if (a == null || snapshot == null) return;
        quota.put(account, snapshot);
        events.publish(new RelayEvent.QuotaChanged(account, snapshot));
        Instant now = clock.instant();
        var out = QuotaTracker.exhaustedUntil(QuotaTracker.effective(snapshot, now), now);
        Cooldowns.Cooldown c = cooldowns.get(account);
        if (out.isPresent()) {
            if (c != null && c.cause() == FailureClass.QUOTA) cooldowns.record(account, FailureClass.QUOTA, out.get(), c.reason());
            else attemptFailed(a, FailureClass.QUOTA, out.get(), "usage limit reached");
        } else if (c != null && c.cause() == FailureClass.QUOTA && !QuotaTracker.SOURCE_ERROR.equals(snapshot.source())) {
            cooldowns.clear(account, FailureClass.QUOTA);
            log.info("Account {} has quota again ({} reading)", account, snapshot.source());
            events.publish(new RelayEvent.AccountRecovered(account));
            recompute(account + " has quota again");
        }
    }

    /** The account's login is dead (a permanent token-refresh error): it waits for a new login. */
    public void markRelogin(String account, String reason) {
        Account a = find(account);
        if (a == null) return;
        Cooldowns.Cooldown c = cooldowns.get(account);
        if (c != null && c.cause() == FailureClass.AUTH) return;
        attemptFailed(a, FailureClass.AUTH, null, reason);
    }

    // ---- choosing --------------------------------------------------------------------------------------------

    /**
     * The accounts that could serve this request now, best first: enabled, not cooling down; the pinned account
     * (if it can serve) in front, the rest in the order of the routing policy. Busy accounts are included (a request
     * may wait for their permit).
     */
    public List<Account> candidates(RouteRequest request) {
        sweep();
        return order(request);
    }

    private List<Account> order(RouteRequest request) {
        List<AccountRuntime> usable = new ArrayList<>();
        for (Account a : all) {
            // An account whose model rules do not cover the model cannot serve it: skipped, not failed.
            if (a.enabled() && cooldowns.get(a.name()) == null && servesModel(a, request)) usable.add(runtimeOf(a));
        }
        List<Account> ordered = new ArrayList<>();
        for (AccountRuntime r : routing.order(usable, request)) ordered.add(r.account());
        // A request bound to an account (its client key's account: a tool key, a named home, a run) goes there first, before the pin.
        String p = request.account() != null ? request.account() : pinned;
        if (request.account() != null && request.strict()) ordered.removeIf(a -> !a.name().equals(request.account()));
        if (p != null) {
            for (int i = 0; i < ordered.size(); i++) {
                if (ordered.get(i).name().equals(p)) {
                    ordered.add(0, ordered.remove(i));
                    break;
                }
            }
        }
        return ordered;
    }

    /**
     * Asks for an account for one attempt, skipping {@code exclude} (accounts this request already tried). Tries the
     * candidates in order; on each it waits up to {@code pool.gate_wait_ms} for a concurrency permit, then moves on.
     * Never blocks: the future completes on a timer or on the thread that frees a permit.
     */
    public CompletableFuture<Acquisition> acquire(RouteRequest request, Set<String> exclude) {
        List<Account> cands = new ArrayList<>(candidates(request));
        cands.removeIf(a -> exclude.contains(a.name()));
        if (cands.isEmpty()) {
            boolean anyEnabled = all.stream().anyMatch(Account::enabled);
            return CompletableFuture.completedFuture(anyEnabled ? new Acquisition.AllOut(earliestReturn()) : new Acquisition.NoAccounts());
        }
        CompletableFuture<Acquisition> result = new CompletableFuture<>();
        tryFrom(cands, 0, result);
        return result;
    }

    private void tryFrom(List<Account> cands, int i, CompletableFuture<Acquisition> result) {
        if (i == cands.size()) {
            result.complete(new Acquisition.AllBusy(cands.size()));
            return;
        }
        Account a = cands.get(i);
        var gate = gates.gate(a.name(), maxConcurrent(a), config.pool().requestsPerMinute());
        Duration wait = config.pool().gateWait();
        gate.acquire(wait).whenComplete((permit, x) -> {
            if (permit == null) {
                tryFrom(cands, i + 1, result);
                return;
            }
            Account current = find(a.name());
            // The account may have cooled down, been disabled or removed while we waited.
            if (current == null || !current.enabled() || cooldowns.get(a.name()) != null) {
                permit.release();
                tryFrom(cands, i + 1, result);
                return;
            }
            if (!result.complete(new Acquisition.Leased(new Lease(this, current, permit)))) permit.release();
        });
    }

    private static boolean servesModel(Account a, RouteRequest request) {
        return !(a.credentials() instanceof io.codexrelay.account.Credentials.ApiKey k)
                || io.codexrelay.account.ModelRule.serves(k.modelRules(), request == null ? null : request.model());
    }

    /** The account store (for the request path's per-account memory, such as learned parameters). */
    public AccountRepository accounts() { return accounts; }

    /** Default limit of the account's kind unless the account sets its own. */
    public int maxConcurrent(Account a) {
        return maxConcurrent(a, config.pool());
    }

    /** The in-flight limit of an account under these settings: its own, else its kind's default. */
    public static int maxConcurrent(Account a, RelayConfig.Pool settings) {
        if (a.maxConcurrent() != null && a.maxConcurrent() > 0) return a.maxConcurrent();
        return a.kind() == Account.Kind.CHATGPT ? settings.chatgptMaxConcurrent() : settings.apiKeyMaxConcurrent();
    }

    // ---- outcomes (from Lease: the one road back) ------------------------------------------------------------

    /** An attempt's answer arrived: its quota headers become a reading. */
    void answered(Account a, java.util.function.Function<String, String> header) {
        if (quotaTracker == null) return;
        try {
            quotaTracker.recordHeaders(a, header);
        } catch (RuntimeException e) {
            log.warn("Reading the quota headers of {} failed: {}", a.name(), e.toString());
        }
    }

    /** An attempt ended: cooldowns, quota and thread affinity follow from its outcome. */
    void closed(Account a, AttemptOutcome outcome) {
        if (outcome instanceof AttemptOutcome.Answered) {
            cooldowns.succeeded(a.name());
        } else if (outcome instanceof AttemptOutcome.Failed f) {
            attemptFailed(a, f.cause(), f.until(), f.reason());
            if (f.cause() == FailureClass.QUOTA) recordQuotaFailure(a, f);
        }
        String thread = outcome.servedThread();
        if (thread != null && affinity != null) affinity.bind(thread, a.id());
    }

    private void recordQuotaFailure(Account a, AttemptOutcome.Failed f) {
        if (quotaTracker == null) return;
        try {
            String code = f.quotaCode();
            if (f.until() != null || code == null || code.equals("usage_limit_reached")) {
                quotaTracker.recordUsageLimit(a, new QuotaTracker.UsageLimit(f.until(), f.planType()));
            } else {
                quotaTracker.recordQuotaError(a, code);
            }
        } catch (RuntimeException e) {
            log.debug("Recording exhaustion failed: {}", e.toString());
        }
    }

    private void attemptFailed(Account a, FailureClass cause, Instant until, String reason) {
        if (cause == FailureClass.QUOTA && until == null) {
            // No reset in the error itself: the quota readings may know when the full window resets.
            Instant now = clock.instant();
            until = QuotaTracker.exhaustedUntil(QuotaTracker.effective(quota.get(a.name()), now), now).orElse(null);
        }
        Cooldowns.Cooldown before = cooldowns.get(a.name());
        Cooldowns.Cooldown c = cooldowns.record(a.name(), cause, until, reason);
        if (c == null) return;
        // Told once per episode: concurrent attempts failing the same way, or a quota reading confirming an error,
        // do not repeat the news.
        boolean news = before == null || before.cause() != c.cause();
        if (news) log.info("Account {} {}", a.name(), describe(c));
        switch (c.cause()) {
            case QUOTA, CHALLENGE -> { if (news) events.publish(new RelayEvent.AccountExhausted(a.name(), c.until(), c.reason())); }
            case AUTH -> { if (news) events.publish(new RelayEvent.ReloginNeeded(a.name(), c.reason())); }
            case KEY_REJECTED -> { if (news) events.publish(new RelayEvent.KeyRejected(a.name(), c.reason())); }
            default -> { }
        }
        if (c.until() != null) {
            long delayMs = Math.max(0, Duration.between(clock.instant(), c.until()).toMillis()) + 50;
            timer.schedule(this::sweep, Math.min(delayMs, TimeUnit.DAYS.toMillis(30)), TimeUnit.MILLISECONDS);
        }
        recompute(a.name() + " " + describe(c));
    }

    private String describe(Cooldowns.Cooldown c) {
        return switch (c.state()) {
            case "exhausted" -> "is out until " + hhmm.format(c.until()) + " (" + c.reason() + ")";
            case "relogin" -> "needs a new login (" + c.reason() + ")";
            case "key_rejected" -> "key rejected: replace it (" + c.reason() + ")";
            default -> "is cooling down until " + hhmm.format(c.until()) + " (" + c.reason() + ")";
        };
    }

    // ---- internals -------------------------------------------------------------------------------------------

    /** Ends cooldowns whose time has come, announcing the recoveries. */
    private void sweep() {
        var expired = cooldowns.expire();
        if (expired.isEmpty()) return;
        StringBuilder why = new StringBuilder();
        for (var e : expired) {
            if (e.getValue().cause() == FailureClass.QUOTA || e.getValue().cause() == FailureClass.CHALLENGE) {
                events.publish(new RelayEvent.AccountRecovered(e.getKey()));
            }
            if (why.length() > 0) why.append(", ");
            why.append(e.getKey());
        }
        recompute(why + " is back");
    }

    private void recompute(String reason) {
        synchronized (lock) {
            String now = computeServing();
            if (Objects.equals(now, lastServing)) return;
            String before = lastServing;
            lastServing = now;
            if (now != null) {
                events.publish(new RelayEvent.AccountSwitched(before, now, reason));
            } else if (all.stream().anyMatch(Account::enabled)) {
                events.publish(new RelayEvent.PoolExhausted(earliestReturn()));
            }
        }
    }

    private String computeServing() {
        List<Account> o = order(RouteRequest.none());
        return o.isEmpty() ? null : o.get(0).name();
    }

    /** Earliest end of a timed cooldown among enabled accounts, or null. */
    /** The enabled accounts whose API key the upstream rejected (waiting for a new key), in pool order. */
    public List<String> keyRejected() {
        List<String> out = new ArrayList<>();
        for (Account a : all) {
            Cooldowns.Cooldown c = a.enabled() ? cooldowns.get(a.name()) : null;
            if (c != null && c.cause() == FailureClass.KEY_REJECTED) out.add(a.name());
        }
        return out;
    }

    private Instant earliestReturn() {
        return cooldowns.earliestEnd(name -> {
            Account a = find(name);
            return a != null && a.enabled();
        });
    }

    private Account find(String name) {
        for (Account a : all) if (a.name().equals(name)) return a;
        return null;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
