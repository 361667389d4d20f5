package io.codexrelay.proxy;

import org.eclipse.jetty.io.CyclicTimeouts;
import org.eclipse.jetty.util.NanoTime;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The timers of requests in flight (request deadline, first-byte timeout): set on every request and nearly always
 * cancelled long before they fire. A scheduler queue pays for that on every request: two queue operations, and the
 * scheduler's thread woken whenever the new timer is the earliest, which with one stream at a time is every request.
 * Here a timer is an entry in a set, and one wake-up (Jetty's {@link CyclicTimeouts}) stands for all of them: it is
 * moved only when a new timer expires before it, and when it fires it runs what is due and waits for the earliest
 * left. Setting and cancelling a timer touch the set only.
 *
 * <p>What is due runs on the scheduler's thread, as it did with the scheduler; it must not block.
 */
final class RequestTimers {
    private final Set<Timer> pending = ConcurrentHashMap.newKeySet();
    private final CyclicTimeouts<Timer> wake;

    RequestTimers(Scheduler scheduler) {
        this.wake = new CyclicTimeouts<>(scheduler) {
            @Override
            protected Iterator<Timer> iterator() { return pending.iterator(); }

            @Override
            protected boolean onExpired(Timer t) {
                if (pending.remove(t)) {
                    try {
                        t.task.run();
                    } catch (RuntimeException | Error e) {
                        LoggerFactory.getLogger(RequestTimers.class).warn("A request timer failed", e);
                    }
                }
                return false; // already removed
            }
        };
    }

    /** Runs {@code task} after {@code delay} unless the returned task is cancelled first. */
    Scheduler.Task schedule(Runnable task, long delay, TimeUnit unit) {
        Timer t = new Timer(task, NanoTime.now() + unit.toNanos(Math.max(0, delay)));
        pending.add(t);
        wake.schedule(t);
        return t;
    }

    /** Timers set and not yet run nor cancelled (for tests). */
    int pending() { return pending.size(); }

    void stop() {
        wake.destroy();
        pending.clear();
    }

    private final class Timer implements CyclicTimeouts.Expirable, Scheduler.Task {
        private final Runnable task;
        private final long expireNanoTime;

        Timer(Runnable task, long expireNanoTime) {
            this.task = task;
            this.expireNanoTime = expireNanoTime;
        }

        @Override public long getExpireNanoTime() { return expireNanoTime; }

        @Override public boolean cancel() { return pending.remove(this); }
    }
}
