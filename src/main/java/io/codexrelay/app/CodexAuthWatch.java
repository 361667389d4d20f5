package io.codexrelay.app;

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
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Watches Codex's {@code auth.json} and runs {@code onChange} once the file has been quiet for {@code debounce}.
 * Codex refreshes a handed-over ChatGPT login on its own and writes the rotated refresh token there; the relay's copy
 * is then spent, so the daemon re-imports Codex's tokens when the file changes instead of waiting for the next
 * {@code switch}/{@code --undo}/start (issue 9). Codex writes the file as temp + rename, which the OS reports as
 * several events: the debounce turns one write into one check. One thread, blocked in the OS's file watch (inotify on
 * Linux) while nothing happens; the directory is watched because a rename replaces the file's inode. Every
 * {@link #RECHECK_SECONDS} without an event the check runs anyway (it reads one small record file when direct mode
 * is off), so a lost event or a check that failed is made up for.
 */
public final class CodexAuthWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CodexAuthWatch.class);

    /** Codex's tokens file; Codex may write {@code auth.json.tmp*} next to it first. */
    static final String AUTH_FILE = "auth.json";
    /** Quiet time after the last event before the check runs: Codex's temp + rename is over well within it. */
    static final Duration DEBOUNCE = Duration.ofMillis(300);
    /** When the directory does not exist yet (or the watch was lost), look again this often. */
    static final long RETRY_SECONDS = 30;
    /** Without events the check still runs this often: a lost event or a failed check is made up for. */
    static final long RECHECK_SECONDS = 20;

    private final Path dir;
    private final Duration debounce;
    private final Runnable onChange;
    private final Thread thread;
    private volatile WatchService watch;
    private volatile boolean closed;

    public CodexAuthWatch(Path codexHomeDir, Duration debounce, Runnable onChange) {
        this.dir = codexHomeDir;
        this.debounce = debounce;
        this.onChange = onChange;
        this.thread = new Thread(this::run, "codex-auth-watch");
        thread.setDaemon(true);
    }

    /** Registers the watch before returning when the directory exists, so no change after start() is missed. */
    public CodexAuthWatch start() {
        try {
            if (Files.isDirectory(dir)) watch = register();
        } catch (IOException e) {
            log.debug("Watching {} failed: {}; retrying from the watch thread", dir, e.toString());
        }
        thread.start();
        return this;
    }

    private WatchService register() throws IOException {
        WatchService w = FileSystems.getDefault().newWatchService();
        dir.register(w, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        return w;
    }

    private static boolean touchesAuth(WatchKey key) {
        return key.pollEvents().stream().anyMatch(e -> e.kind() == StandardWatchEventKinds.OVERFLOW
                || e.context() instanceof Path p && p.getFileName().toString().startsWith(AUTH_FILE));
    }

    private void fire() {
        try {
            onChange.run();
        } catch (RuntimeException e) {
            log.warn("Checking Codex's {} after it changed failed: {}", dir.resolve(AUTH_FILE), e.getMessage());
        }
    }

    private void run() {
        while (!closed) {
            try {
                if (watch == null) {
                    if (!Files.isDirectory(dir)) {
                        Thread.sleep(TimeUnit.SECONDS.toMillis(RETRY_SECONDS));
                        continue;
                    }
                    watch = register();
                }
                WatchService w = watch;
                WatchKey key = w.poll(RECHECK_SECONDS, TimeUnit.SECONDS);
                if (key == null) {
                    // no event for a while: check anyway, in case an event was lost or a check failed (e.g. a busy database)
                    fire();
                    continue;
                }
                boolean pending = touchesAuth(key);
                boolean valid = key.reset();
                // quiet period: every further event restarts it, so a burst of writes ends in one check
                while (pending && valid) {
                    WatchKey more = w.poll(debounce.toMillis(), TimeUnit.MILLISECONDS);
                    if (more == null) break;
                    more.pollEvents();
                    valid = more.reset();
                }
                if (!valid) {
                    w.close();
                    watch = null;
                }
                if (pending) fire();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.debug("Watching {} failed: {}", dir, e.toString());
                watch = null;
                try {
                    Thread.sleep(TimeUnit.SECONDS.toMillis(RETRY_SECONDS));
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
                // closing on the way out: nothing left to watch
            }
        }
    }
}
