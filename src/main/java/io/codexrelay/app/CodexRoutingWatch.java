package io.codexrelay.app;

import io.codexrelay.codex.CodexHome;
import io.codexrelay.config.RelayHome;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

/**
 * Watches Codex's {@code config.toml} and publishes {@link RelayEvent.CodexRoutingChanged} when it starts or stops
 * pointing at the relay. Watching the file (rather than having {@code codex on} call the daemon) catches every way
 * it changes: the CLI with or without a daemon, another relay home's CLI, the tray, an edit by hand, a restore of a
 * backup. One thread, blocked in the OS's file watch (inotify on Linux) while nothing happens.
 */
public final class CodexRoutingWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CodexRoutingWatch.class);

    /** Re-checks this often even without a file event (the directory did not exist yet, or the watch was lost). */
    static final long RECHECK_SECONDS = 30;

    private final RelayHome home;
    private final Clock clock;
    private final EventBus events;
    private final Path dir;
    private final Thread thread;
    private volatile WatchService watch;
    private volatile boolean closed;
    private Boolean last;   // watch thread only

    public CodexRoutingWatch(RelayHome home, Clock clock, EventBus events) {
        this.home = home;
        this.clock = clock;
        this.events = events;
        this.dir = CodexHome.locate(null, System.getenv(), System.getProperty("user.home")).dir();
        this.thread = new Thread(this::run, "codex-config-watch");
        thread.setDaemon(true);
    }

    public CodexRoutingWatch start() {
        last = current();
        thread.start();
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

    private void run() {
        while (!closed) {
            try {
                if (watch == null && Files.isDirectory(dir)) {
                    WatchService w = FileSystems.getDefault().newWatchService();
                    dir.register(w, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                            StandardWatchEventKinds.ENTRY_DELETE);
                    watch = w;
                    check();   // a change between start() and the registration
                }
                WatchService w = watch;
                if (w == null) {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(RECHECK_SECONDS));
                    check();
                    continue;
                }
                WatchKey key = w.poll(RECHECK_SECONDS, TimeUnit.SECONDS);
                if (key != null) {
                    boolean configTouched = key.pollEvents().stream()
                            .anyMatch(e -> e.context() instanceof Path p && p.getFileName().toString().startsWith("config.toml"));
                    if (!key.reset()) {
                        w.close();
                        watch = null;
                    }
                    if (configTouched) check();
                } else {
                    check();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.debug("Watching {} failed: {}", dir, e.toString());
                try {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(RECHECK_SECONDS));
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        WatchService w = watch;
        if (w != null) {
            try {
                w.close();
            } catch (IOException ignored) {
            }
        }
    }
}
