package io.codexrelay.app;

import io.codexrelay.config.FileWatch;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Watches Codex's {@code auth.json} and runs {@code onChange} once the file has been quiet for {@code debounce}.
 * Codex refreshes a handed-over ChatGPT login on its own and writes the rotated refresh token there; the relay's copy
 * is then spent, so the daemon re-imports Codex's tokens when the file changes instead of waiting for the next
 * {@code switch}/{@code --undo}/start (issue 9). Codex writes the file as temp + rename, which the OS reports as
 * several events: the debounce turns one write into one check. Every {@link #RECHECK_SECONDS} without an event the
 * check runs anyway (it reads one small record file when direct mode is off), so a lost event or a check that failed
 * is made up for. The watching itself is {@link FileWatch}'s.
 */
public final class CodexAuthWatch implements AutoCloseable {
    /** Codex's tokens file; Codex may write {@code auth.json.tmp*} next to it first. */
    static final String AUTH_FILE = "auth.json";
    /** Quiet time after the last event before the check runs: Codex's temp + rename is over well within it. */
    static final Duration DEBOUNCE = Duration.ofMillis(300);
    /** Without events the check still runs this often: a lost event or a failed check is made up for. */
    static final long RECHECK_SECONDS = 20;

    private final FileWatch watch;

    public CodexAuthWatch(Path codexHomeDir, Duration debounce, Runnable onChange) {
        this.watch = new FileWatch("codex-auth-watch", codexHomeDir.resolve(AUTH_FILE), debounce,
                Duration.ofSeconds(RECHECK_SECONDS), onChange);
    }

    /** Registers the watch before returning when the directory exists, so no change after start() is missed. */
    public CodexAuthWatch start() {
        watch.start();
        return this;
    }

    @Override
    public void close() {
        watch.close();
    }
}
