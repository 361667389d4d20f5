package io.codexrelay.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The other tools' real clients for end-to-end tests: the Claude Code CLI ({@code @anthropic-ai/claude-code@}{@value
 * #CLAUDE_CODE_VERSION}) and the OpenAI Node SDK ({@code openai@}{@value #OPENAI_VERSION}), installed together under one
 * npm prefix: {@code E2E_CLIENTS_DIR} (a directory holding {@code node_modules}), else {@code <project>/.e2e-clients}
 * (installed by {@code .ci/run}). Missing: the test fails in CI ({@code CI=true}) and is skipped loudly elsewhere.
 *
 * <p>Runs are isolated like {@link CodexCli}'s: a temp {@code HOME}, a minimal environment (no inherited keys), stdin
 * from {@code /dev/null}, a timeout; output is redacted before it is shown.
 */
public final class ToolClients {
    public static final String CLAUDE_CODE_VERSION = "2.1.328";
    public static final String OPENAI_VERSION = "6.49.0";

    private final Path prefix;

    private ToolClients(Path prefix) {
        this.prefix = prefix;
    }

    /** The npm prefix holding both clients, or a failed (CI) / skipped (elsewhere) test saying how to get them. */
    public static ToolClients require() {
        Optional<Path> p = locate(System.getenv());
        if (p.isPresent()) return new ToolClients(p.get());
        String msg = "The e2e clients (@anthropic-ai/claude-code@" + CLAUDE_CODE_VERSION + ", openai@" + OPENAI_VERSION
                + ") were not found: set E2E_CLIENTS_DIR to an npm prefix holding both, or run `npm install --prefix "
                + ".e2e-clients @anthropic-ai/claude-code@" + CLAUDE_CODE_VERSION + " openai@" + OPENAI_VERSION
                + "` in the project directory (.ci/run does this).";
        if (CodexCli.isCi()) Assertions.fail("CI=true and " + msg);
        System.err.println("!!!!!!!! SKIPPING END-TO-END TESTS WITH CLAUDE CODE / THE OPENAI SDK: " + msg);
        Assumptions.abort("SKIPPED LOUDLY: " + msg);
        throw new AssertionError("unreachable");
    }

    /** {@code E2E_CLIENTS_DIR}, else the project's {@code .e2e-clients}; present only when both clients are in it. */
    public static Optional<Path> locate(Map<String, String> env) {
        String dir = env.get("E2E_CLIENTS_DIR");
        Path p = dir != null && !dir.isBlank() ? Path.of(dir) : CodexCli.projectDir().resolve(".e2e-clients");
        boolean ok = Files.isExecutable(p.resolve("node_modules/.bin/claude"))
                && Files.isRegularFile(p.resolve("node_modules/openai/package.json"));
        return ok ? Optional.of(p.toAbsolutePath()) : Optional.empty();
    }

    public Path claude() { return prefix.resolve("node_modules/.bin/claude"); }

    public Path nodeModules() { return prefix.resolve("node_modules"); }

    /** A finished run; {@link #toString()} is redacted. */
    public record Result(int exitCode, String stdout, String stderr, boolean timedOut) {
        public boolean ok() { return exitCode == 0 && !timedOut; }

        @Override
        public String toString() {
            return "exit " + exitCode + (timedOut ? " (timed out)" : "") + "\n--- stdout ---\n" + CodexCli.redact(stdout)
                    + "\n--- stderr ---\n" + CodexCli.redact(stderr);
        }
    }

    /**
     * {@code claude -p PROMPT} against {@code baseUrl} (the relay, without /v1) with {@code key} as its token, offline:
     * a temp HOME, non-essential traffic (telemetry, update checks, error reports) off, no auto-update.
     */
    public Result claude(Path work, String baseUrl, String key, String prompt, List<String> extraArgs, Duration timeout)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(claude().toString(), "-p", prompt));
        cmd.addAll(extraArgs);
        Map<String, String> env = Map.of(
                "ANTHROPIC_BASE_URL", baseUrl,
                "ANTHROPIC_AUTH_TOKEN", key,
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1",
                "DISABLE_AUTOUPDATER", "1",
                "DISABLE_TELEMETRY", "1",
                "DISABLE_ERROR_REPORTING", "1",
                "CLAUDE_CODE_SKIP_BEDROCK_AUTH", "1",
                "CLAUDE_CODE_SKIP_VERTEX_AUTH", "1");
        return run(work, cmd, env, timeout);
    }

    /** {@code node script.mjs} with the openai SDK importable (NODE_PATH is not read by ESM, so the script is copied next to node_modules). */
    public Result node(Path work, String scriptText, Map<String, String> extraEnv, Duration timeout)
            throws IOException, InterruptedException {
        Path script = Files.createTempFile(prefix, "e2e-", ".mjs");
        try {
            Files.writeString(script, scriptText);
            return run(work, List.of("node", script.toString()), extraEnv, timeout);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private Result run(Path work, List<String> cmd, Map<String, String> extraEnv, Duration timeout)
            throws IOException, InterruptedException {
        Files.createDirectories(work);
        Path logs = Files.createTempDirectory(work, "run-");
        Path out = logs.resolve("stdout.txt"), err = logs.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = pb.environment();
        String path = System.getenv("PATH");
        env.clear();
        env.put("PATH", path == null ? "/usr/bin:/bin" : path);
        Path home = Files.createDirectories(work.resolve(".home"));
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
        env.put("LANG", "C.UTF-8");
        env.put("TERM", "dumb");
        env.put("NO_COLOR", "1");
        env.putAll(extraEnv);
        Process p = pb.start();
        boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        return new Result(done ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), !done);
    }
}
