package io.codexrelay.app;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.QuotaTracker;
import io.codexrelay.store.Database;
import io.codexrelay.store.RelayState;
import io.codexrelay.store.RequestLog;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The CLI's {@link LocalControl} when no daemon runs: it owns {@code relay.db} for the length of one command and
 * writes the pinned/paused state into {@link RelayState}, which the pool reads when the daemon next starts.
 */
public final class OfflineControl extends LocalControl {
    private final Database db;                  // opened by LocalControl.offline, closed by close()
    private final RelayState state;
    private RequestLog requestLog;              // opened on first use, closed by close()

    OfflineControl(RelayHome home, RelayConfig config, Database db, Clock clock) {
        super(home, config, new AccountRepository(db, clock), clock, db, "offline (relay not running; changes apply when it starts)");
        this.db = db;
        this.state = new RelayState(db);
    }

    @Override public boolean daemonRunning() { return false; }

    /** A run's key is only any use to a running relay (and a run without one would not be what was asked). */
    @Override
    public StartedRun startRun(NewRun request) throws ControlException {
        throw new ControlException("`codex-relay run` needs the running daemon; start it with `codex-relay` (or `codex-relay serve`).");
    }

    /** The stored accounts with the last quota the daemon knew (relay.db), shown as of now (passed resets show as reset). */
    @Override
    public PoolStatus status() throws ControlException {
        String pinned = pinnedName();
        boolean paused = store(() -> state.get(RelayState.PAUSED).map(Boolean::parseBoolean).orElse(false));
        QuotaTracker lastKnown = new QuotaTracker(accounts.database(), null, clock, Runnable::run);
        store(() -> { lastKnown.load(); return null; });
        List<AccountStatus> list = new ArrayList<>();
        for (Account a : store(accounts::list)) list.add(fromStored(a, pinned, lastKnown.current(a.id())));
        return new PoolStatus(pinned == null, pinned, null, paused, 0, null, List.copyOf(list));
    }

    private AccountStatus fromStored(Account a, String pinned, QuotaSnapshot quota) {
        return new AccountStatus(a.name(), a.kind().label(), a.email(), a.plan(), baseUrl(a), a.enabled(), a.priority(),
                AccountPool.maxConcurrent(a, config.pool()), a.credentials().hint(), a.enabled() ? "ready" : "disabled", null, null, 0,
                a.name().equals(pinned), quota, wireOf(a), modelRulesOf(a), clientsOf(a), balanceOf(a), websocketOf(a));
    }

    @Override
    String pinnedName() throws ControlException {
        return store(() -> state.get(RelayState.PINNED_ACCOUNT).orElse(null));
    }

    @Override
    void setPinned(String name) throws ControlException {
        store(() -> { state.put(RelayState.PINNED_ACCOUNT, name); return null; });
    }

    @Override
    public synchronized void setPaused(boolean paused) throws ControlException {
        store(() -> { state.put(RelayState.PAUSED, Boolean.toString(paused)); return null; });
    }

    @Override
    public void refreshQuota() throws ControlException {
        throw new ControlException("Quota can only be polled while the relay runs. Start it with `codex-relay`.");
    }

    /** Nothing runs that must hear of it: the daemon reads the accounts when it starts. */
    @Override void accountsChanged() { }

    @Override
    synchronized RequestLog requestLog() {
        if (requestLog == null) requestLog = new RequestLog(db, config.log(), clock);
        return requestLog;
    }

    /** Nothing to apply: the daemon reads the file when it starts. */
    @Override List<String> configApplied(RelayConfig next) { return List.of(); }

    @Override
    public synchronized void close() {
        super.close();
        if (requestLog != null) requestLog.close();
        requestLog = null;
        db.close();
    }
}
