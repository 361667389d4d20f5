package io.codexrelay.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Delivers {@link RelayEvent}s to subscribers on one dispatch thread, in publish order.
 * {@link #publish} never blocks the caller (it is called from the relay's hot path); a slow or failing
 * subscriber cannot hurt the relay, only delay other subscribers.
 */
public final class EventBus implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventBus.class);

    private final List<Subscription<?>> subscribers = new CopyOnWriteArrayList<>();
    private final ExecutorService dispatch = Executors.newSingleThreadExecutor(r -> {
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
        try {
            dispatch.execute(() -> {
                for (var s : subscribers) {
                    try {
                        s.deliver(event);
                    } catch (RuntimeException ex) {
                        log.warn("Event subscriber failed on {}: {}", event.getClass().getSimpleName(), ex.toString());
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException ignored) {
            // shutting down
        }
    }

    /** Waits until every event published so far has been delivered (for orderly shutdown and tests). */
    public void drain() {
        try {
            dispatch.submit(() -> { }).get(5, TimeUnit.SECONDS);
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
