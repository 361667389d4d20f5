package io.codexrelay.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * What a CLI run may touch of the outside world: environment, streams, clock. {@link #system()} in production;
 * tests pass their own (temp relay home in {@code CODEX_RELAY_HOME}, captured output).
 */
public record CliContext(Map<String, String> env, PrintStream out, PrintStream err, InputStream in, Clock clock) {

    public static CliContext system() {
        return new CliContext(System.getenv(), System.out, System.err, System.in, Clock.systemUTC());
    }


    /** The Codex home: {@code CODEX_HOME}, else {@code ~/.codex}. */
    public Path codexHome() {
        String v = env.get("CODEX_HOME");
        if (v != null && !v.isBlank()) return Path.of(v);
        return Path.of(System.getProperty("user.home"), ".codex");
    }
}
