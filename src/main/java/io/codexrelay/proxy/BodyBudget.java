package io.codexrelay.proxy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory all request bodies may hold together ({@code server.body_memory_budget_mb}). A body is kept whole until
 * its answer commits (failover may send it again until then; the request's end if nothing commits), so a few large
 * requests at once could fill a small heap: four 20 MB bodies ran the launcher's 128 MB heap out of memory. Each buffer is reserved here before it is allocated; a request
 * whose next buffer does not fit is refused with a 503 that says so, and the others carry on.
 */
final class BodyBudget {
    private final AtomicLong inUse = new AtomicLong();
    private volatile long limit;

    BodyBudget(long limitBytes) { this.limit = limitBytes; }

    /** Live settings: a smaller budget only refuses new reservations; what is held is never taken away. */
    void setLimit(long limitBytes) { this.limit = limitBytes; }

    long limit() { return limit; }

    /** Bytes reserved by bodies now. */
    long inUse() { return inUse.get(); }

    /** Reserves {@code n} bytes; false (nothing reserved) when that would pass the budget. */
    boolean tryReserve(long n) {
        while (true) {
            long now = inUse.get();
            if (now + n > limit) return false;
            if (inUse.compareAndSet(now, now + n)) return true;
        }
    }

    void release(long n) {
        if (n > 0) inUse.addAndGet(-n);
    }
}
