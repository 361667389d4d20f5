package io.codexrelay.proxy;

import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The close watch and the connection's read interest. Jetty aborts a kept-alive connection whose read interest is
 * taken when an answer completes ("Pending read in onCompleted"), after the client has read a whole answer without
 * {@code Connection: close}: the client's next request on it then meets an EOF (the benchmark's rare error on the
 * converted paths). So once {@link ClientCloseWatch#stop()} has returned, the watch must never take it again.
 */
class ClientCloseWatchTest {

    @Test
    void aStopWhileTheWatchRearmsLeavesNoReadInterestForTheAnswerToTripOver() throws Exception {
        AtomicReference<ClientCloseWatch> watch = new AtomicReference<>();
        AtomicBoolean rearming = new AtomicBoolean();
        AtomicBoolean stopReturned = new AtomicBoolean();
        AtomicBoolean interestTakenAfterStop = new AtomicBoolean();
        AtomicReference<Thread> writer = new AtomicReference<>();
        ByteArrayEndPoint connection = new ByteArrayEndPoint() {
            @Override
            public boolean tryFillInterested(Callback callback) {
                if (rearming.compareAndSet(true, false)) {
                    // The answer's first write stops the watch on its own thread just as the watch re-arms; this
                    // waits until that stop() has either returned or is held off by the watch.
                    Thread w = new Thread(() -> {
                        watch.get().stop();
                        stopReturned.set(true);
                    }, "answer-writer");
                    writer.set(w);
                    w.start();
                    while (w.getState() != Thread.State.TERMINATED && w.getState() != Thread.State.BLOCKED) {
                        Thread.onSpinWait();
                    }
                    boolean taken = super.tryFillInterested(callback);
                    if (taken && stopReturned.get()) interestTakenAfterStop.set(true);
                    return taken;
                }
                return super.tryFillInterested(callback);
            }
        };
        watch.set(ClientCloseWatch.watching(connection, null, x -> {}));
        assertThat(connection.isFillInterested()).as("the watch reads the idle connection").isTrue();

        // The connection wakes the watch with nothing to read (about 400 times in one benchmark run): it re-arms.
        rearming.set(true);
        connection.getFillInterest().fillable();
        writer.get().join();

        assertThat(writer.get().getState()).isEqualTo(Thread.State.TERMINATED);
        assertThat(interestTakenAfterStop).as("read interest taken after stop() returned").isFalse();
        assertThat(connection.isFillInterested()).as("read interest left when the answer starts").isFalse();
    }

    @Test
    void stopGivesTheReadInterestBackAndTheClientsCloseIsThenNotReported() throws Exception {
        AtomicBoolean gone = new AtomicBoolean();
        ByteArrayEndPoint connection = new ByteArrayEndPoint();
        ClientCloseWatch w = ClientCloseWatch.watching(connection, null, x -> gone.set(true));
        assertThat(connection.isFillInterested()).isTrue();
        w.stop();
        assertThat(connection.isFillInterested()).isFalse();
        connection.addInputEOF();
        assertThat(gone).isFalse();
    }
}
