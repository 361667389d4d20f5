package io.codexrelay.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Delivers {@link RelayEvent}s to subscribers on one dispatch thread, in publish order.
 * {@link #publish} never blocks the caller (it is called from the relay's hot path); a slow or failing
 * subscriber cannot hurt the relay, only delay other subscribers.
 *
 * <p>Events are delivered in batches: the first event published after a delivery wakes the dispatch thread
 * {@link #LINGER_MS} later, and everything published meanwhile goes with it. Every request publishes two events
 * (started, finished); waking a thread for each was a futex and a context switch on the request's own thread, and
 * two wake-ups of this one, per request. A publish that joins a waiting batch is a lock-free queue append. Nobody
 * watches for these events within milliseconds (the tray, the request log, the usage history).
 */
public final class EventBus implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventBus.class);
    /** How long the first event of a batch waits for others before the dispatch thread delivers them. */
    static final long LINGER_MS = 20;

    private final List<Subscription<?>> subscribers = new CopyOnWriteArrayList<>();
    private final Queue<RelayEvent> pending = new ConcurrentLinkedQueue<>();
    /** A delivery is scheduled (or running) that will see every event added to {@link #pending} before it ends. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable deliverPending = this::deliverPending;
    private final ScheduledExecutorService dispatch = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "relay-events");
        t.setDaemon(true);
        return t;
    });

    private record Subscription<T extends RelayEvent>(Class<T> type, Consumer<? super T> handler) {
        void deliver(RelayEvent e) {
            if (type.isInstance(e)) handler.accept(type.cast(e));
        }
    }

    /** Subscribes to every event of {@code type} (use {@code RelayEvent.class} for all). Returns a handle to unsubscribe. */
    public <T extends RelayEvent> AutoCloseable subscribe(Class<T> type, Consumer<? super T> handler) {
        var s = new Subscription<>(type, handler);
        subscribers.add(s);
        return () -> subscribers.remove(s);
    }

    public void publish(RelayEvent event) {
        if (dispatch.isShutdown()) return;
        pending.add(event);
        if (!scheduled.compareAndSet(false, true)) return; // the batch waiting now takes it
        try {
            dispatch.schedule(deliverPending, LINGER_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException ignored) {
            // shutting down
        }
    }

    /** On the dispatch thread: everything published so far, in order (events published meanwhile included). */
    private void deliverPending() {
        while (true) {
            RelayEvent event;
            while ((event = pending.poll()) != null) {
                for (var s : subscribers) {
                    try {
                        s.deliver(event);
                    } catch (RuntimeException ex) {
                        log.warn("Event subscriber failed on {}: {}", event.getClass().getSimpleName(), ex.toString());
                    }
                }
            }
            scheduled.set(false);
            // An event added between the last poll and the reset found the flag still set and scheduled nothing.
            if (pending.isEmpty() || !scheduled.compareAndSet(false, true)) return;
        }
    }

    /** Waits until every event published so far has been delivered (for orderly shutdown and tests). */
    public void drain() {
        try {
            dispatch.submit(deliverPending).get(5, TimeUnit.SECONDS); // now, not after the batch's linger
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // the caller is being stopped: let it see that
        } catch (ExecutionException | TimeoutException
                 | RejectedExecutionException e) {
            // closed, or a listener still busy after 5 s: draining is best effort, shutdown goes on
        }
    }

    @Override
    public void close() {
        drain();
        dispatch.shutdown();
    }
}
