package io.codexrelay.app;

import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * When the daemon syncs accounts with the WebDAV share: once at start, a few seconds after accounts changed here (one
 * sync for a burst of changes), and every {@code sync.interval_minutes} (that also carries refreshed tokens). One
 * background thread; a failure is logged and kept for {@code sync status}, never thrown at the relay.
 */
final class SyncScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncScheduler.class);
    private static final long DEBOUNCE_SECONDS = 3;

    private final LocalControl control;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "codex-relay-sync");
        t.setDaemon(true);
        return t;
    });
    private final AutoCloseable subscription;
    private ScheduledFuture<?> pending;

    SyncScheduler(LocalControl control, EventBus events) {
        this.control = control;
        this.subscription = events.subscribe(RelayEvent.AccountsChanged.class, e -> soon());
        timer.schedule(this::run, 0, TimeUnit.SECONDS);
        Object minutes = control.currentConfig().values().get("sync.interval_minutes");
        long every = minutes instanceof Number n ? n.longValue() : 0;
        if (every > 0) timer.scheduleWithFixedDelay(this::run, every, every, TimeUnit.MINUTES);
    }

    private synchronized void soon() {
        if (pending != null) pending.cancel(false);
        pending = timer.schedule(this::run, DEBOUNCE_SECONDS, TimeUnit.SECONDS);
    }

    private void run() {
        if (!MachineSync.configured(control.currentConfig())) return;
        try {
            SyncStatus s = control.syncNow();
            log.debug("Sync done: {}", s.lastResult());
        } catch (ControlException e) {
            log.warn("Sync failed: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Sync failed unexpectedly: {}", e.toString());
        }
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception ignored) {
            // the bus is closing too
        }
        timer.shutdownNow();
    }
}
