package io.codexrelay.pool;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.local.LocalBucket;
import io.github.bucket4j.local.SynchronizationStrategy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Per-account limits on requests in flight, and optionally on requests per minute. The in-flight limit is a Bucket4j
 * bucket whose clock never moves, so it never refills by itself: a request takes a token, and gives it back when it
 * ends. The per-minute cap is a second bucket on the real clock that refills steadily (a request takes a token and
 * never gives it back). Bucket4j keeps the token arithmetic (including a live change of the limits while requests are
 * in flight); this class adds the waiting: a request that finds no token waits, without holding a thread, until one is
 * handed back or refilled, or its wait budget runs out.
 */
public final class ConcurrencyGates {

    /** A bucket4j clock that stands still: tokens come back only through {@link Gate#release}. */
    private static final TimeMeter FROZEN = new TimeMeter() {
        @Override public long currentTimeNanos() { return 0; }
        @Override public boolean isWallClockBased() { return false; }
    };
    private static final Duration NEVER = Duration.ofDays(365);
    private static final long REFILL_LOOK_MAX_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Map<String, Gate> gates = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final TimeMeter clock;

    public ConcurrencyGates(ScheduledExecutorService timer) { this(timer, TimeMeter.SYSTEM_NANOTIME); }

    /** {@code clock} drives the per-minute refill (tests pass their own). */
    public ConcurrencyGates(ScheduledExecutorService timer, TimeMeter clock) {
        this.timer = timer;
        this.clock = clock;
    }

    /** The gate of an account, created or resized to {@code limit} in flight, without a per-minute cap. */
    public Gate gate(String account, int limit) {
        return gate(account, limit, 0);
    }

    /** The gate of an account, created or resized to {@code limit} in flight and {@code perMinute} (0 = no cap). */
    public Gate gate(String account, int limit, int perMinute) {
        Gate g = gates.computeIfAbsent(account, k -> new Gate(k, limit));
        g.resize(limit, perMinute);
        return g;
    }

    /** The gate of an account if it has one. */
    public Gate find(String account) { return gates.get(account); }

    /**
     * Forgets an account's gate: its waiters give up at once. A gate with requests still in flight is kept until they
     * end, so that an account added again under the same name meanwhile cannot have more in flight than its limit.
     */
    public void remove(String account) {
        Gate g = gates.get(account);
        if (g == null) return;
        g.cancelWaiters();
        gates.computeIfPresent(account, (k, gate) -> gate.inFlight() > 0 ? gate : null);
    }

    /** A taken token; {@link #release()} gives it back once, however often it is called. */
    public static final class Permit {
        private final Gate gate;
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit(Gate gate) { this.gate = gate; }

        public String account() { return gate.account; }

        public void release() {
            if (released.compareAndSet(false, true)) gate.release();
        }
    }

    /**
     * The buckets' own synchronisation: none, because every use of a gate's buckets is under the gate's lock. Bucket4j's
     * default (lock-free) copies the bucket's state on every take and give-back, twice per request.
     */
    private static final SynchronizationStrategy UNDER_GATE_LOCK = SynchronizationStrategy.NONE;

    public final class Gate {
        private final String account;
        private final LocalBucket bucket;
        private final ArrayDeque<CompletableFuture<Permit>> waiters = new ArrayDeque<>();
        private int limit;
        private int inFlight;
        private int perMinute;          // 0 = no cap
        private LocalBucket minute;     // null when there is no cap
        private ScheduledFuture<?> refillWakeup;

        private Gate(String account, int limit) {
            this.account = account;
            this.limit = limit;
            this.bucket = Bucket.builder().addLimit(bandwidth(limit)).withCustomTimePrecision(FROZEN)
                    .withSynchronizationStrategy(UNDER_GATE_LOCK).build();
        }

        private static Bandwidth bandwidth(int limit) {
            return Bandwidth.builder().capacity(limit).refillIntervally(limit, NEVER).build();
        }

        private static Bandwidth perMinuteBandwidth(int perMinute) {
            return Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build();
        }

        public synchronized int limit() { return limit; }
        public synchronized int inFlight() { return inFlight; }
        public synchronized boolean full() { return inFlight >= limit; }
        public synchronized int perMinute() { return perMinute; }

        synchronized void resize(int newLimit, int newPerMinute) {
            boolean changed = false;
            if (newLimit != limit) {
                limit = newLimit;
                bucket.replaceConfiguration(new BucketConfiguration(java.util.List.of(bandwidth(newLimit))), TokensInheritanceStrategy.RESET);
                // RESET refilled the bucket; take back what is in flight (may go negative when the limit shrank).
                if (inFlight > 0) bucket.consumeIgnoringRateLimits(inFlight);
                changed = true;
            }
            if (newPerMinute != perMinute) {
                perMinute = Math.max(0, newPerMinute);
                if (perMinute == 0) {
                    minute = null;
                } else if (minute == null) {
                    minute = Bucket.builder().addLimit(perMinuteBandwidth(perMinute)).withCustomTimePrecision(clock)
                            .withSynchronizationStrategy(UNDER_GATE_LOCK).build();
                } else {
                    // What was used in the last minute stays used under the new cap.
                    minute.replaceConfiguration(new BucketConfiguration(java.util.List.of(perMinuteBandwidth(perMinute))),
                            TokensInheritanceStrategy.AS_IS);
                }
                changed = true;
            }
            if (changed) grantWaiters();
        }

        /** Takes an in-flight token and, with a cap, a per-minute token; both or neither. Caller holds the lock. */
        private boolean take() {
            if (minute != null && minute.getAvailableTokens() < 1) return false;
            if (!bucket.tryConsume(1)) return false;
            if (minute != null && !minute.tryConsume(1)) {
                bucket.addTokens(1);
                return false;
            }
            inFlight++;
            return true;
        }

        /** A permit now, or null. Waiting requests go first. */
        public Permit tryAcquire() {
            synchronized (this) {
                if (!waiters.isEmpty() || !take()) return null;
            }
            return new Permit(this);
        }

        /**
         * A permit within {@code wait}: completes with the permit, or with null when the budget ran out. Never blocks
         * the caller; the future may complete on the thread that releases a permit.
         */
        public CompletableFuture<Permit> acquire(Duration wait) {
            Permit now = tryAcquire();
            if (now != null || wait.isZero() || wait.isNegative()) return CompletableFuture.completedFuture(now);
            CompletableFuture<Permit> f = new CompletableFuture<>();
            synchronized (this) {
                if (waiters.isEmpty() && take()) return CompletableFuture.completedFuture(new Permit(this));
                waiters.addLast(f);
                wakeOnRefill();
            }
            ScheduledFuture<?> timeout = timer.schedule(() -> {
                boolean removed;
                synchronized (this) { removed = waiters.remove(f); }
                if (removed) f.complete(null);
            }, wait.toNanos(), TimeUnit.NANOSECONDS);
            f.whenComplete((p, x) -> timeout.cancel(false));
            return f;
        }

        private void release() {
            synchronized (this) {
                inFlight--;
                bucket.addTokens(1);
            }
            grantWaiters();
        }

        /** Hands free tokens to waiters, completing their futures outside the lock. */
        private void grantWaiters() {
            while (true) {
                CompletableFuture<Permit> next;
                synchronized (this) {
                    if (waiters.isEmpty()) return;
                    if (!take()) {
                        wakeOnRefill();
                        return;
                    }
                    next = waiters.pollFirst();
                }
                Permit p = new Permit(this);
                if (!next.complete(p)) p.release();
            }
        }

        /**
         * With requests waiting on the per-minute cap, looks again when its next token is due, and at least every
         * second (releases wake waiters anyway; the minute's refill does not). Caller holds the lock.
         */
        private void wakeOnRefill() {
            if (minute == null || waiters.isEmpty() || refillWakeup != null) return;
            long nanos = Math.min(minute.estimateAbilityToConsume(1).getNanosToWaitForRefill(), REFILL_LOOK_MAX_NANOS);
            if (nanos <= 0) return;
            try {
                refillWakeup = timer.schedule(() -> {
                    synchronized (this) { refillWakeup = null; }
                    grantWaiters();
                }, nanos, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // the pool is closing: waiters run out their budget
            }
        }

        private void cancelWaiters() {
            java.util.List<CompletableFuture<Permit>> all;
            synchronized (this) {
                all = java.util.List.copyOf(waiters);
                waiters.clear();
            }
            all.forEach(f -> f.complete(null));
        }
    }
}
