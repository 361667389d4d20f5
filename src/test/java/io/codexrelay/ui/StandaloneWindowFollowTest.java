package io.codexrelay.ui;

import io.codexrelay.app.PoolStatus;
import io.codexrelay.app.RequestView;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a window in its own process does to follow the daemon (StandaloneWindow): the rounds that read the pool and the
 * request log over the admin API, and "front" from the tray on standard input. The windows themselves are shown by
 * TrayXvfbTest; here the decisions, with no display.
 */
class StandaloneWindowFollowTest {

    record Round(boolean changed, List<String> accounts) {}

    @Test
    void thePoolIsPassedOnEveryRoundAndAChangedAccountListIsSaidOnce() {
        InMemoryControl control = new InMemoryControl(Pools.apiKey("A"), Pools.apiKey("B"));
        List<Round> rounds = new ArrayList<>();
        Runnable round = StandaloneWindow.followPool(control, (changed, pool) ->
                rounds.add(new Round(changed, pool.accounts().stream().map(a -> a.name()).toList())));

        round.run();
        round.run();
        control.accounts.add(Pools.apiKey("C"));
        round.run();
        round.run();
        control.accounts.remove(0);
        round.run();

        assertThat(rounds).containsExactly(
                new Round(false, List.of("A", "B")),
                new Round(false, List.of("A", "B")),
                new Round(true, List.of("A", "B", "C")),
                new Round(false, List.of("A", "B", "C")),
                new Round(true, List.of("B", "C")));
    }

    @Test
    void aDaemonThatCannotAnswerIsSkippedAndTheNextRoundGoesOn() {
        AtomicInteger asked = new AtomicInteger();
        InMemoryControl control = new InMemoryControl(Pools.apiKey("A")) {
            @Override public PoolStatus status() {
                if (asked.incrementAndGet() == 2) throw new IllegalStateException("daemon restarting (expected in this test)");
                return super.status();
            }
        };
        List<Boolean> rounds = new ArrayList<>();
        Runnable round = StandaloneWindow.followPool(control, (changed, pool) -> rounds.add(changed));
        round.run();
        round.run(); // fails: nothing passed on, nothing thrown (a scheduled task that throws is never run again)
        round.run();
        assertThat(asked.get()).isEqualTo(3);
        assertThat(rounds).containsExactly(false, false);
    }

    @Test
    void newRowsInTheLogAreSaidOncePerChangeOfTheNewestRow() {
        List<RequestView> log = new ArrayList<>();
        InMemoryControl control = new InMemoryControl() {
            @Override public List<RequestView> recentRequests(int limit) {
                if (log.isEmpty()) return List.of();
                return List.of(log.get(log.size() - 1));
            }
        };
        AtomicInteger said = new AtomicInteger();
        Runnable round = StandaloneWindow.followLog(control, said::incrementAndGet);

        round.run();                       // the first round only learns where the log is
        assertThat(said.get()).isZero();
        log.add(row(1));
        round.run();
        assertThat(said.get()).isEqualTo(1);
        round.run();                       // nothing new
        assertThat(said.get()).isEqualTo(1);
        log.add(row(2));
        log.add(row(3));
        round.run();                       // two rows since: one reload shows both
        assertThat(said.get()).isEqualTo(2);
    }

    @Test
    void frontFromTheTrayBringsTheWindowForwardOnTheEventThread() throws Exception {
        PipedOutputStream tray = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(tray);
        CountDownLatch forward = new CountDownLatch(2);
        List<Boolean> onEventThread = java.util.Collections.synchronizedList(new ArrayList<>());
        StandaloneWindow.listenForFront(stdin, () -> {
            onEventThread.add(javax.swing.SwingUtilities.isEventDispatchThread());
            forward.countDown();
        });
        tray.write("noise\nfront\n".getBytes(StandardCharsets.UTF_8));
        tray.flush();
        tray.write("  front  \n".getBytes(StandardCharsets.UTF_8));
        tray.flush();
        assertThat(forward.await(10, TimeUnit.SECONDS)).as("each \"front\" brought the window forward").isTrue();
        assertThat(onEventThread).containsExactly(true, true);
        tray.close();
    }

    @Test
    void otherLinesDoNothing() throws Exception {
        CountDownLatch forward = new CountDownLatch(1);
        StandaloneWindow.listenForFront(new ByteArrayInputStream("frontier\nback\n\n".getBytes(StandardCharsets.UTF_8)), forward::countDown);
        assertThat(forward.await(500, TimeUnit.MILLISECONDS)).isFalse();
    }

    private static RequestView row(long id) {
        return new RequestView(id, Pools.NOW, "A", "gpt-5", "/v1/responses", 200, 10L, 100L, 1L, 0L, 1L, 0L,
                List.of("A"), null, "s", null, "codex");
    }
}
