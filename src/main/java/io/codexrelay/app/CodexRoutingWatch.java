package io.codexrelay.app;

import io.codexrelay.codex.CodexHome;
import io.codexrelay.config.FileWatch;
import io.codexrelay.config.RelayHome;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * Watches Codex's {@code config.toml} and publishes {@link RelayEvent.CodexRoutingChanged} when it starts or stops
 * pointing at the relay. Watching the file (rather than having {@code codex on} call the daemon) catches every way
 * it changes: the CLI with or without a daemon, another relay home's CLI, the tray, an edit by hand, a restore of a
 * backup. The watching is {@link FileWatch}'s (one thread, blocked in the OS's file watch while nothing happens).
 */
public final class CodexRoutingWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CodexRoutingWatch.class);

    /** Re-checks this often even without a file event (the directory did not exist yet, or the watch was lost). */
    static final long RECHECK_SECONDS = 30;

    private final RelayHome home;
    private final Clock clock;
    private final EventBus events;
    private final FileWatch watch;
    private Boolean last;   // under this object's lock

    public CodexRoutingWatch(RelayHome home, Clock clock, EventBus events) {
        this.home = home;
        this.clock = clock;
        this.events = events;
        Path dir = CodexHome.locate(null, System.getenv(), System.getProperty("user.home")).dir();
        this.watch = new FileWatch("codex-config-watch", dir.resolve("config.toml"), Duration.ZERO,
                Duration.ofSeconds(RECHECK_SECONDS), this::check);
    }

    public CodexRoutingWatch start() {
        synchronized (this) {
            last = current();
        }
        watch.start();
        return this;
    }

    /** Whether Codex points at the relay now; null when it cannot be read. */
    private Boolean current() {
        try {
            return CodexRouting.routed(home, clock);
        } catch (ControlException | RuntimeException e) {
            return null;
        }
    }

    /** Re-reads the file and publishes when the answer changed. Also called by the tray's own switch. */
    synchronized void check() {
        Boolean now = current();
        if (now != null && !now.equals(last)) {
            log.info("Codex's config.toml now {} the relay", now ? "points at" : "no longer points at");
            events.publish(new RelayEvent.CodexRoutingChanged(now));
        }
        if (now != null) last = now;
    }

    @Override
    public void close() {
        watch.close();
    }
}
