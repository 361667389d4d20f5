package io.codexrelay.ui;

import io.codexrelay.app.ControlApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;

/**
 * Opening the tray menu fetches every account's quota now, so a reset that came early shows at once (issue 15,
 * "refresh on open"). At most one round per {@link #MIN_GAP}: a round polls every account, so no account is asked
 * more than once a minute however often the menu opens; a round still running is never doubled. The round runs on
 * its own executor, never on the thread that reports the click (GTK's, or the EDT for the control window), and the
 * numbers reach the menu through the pool's QuotaChanged events like any other poll.
 */
final class QuotaRefreshOnOpen {
    private static final Logger log = LoggerFactory.getLogger(QuotaRefreshOnOpen.class);

    static final Duration MIN_GAP = Duration.ofSeconds(60);

    private final Clock clock;
    private final Executor executor;
    private Instant lastStarted;   // guarded by this
    private boolean running;       // guarded by this

    QuotaRefreshOnOpen(Clock clock, Executor executor) {
        this.clock = clock;
        this.executor = executor;
    }

    /**
     * The menu is opening: starts a quota round on {@code control} unless one started less than a minute ago or is
     * still running; {@code done} runs after it (either way). Returns whether a round was started. Never blocks.
     */
    boolean menuOpening(ControlApi control, Runnable done) {
        if (control == null) return false;
        synchronized (this) {
            Instant now = clock.instant();
            if (running || (lastStarted != null && now.isBefore(lastStarted.plus(MIN_GAP)))) return false;
            running = true;
            lastStarted = now;
        }
        try {
            executor.execute(() -> {
                try {
                    control.refreshQuota();
                } catch (Exception e) {
                    log.info("Refreshing quota as the menu opened failed: {}", UiTasks.message(e));
                } finally {
                    synchronized (this) {
                        running = false;
                    }
                    if (done != null) done.run();
                }
            });
        } catch (RuntimeException e) {   // the executor is shut down: the tray is closing
            synchronized (this) {
                running = false;
            }
            return false;
        }
        return true;
    }
}
