package io.codexrelay.app;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.config.ConfigSchema;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.AccountRuntime;
import io.codexrelay.pool.PoolServices;
import io.codexrelay.store.Database;
import io.codexrelay.store.RequestLog;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * The daemon's {@link LocalControl}: next to the running {@link AccountPool}, so every change takes effect at once
 * (the pool reloads, modes go to the pool, a new configuration is applied live) and is announced on the event bus.
 */
public final class LiveControl extends LocalControl {
    private final AccountPool pool;
    private final RequestLog requestLog;
    private final EventBus events;
    private final IntSupplier serverInFlight;
    private final Consumer<RelayConfig> configApplier;
    private final RelayConfig startConfig;      // what the running server was started with (restart-needed keys)
    private final PoolServices services;        // quota polling, fresh tokens for export

    LiveControl(RelayHome home, RelayConfig config, Database database, AccountRepository accounts, AccountPool pool,
                PoolServices services, RequestLog requestLog, EventBus events, IntSupplier serverInFlight, Consumer<RelayConfig> configApplier,
                Clock clock, String description) {
        super(home, config, accounts, clock, database, description);
        this.pool = pool;
        this.services = services;
        this.requestLog = requestLog;
        this.events = events;
        this.serverInFlight = serverInFlight;
        this.configApplier = configApplier;
        this.startConfig = config;
        this.startedAt = clock.instant();
    }

    /** When this daemon started: {@code status} shows each client's use since then. */
    private final java.time.Instant startedAt;

    @Override
    public List<ClientUsage> clientUsage() throws ControlException {
        return clientUsageSince(startedAt);
    }

    @Override public boolean daemonRunning() { return true; }
    @Override public EventBus events() { return events; }

    @Override
    public PoolStatus status() {
        String pinned = pool.pinned();
        List<AccountStatus> list = new ArrayList<>();
        for (AccountRuntime r : pool.runtime()) {
            Account a = r.account();
            list.add(new AccountStatus(a.name(), a.kind().label(), a.email(), a.plan(), baseUrl(a), a.enabled(), a.priority(),
                    r.maxConcurrent(), a.credentials().hint(), r.state(), r.until(), r.reason(), r.inFlight(),
                    a.name().equals(pinned), r.quota(), wireOf(a), modelRulesOf(a), clientsOf(a), balanceOf(a), websocketOf(a)));
        }
        return new PoolStatus(pinned == null, pinned, pool.serving(), pool.paused(), serverInFlight.getAsInt(),
                pool.earliestReset(), List.copyOf(list));
    }

    @Override String pinnedName() { return pool.pinned(); }

    @Override
    void setPinned(String name) throws ControlException {
        store(() -> {
            if (name == null) pool.auto(); else pool.pin(name);
            return null;
        });
    }

    @Override
    public synchronized void setPaused(boolean paused) throws ControlException {
        store(() -> { pool.setPaused(paused); return null; });
    }

    @Override
    public void refreshQuota() throws ControlException {
        PoolServices s = services;
        if (s == null) return;
        try {
            s.refreshQuota(Duration.ofSeconds(90));
        } catch (TimeoutException e) {
            throw new ControlException("Polling the accounts' quota took longer than 90 s; it goes on in the background.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException("Interrupted while polling quota.");
        } catch (ExecutionException e) {
            throw new ControlException("Polling quota failed: " + e.getCause().getMessage());
        }
    }

    /** The pool publishes ModeChanged itself; accounts changes are announced here, after the pool has reloaded. */
    @Override
    void accountsChanged() throws ControlException {
        store(() -> { pool.reload(); return null; });
        if (events != null) events.publish(new RelayEvent.AccountsChanged());
    }

    @Override
    void homesChanged() throws ControlException {
        keysChanged();
    }

    @Override
    Account freshest(Account stored) {
        PoolServices s = services;
        return s != null ? s.current(stored) : stored;
    }

    /** The pool's token refresher: one refresh in flight per account, and the running relay sees the new tokens. */
    @Override
    io.codexrelay.account.Credentials freshCredentials(Account a) throws ControlException {
        if (a.kind() != Account.Kind.CHATGPT || services == null) return a.credentials();
        try {
            return services.tokens().fresh(freshest(a)).get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new ControlException("Could not refresh " + a.name() + "'s login before handing it to Codex: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new ControlException("Refreshing " + a.name() + "'s login took longer than 60 s; try again.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException("Interrupted.");
        }
    }

    /** The Quit dialog's choice for this stop only (not remembered); null = the remembered one. */
    private volatile StopChoice thisStop;

    @Override
    public synchronized void setStopChoice(StopChoice choice, boolean remember) throws ControlException {
        if (remember) super.setStopChoice(choice, true);
        else thisStop = choice;
    }

    /** RelayApp's stop, after the server stopped and before the database closes: hands Codex over when so chosen. */
    void beforeStop() {
        StopChoice choice = thisStop;
        try {
            if (choice == null) choice = stopChoice();
        } catch (ControlException e) {
            choice = StopChoice.ASK;
        }
        handover().atStop(choice, relayState());
    }

    /** RelayApp's start: undoes the hand-over the last stop made, so Codex goes through the relay again. */
    void afterStart() {
        handover().atStart(relayState());
    }

    /**
     * Codex's auth.json changed ({@link CodexAuthWatch}): when Codex refreshed a login it was handed directly, the
     * relay takes over Codex's rotated tokens now, not only at the next switch/undo/start. Never throws.
     */
    void codexAuthChanged() {
        try {
            handover().reconcile(CodexHandover.defaultCodexHome(codexEnv));
        } catch (ControlException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(LiveControl.class).warn(
                    "Could not compare Codex's auth.json with the relay's tokens: {}", e.getMessage());
        }
    }

    @Override RequestLog requestLog() { return requestLog; }

    private volatile io.codexrelay.proxy.ClientKeys clientKeys;

    /**
     * The relay's key table: loaded now, and again whenever a key, a home or a run changes. Run keys whose process
     * is gone (the relay was down when their run ended) are deleted first.
     */
    void attachClientKeys(io.codexrelay.proxy.ClientKeys keys) throws ControlException {
        this.clientKeys = keys;
        dropEndedRuns();
        keysChanged();
    }

    @Override
    void keysChanged() throws ControlException {
        var k = clientKeys;
        if (k != null) k.replace(activeKeys());
    }

    @Override
    java.util.Map<String, io.codexrelay.proxy.ClientKeys.Usage> keyUsage() {
        var k = clientKeys;
        return k == null ? java.util.Map.of() : k.usage();
    }

    @Override void flushLog() { requestLog.flush(); }

    @Override
    List<String> configApplied(RelayConfig next) {
        configApplier.accept(next);
        if (events != null) events.publish(new RelayEvent.ConfigChanged());
        List<String> restart = new ArrayList<>();
        for (var k : ConfigSchema.keys().values()) {
            if (k.restartNeeded() && !ConfigValues.same(startConfig.values().get(k.path()), next.values().get(k.path())))
                restart.add(k.path());
        }
        return List.copyOf(restart);
    }

    /** The tray's sync line follows each sync, the scheduler's and the CLI's alike. */
    @Override
    public SyncStatus syncNow() throws ControlException {
        boolean ok = false;
        try {
            SyncStatus s = super.syncNow();
            ok = true;
            return s;
        } finally {
            if (events != null) events.publish(new RelayEvent.SyncFinished(ok));
        }
    }
}
