package io.codexrelay.config;

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
 * One file watched for changes, for the watchers of files a person edits or another program rewrites
 * ({@link ConfigWatch}: the relay's {@code config.toml}; the daemon's watches of Codex's {@code config.toml} and
 * {@code auth.json}). One daemon thread, blocked in the OS's file watch (inotify on Linux) while nothing happens; the
 * directory is watched, because a program that writes a temp file and renames it over the old one replaces the file's
 * inode. {@code onChange} runs on that thread:
 * <ul>
 * <li>when the file, or a name that starts with its name (Codex's {@code auth.json.tmp*}), was created, changed or
 *   removed, or events were lost (overflow), and then nothing happened for {@code debounce} (a burst of writes is one
 *   change);</li>
 * <li>when the directory appeared after {@link #start} (it did not exist yet) and the watch was set up;</li>
 * <li>every {@code recheck} without events, when {@code recheck} is not null: a lost event or a check that failed is
 *   made up for. A directory that does not exist yet, or a watch that failed, is tried again after {@code recheck}
 *   (or after {@link #RETRY} without one).</li>
 * </ul>
 * A failure of {@code onChange} is logged and the watch goes on.
 */
public final class FileWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileWatch.class);
    /** How soon a missing directory or a failed watch is tried again when there is no {@code recheck}. */
    static final Duration RETRY = Duration.ofSeconds(30);

    private final Path dir;
    private final String fileName;
    private final Duration debounce;
    private final Duration recheck;
    private final Runnable onChange;
    private final Thread thread;
    private volatile WatchService watch;
    private volatile boolean closed;

    public FileWatch(String threadName, Path file, Duration debounce, Duration recheck, Runnable onChange) {
        Path abs = file.toAbsolutePath();
        this.dir = abs.getParent();
        this.fileName = abs.getFileName().toString();
        this.debounce = debounce == null ? Duration.ZERO : debounce;
        this.recheck = recheck;
        this.onChange = onChange;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    /**
     * Sets up the watch before returning when the directory exists (so a change right after this returns is seen),
     * then starts the thread; a directory that cannot be watched yet is tried again from the thread.
     */
    public FileWatch start() {
        try {
            if (Files.isDirectory(dir)) watch = register();
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot watch {} yet ({}); trying again every {} s", dir.resolve(fileName), e.toString(), waitMillis() / 1000);
        }
        thread.start();
        return this;
    }

    private WatchService register() throws IOException {
        WatchService w = FileSystems.getDefault().newWatchService();
        try {
            dir.register(w, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    private boolean touched(WatchKey key) {
        return key.pollEvents().stream().anyMatch(e -> e.kind() == StandardWatchEventKinds.OVERFLOW
                || e.context() instanceof Path p && p.getFileName().toString().startsWith(fileName));
    }

    private void fire() {
        try {
            onChange.run();
        } catch (RuntimeException e) {
            log.warn("Checking {} after it changed failed: {}", dir.resolve(fileName), e.toString());
        }
    }

    private long waitMillis() {
        return (recheck != null ? recheck : RETRY).toMillis();
    }

    private void run() {
        while (!closed) {
            try {
                if (watch == null) {
                    if (!Files.isDirectory(dir)) {
                        Thread.sleep(waitMillis());
                        continue;
                    }
                    watch = register();
                    fire();   // a change between start() and now
                }
                WatchService w = watch;
                WatchKey key = recheck == null ? w.take() : w.poll(recheck.toMillis(), TimeUnit.MILLISECONDS);
                if (key == null) {
                    fire();   // quiet for a while: check anyway
                    continue;
                }
                boolean pending = touched(key);
                boolean valid = key.reset();
                // quiet period: every further event restarts it, so a burst of writes ends in one check
                while (pending && valid && !debounce.isZero()) {
                    WatchKey more = w.poll(debounce.toMillis(), TimeUnit.MILLISECONDS);
                    if (more == null) break;
                    more.pollEvents();
                    valid = more.reset();
                }
                if (!valid) closeWatch();   // the directory went away: watch it again once it is back
                if (pending) fire();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.debug("Watching {} failed: {}", dir, e.toString());
                closeWatch();
                try {
                    Thread.sleep(waitMillis());
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void closeWatch() {
        WatchService w = watch;
        watch = null;
        if (w != null) {
            try {
                w.close();
            } catch (IOException ignored) {
                // it is given up either way
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        closeWatch();
    }
}
