package io.codexrelay.ui;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** When the memory the windows used is given back: only once the last window has closed, and not if one reopened. */
class IdleMemoryReleaseTest {
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final AtomicBoolean showing = new AtomicBoolean();
    private final AtomicInteger released = new AtomicInteger();

    IdleMemoryReleaseTest() {
        timer.setRemoveOnCancelPolicy(true);
    }

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private IdleMemoryRelease release(Duration delay) {
        return new IdleMemoryRelease(timer, delay, showing::get, released::incrementAndGet);
    }

    /** Runs what is scheduled (delay zero) and waits for it. */
    private void drain() throws InterruptedException {
        timer.shutdown();
        assertThat(timer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theLastWindowClosingGivesTheMemoryBackOnce() throws Exception {
        IdleMemoryRelease r = release(Duration.ZERO);
        r.windowClosed();
        drain();
        assertThat(released.get()).isEqualTo(1);
        assertThat(r.releases()).isEqualTo(1);
    }

    @Test
    void aWindowStillOpenMeansNothingIsGivenBack() throws Exception {
        showing.set(true);
        IdleMemoryRelease r = release(Duration.ZERO);
        r.windowClosed();   // another window is still on screen
        drain();
        assertThat(released.get()).isZero();
    }

    @Test
    void aWindowOpenedWhileWaitingCancelsTheRelease() {
        IdleMemoryRelease r = release(Duration.ofHours(1));
        r.windowClosed();
        assertThat(timer.getQueue()).hasSize(1);
        r.windowOpened();
        assertThat(timer.getQueue()).isEmpty();
        assertThat(released.get()).isZero();
    }

    @Test
    void aWindowShownAgainByTheTimeTheDelayIsOverIsLeftAlone() throws Exception {
        IdleMemoryRelease r = release(Duration.ofMillis(200));
        r.windowClosed();
        showing.set(true);   // e.g. reopened by a second launch before the delay ran out, without an opened event yet
        drain();
        assertThat(released.get()).isZero();
    }

    @Test
    void severalClosingsInARowBecomeOneRelease() throws Exception {
        IdleMemoryRelease r = release(Duration.ofMillis(300));
        r.windowClosed();
        r.windowClosed();
        r.windowClosed();
        assertThat(timer.getQueue()).hasSize(1);
        drain();
        assertThat(released.get()).isEqualTo(1);
    }

    @Test
    void aStoppedUiIsNotAnError() {
        timer.shutdownNow();
        IdleMemoryRelease r = release(Duration.ZERO);
        r.windowClosed();   // rejected by the stopped timer: nothing happens
        assertThat(released.get()).isZero();
    }
}
