package io.codexrelay.proxy;

import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Codex's connections ask their selector to watch for reads without waking it when it already does
 * ({@link ReadInterestEndPoint}), and still hear every byte. Real sockets, a real Jetty selector whose key updates are
 * counted (each one submitted from another thread wakes a selector that sleeps in {@code epoll_wait}).
 */
class ReadInterestEndPointTest {
    private static final Exception STOP = new Exception("watch stopped");

    private QueuedThreadPool threads;
    private ScheduledExecutorScheduler scheduler;
    private SelectorManager selectors;
    private ManagedSelector selector;
    private ServerSocketChannel server;
    private Socket client;
    private final AtomicInteger updatesSubmitted = new AtomicInteger();

    @AfterEach
    void stop() throws Exception {
        if (client != null) client.close();
        if (server != null) server.close();
        if (selectors != null) selectors.stop();
        if (scheduler != null) scheduler.stop();
        if (threads != null) threads.stop();
    }

    @Test
    void askingAgainForAReadInterestThatIsThereDoesNotWakeTheSelector() throws Exception {
        SocketChannelEndPoint endPoint = open(ReadInterestEndPoint::new);
        ReadInterestEndPoint ours = (ReadInterestEndPoint) endPoint;

        // The close watch takes the read interest (an update for the selector), then stops before the answer.
        int before = updatesSubmitted.get();
        endPoint.fillInterested(Callback.NOOP);
        assertThat(updatesSubmitted.get()).isEqualTo(before + 1);
        endPoint.getFillInterest().onFail(STOP);
        assertThat(ours.readInterestDesired()).isTrue();

        // The connection asks for it again to wait for the next request: the selector already watches, no update.
        CountDownLatch nextRequest = new CountDownLatch(1);
        endPoint.fillInterested(Callback.from(nextRequest::countDown));
        assertThat(updatesSubmitted.get()).isEqualTo(before + 1);

        // ... and the next request is heard all the same.
        send("POST");
        assertThat(nextRequest.await(5, TimeUnit.SECONDS)).as("the armed read interest fires").isTrue();
        assertThat(drain(endPoint)).isEqualTo("POST");

        // Once the selector has seen the socket readable it no longer watches: the next interest is an update again.
        // (Until the selector has finished the loop that found the socket readable, Jetty leaves the update to that
        // loop's updateKeys() and submits none: wait for the loop to end, so that the count shows our class alone.)
        assertThat(ours.readInterestDesired()).isFalse();
        awaitSelectorLoopsEnded();
        int settled = updatesSubmitted.get();
        CountDownLatch third = new CountDownLatch(1);
        endPoint.fillInterested(Callback.from(third::countDown));
        assertThat(updatesSubmitted.get()).isEqualTo(settled + 1);
        send("x");
        assertThat(third.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(drain(endPoint)).isEqualTo("x");
    }

    @Test
    void jettysOwnEndPointWakesTheSelectorForTheSameInterestTwice() throws Exception {
        // What ReadInterestEndPoint is for: if a Jetty upgrade stops doing this, the class can go.
        SocketChannelEndPoint endPoint = open(SocketChannelEndPoint::new);
        int before = updatesSubmitted.get();
        endPoint.fillInterested(Callback.NOOP);
        endPoint.getFillInterest().onFail(STOP);
        endPoint.fillInterested(Callback.NOOP);
        assertThat(updatesSubmitted.get()).isEqualTo(before + 2);
    }

    @Test
    void noByteIsMissedWhenInterestsAndArrivalsRace() throws Exception {
        SocketChannelEndPoint endPoint = open(ReadInterestEndPoint::new);
        // Each round: the interest is taken (sometimes given back and taken again, as the close watch and the next
        // request's read do), while the byte is sent from another thread at about the same moment. A lost update would
        // leave the callback waiting forever.
        for (int round = 0; round < 2000; round++) {
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> send("a"));
            if (round % 3 == 0) {
                endPoint.fillInterested(Callback.NOOP);
                endPoint.getFillInterest().onFail(STOP);
            }
            // The read an answer's thread makes before waiting for the next request: it may find the byte itself.
            String got = drain(endPoint);
            // Then wait for the byte. A wake-up may find nothing (the selector saw the socket readable for a byte
            // the read above took), which Jetty's callers answer by asking again; a lost update would never wake.
            for (int wakeUps = 0; got.isEmpty() && wakeUps < 5; wakeUps++) {
                CountDownLatch heard = new CountDownLatch(1);
                endPoint.fillInterested(Callback.from(heard::countDown));
                assertThat(heard.await(5, TimeUnit.SECONDS)).as("round %d: the byte is heard", round).isTrue();
                got = drain(endPoint);
            }
            assertThat(got).as("round %d", round).isEqualTo("a");
            sent.get(5, TimeUnit.SECONDS);
        }
    }

    private interface EndPointFactory {
        SocketChannelEndPoint create(SocketChannel channel, ManagedSelector selector, SelectionKey key,
                                     org.eclipse.jetty.util.thread.Scheduler scheduler);
    }

    /** A connected pair: our client socket, and the accepted side as an endpoint on a one-selector manager. */
    private SocketChannelEndPoint open(EndPointFactory factory) throws Exception {
        threads = new QueuedThreadPool(8, 2);
        threads.start();
        scheduler = new ScheduledExecutorScheduler();
        scheduler.start();
        CompletableFuture<SocketChannelEndPoint> opened = new CompletableFuture<>();
        selectors = new SelectorManager(threads, scheduler, 1) {
            @Override
            protected ManagedSelector newSelector(int id) {
                selector = new ManagedSelector(this, id) {
                    @Override
                    public void submit(SelectorUpdate update) {
                        updatesSubmitted.incrementAndGet();
                        super.submit(update);
                    }
                };
                return selector;
            }

            @Override
            protected EndPoint newEndPoint(SelectableChannel channel, ManagedSelector selector, SelectionKey key) {
                return factory.create((SocketChannel) channel, selector, key, getScheduler());
            }

            @Override
            public Connection newConnection(SelectableChannel channel, EndPoint endPoint, Object attachment) {
                return new AbstractConnection(endPoint, threads) {
                    @Override
                    public void onOpen() {
                        super.onOpen();
                        opened.complete((SocketChannelEndPoint) endPoint);
                    }

                    @Override
                    public void onFillable() {
                        // the tests read through the endpoint themselves
                    }
                };
            }
        };
        selectors.start();
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = new Socket();
        client.setTcpNoDelay(true);
        client.connect(server.getLocalAddress());
        SocketChannel accepted = server.accept();
        accepted.configureBlocking(false);
        selectors.accept(accepted);
        return opened.get(5, TimeUnit.SECONDS); // the accept's update was submitted before: the tests count after it
    }

    /**
     * Returns once the selector has ended the loop it is in (with its {@code updateKeys()}): two marker updates, one
     * after the other; the second runs in a later loop than the first, after the first loop's key updates.
     */
    private void awaitSelectorLoopsEnded() throws InterruptedException {
        for (int i = 0; i < 2; i++) {
            CountDownLatch ran = new CountDownLatch(1);
            selector.submit(s -> ran.countDown());
            assertThat(ran.await(5, TimeUnit.SECONDS)).as("the selector runs its updates").isTrue();
        }
    }

    private void send(String text) {
        try {
            OutputStream out = client.getOutputStream();
            out.write(text.getBytes());
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String drain(EndPoint endPoint) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64);
        buffer.flip();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            int n = endPoint.fill(buffer);
            if (n > 0) {
                text.append(new String(buffer.array(), buffer.position(), buffer.remaining()));
                buffer.position(buffer.limit());
            }
            if (n <= 0) break;
        }
        return text.toString();
    }
}
