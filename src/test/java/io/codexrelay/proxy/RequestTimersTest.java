package io.codexrelay.proxy;

import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestTimersTest {
    private ScheduledExecutorScheduler scheduler;
    private RequestTimers timers;

    @BeforeEach
    void start() throws Exception {
        scheduler = new ScheduledExecutorScheduler("timers-test", true);
        scheduler.start();
        timers = new RequestTimers(scheduler);
    }

    @AfterEach
    void stop() throws Exception {
        timers.stop();
        scheduler.stop();
    }

    @Test
    void aTimerSetAfterALaterOneStillFiresOnTime() throws Exception {
        CountDownLatch late = new CountDownLatch(1), soon = new CountDownLatch(1);
        timers.schedule(late::countDown, 60, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        timers.schedule(soon::countDown, 100, TimeUnit.MILLISECONDS);
        assertTrue(soon.await(10, TimeUnit.SECONDS), "the earlier timer waited for the later one");
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(100), "fired before its time");
        assertEquals(1, late.getCount(), "the later timer fired early");
        assertEquals(1, timers.pending());
    }

    @Test
    void cancelledTimersNeverRunAndLeaveNothingBehind() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        List<Scheduler.Task> tasks = new ArrayList<>();
        for (int i = 0; i < 1000; i++) tasks.add(timers.schedule(ran::incrementAndGet, 50 + i % 7, TimeUnit.MILLISECONDS));
        for (Scheduler.Task t : tasks) assertTrue(t.cancel(), "a pending timer could not be cancelled");
        assertFalse(tasks.get(0).cancel(), "cancelled twice");
        CountDownLatch after = new CountDownLatch(1);
        timers.schedule(after::countDown, 300, TimeUnit.MILLISECONDS);
        assertTrue(after.await(10, TimeUnit.SECONDS));
        assertEquals(0, ran.get(), "a cancelled timer ran");
        assertEquals(0, timers.pending());
    }

    @Test
    void timersFireInTheirOrderAndAFailingOneDoesNotStopTheOthers() throws Exception {
        List<Integer> order = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(3);
        timers.schedule(() -> { order.add(3); all.countDown(); }, 600, TimeUnit.MILLISECONDS);
        timers.schedule(() -> { throw new IllegalStateException("boom (expected in this test)"); }, 100, TimeUnit.MILLISECONDS);
        timers.schedule(() -> { order.add(1); all.countDown(); }, 150, TimeUnit.MILLISECONDS);
        timers.schedule(() -> { order.add(2); all.countDown(); }, 350, TimeUnit.MILLISECONDS);
        assertTrue(all.await(10, TimeUnit.SECONDS), "fired: " + order);
        assertEquals(List.of(1, 2, 3), order);
        assertEquals(0, timers.pending());
    }
}
