package io.codexrelay.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Reloads {@code config.toml} when it changes on disk (issue 12: a hand edit of the {@code [[redact]]} rules applies
 * without a restart), watched by {@link FileWatch}; events are debounced (an editor's save is often several events:
 * truncate, write, rename), then the file is read with {@link ConfigLoader#load}, the
 * same loader as at start. A file that does not load is reported to {@code onBroken} with the loader's message and the
 * rules in force stay; the same text is never applied twice (the Settings window's own writes come back here too).
 */
public final class ConfigWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigWatch.class);

    private final Path file;
    private final Consumer<RelayConfig> onLoaded;
    private final Consumer<String> onBroken;
    private final FileWatch watch;
    private String lastText;   // watch thread only (and start, before the thread runs)

    public ConfigWatch(Path file, Duration debounce, Consumer<RelayConfig> onLoaded, Consumer<String> onBroken) {
        this.file = file.toAbsolutePath();
        this.onLoaded = onLoaded;
        this.onBroken = onBroken;
        this.watch = new FileWatch("relay-config-watch", this.file, debounce, null, this::reload);
    }

    /** Sets up the watch (so that an edit right after this returns is seen) and starts the thread. */
    public ConfigWatch start() {
        lastText = readOrNull();
        watch.start();
        return this;
    }

    private String readOrNull() {
        try {
            return Files.exists(file) ? Files.readString(file) : null;
        } catch (IOException | RuntimeException e) {
            return null;
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
        watch.close();
    }
}
