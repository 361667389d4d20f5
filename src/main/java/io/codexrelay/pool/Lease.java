package io.codexrelay.pool;

import io.codexrelay.account.Account;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The right to send request attempts with an account: the account (credentials as of the lease) and a concurrency
 * permit. It goes back with {@link #close(AttemptOutcome)}, the only road from a request to the pool (HikariCP's
 * acquire -> lease -> close): cooldowns, quota and thread affinity all update from that one call.
 *
 * <p>The outcome reaches the pool at once (cooldowns, events), but the permit goes back only when the upstream
 * exchange the lease was last used for ({@link #use}) has closed: an attempt the relay aborted (failover, Codex gone,
 * stop) may still hold a connection to the upstream for a moment, and while it does the account's limit counts it.
 */
public final class Lease {
    private static final CompletableFuture<Void> NONE = CompletableFuture.completedFuture(null);

    private final AccountPool pool;
    private final Account account;
    private final ConcurrencyGates.Permit permit;
    private final AtomicBoolean done = new AtomicBoolean();
    private CompletionStage<?> exchange = NONE; // guarded by this
    private boolean ended;                      // guarded by this

    Lease(AccountPool pool, Account account, ConcurrencyGates.Permit permit) {
        this.pool = pool;
        this.account = account;
        this.permit = permit;
    }

    public Account account() { return account; }

    public String name() { return account.name(); }

    /**
     * Registers the upstream exchange the lease is used for now; {@code closed} completes when that exchange is over
     * (answer read to its end, or failed/aborted). Returns false when the lease has already ended: do not send.
     * Call it only once the previous exchange of this lease has closed ({@link #idle()}).
     */
    public synchronized boolean use(CompletionStage<?> closed) {
        if (ended) return false;
        exchange = closed;
        return true;
    }

    /** Completes once the exchange registered last has closed (at once when there was none). */
    public synchronized CompletionStage<?> idle() { return exchange; }

    /**
     * The upstream answered this attempt with these headers (any status): the quota they report reaches the pool now,
     * before the answer is committed, so the quota headers the client sees already include this reading.
     * {@code header} looks a response header up by name (case-insensitive). Never blocks.
     */
    public void answered(Function<String, String> header) {
        pool.answered(account, header);
    }

    /**
     * The one way back to the pool: how the attempt ended. Only the first call takes effect; later ones are ignored.
     * The permit is released once the last registered exchange has closed.
     */
    public void close(AttemptOutcome outcome) {
        if (done.compareAndSet(false, true)) {
            pool.closed(account, outcome);
            end();
        }
    }

    private void end() {
        CompletionStage<?> last;
        synchronized (this) {
            ended = true;
            last = exchange;
        }
        last.whenComplete((v, x) -> permit.release());
    }

    @Override public String toString() { return "Lease[" + account.name() + "]"; }
}
