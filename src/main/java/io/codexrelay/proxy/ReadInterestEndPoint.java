package io.codexrelay.proxy;

import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.util.thread.Scheduler;

import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * Codex's side of a connection: Jetty's socket endpoint, except that asking for read interest when the selector is
 * already watching the socket for reads does not wake the selector.
 *
 * <p>Jetty's {@code SelectableChannelEndPoint} submits a key update to its selector on every fill interest from
 * another thread, even when the read interest it asks for is already there, and a selector asleep in
 * {@code epoll_wait} is woken for it (an eventfd write and read, two context switches) only to find nothing to change.
 * On the relay that happened on every request: the close watch ({@link ClientCloseWatch}) leaves the read interest
 * armed when it stops, and then Codex's connection asks for it again on the upstream's thread to wait for the next
 * request (one wake-up per request at 1 stream; docs/benchmarks.md, round 9).
 *
 * <p>The read bit of Jetty's desired interest set changes in two places only: set by {@link #needsFillInterest()} and
 * cleared by {@link #onSelected()} when the selector found the socket readable ({@code cancelWrite} clears the write
 * bit alone). This class mirrors that bit under its own lock around both, so it knows exactly when the bit is already
 * set; then the update Jetty would submit is either queued already or made by the selector right after the
 * {@code onSelected} that is running, and the socket is watched without one more.
 */
final class ReadInterestEndPoint extends SocketChannelEndPoint {
    private final Object lock = new Object();
    private SelectionKey key;       // under lock: the key onSelected() reads, as Jetty's own
    private boolean readDesired;    // under lock: the read bit of Jetty's desired interest set

    ReadInterestEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, Scheduler scheduler) {
        super(channel, selector, key, scheduler);
        this.key = key;
    }

    @Override
    protected void needsFillInterest() {
        synchronized (lock) {
            if (readDesired) return;
            super.needsFillInterest();
            readDesired = true;
        }
    }

    @Override
    public Runnable onSelected() {
        synchronized (lock) {
            boolean readable = (key.readyOps() & SelectionKey.OP_READ) != 0;
            Runnable task = super.onSelected();
            if (readable) readDesired = false;
            return task;
        }
    }

    @Override
    public void replaceKey(SelectionKey newKey) {
        synchronized (lock) {
            key = newKey;
            super.replaceKey(newKey);
        }
    }

    /** Whether the selector is (or is about to be) watching the socket for reads; for tests. */
    boolean readInterestDesired() {
        synchronized (lock) {
            return readDesired;
        }
    }
}
