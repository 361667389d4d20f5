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
import java.util.function.Consumer;

/**
 * Reloads {@code config.toml} when it changes on disk (issue 12: a hand edit of the {@code [[redact]]} rules applies
 * without a restart). One thread blocked in the OS's file watch on the relay home; events are debounced (an editor's
 * save is often several events: truncate, write, rename), then the file is read with {@link ConfigLoader#load}, the
 * same loader as at start. A file that does not load is reported to {@code onBroken} with the loader's message and the
 * rules in force stay; the same text is never applied twice (the Settings window's own writes come back here too).
 */
public final class ConfigWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigWatch.class);

    private final Path file;
    private final Duration debounce;
    private final Consumer<RelayConfig> onLoaded;
    private final Consumer<String> onBroken;
    private final Thread thread;
    private volatile WatchService watch;
    private volatile boolean closed;
    private String lastText;   // watch thread only (and start, before the thread runs)

    public ConfigWatch(Path file, Duration debounce, Consumer<RelayConfig> onLoaded, Consumer<String> onBroken) {
        this.file = file.toAbsolutePath();
        this.debounce = debounce;
        this.onLoaded = onLoaded;
        this.onBroken = onBroken;
        this.thread = new Thread(this::run, "relay-config-watch");
        thread.setDaemon(true);
    }

    /** Registers the watch (so that an edit right after this returns is seen) and starts the thread. */
    public ConfigWatch start() throws IOException {
        lastText = readOrNull();
        WatchService w = FileSystems.getDefault().newWatchService();
        file.getParent().register(w, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        watch = w;
        thread.start();
        return this;
    }

    private String readOrNull() {
        try {
            return Files.exists(file) ? Files.readString(file) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private boolean touched(WatchKey key) {
        return key.pollEvents().stream().anyMatch(e -> e.context() instanceof Path p && p.getFileName().equals(file.getFileName()));
    }

    private void run() {
        WatchService w = watch;
        try {
            while (!closed) {
                WatchKey key = w.take();
                boolean changed = touched(key);
                key.reset();
                if (!changed) continue;
                // Debounce: wait until the file has been quiet for the whole period.
                WatchKey more;
                while ((more = w.poll(debounce.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                    touched(more);
                    more.reset();
                }
                reload();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /** Reads and applies the file now if its text changed since the last load. */
    void reload() {
        String text = readOrNull();
        if (text == null || text.equals(lastText)) return;
        try {
            RelayConfig next = ConfigLoader.parse(text, file.toString());
            lastText = text;
            log.info("{} changed on disk; applied (redaction rules: {})", file.getFileName(), next.redactions().size());
            onLoaded.accept(next);
        } catch (ConfigException e) {
            lastText = text;
            // The loader's message names the file, line and rule, never a pattern (a pattern may be a secret).
            log.warn("{} changed on disk but was not applied; the previous settings stay in force: {}", file.getFileName(), e.getMessage());
            onBroken.accept(e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Applying {} failed: {}", file.getFileName(), e.toString());
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
                // closing anyway
            }
        }
    }
}
