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
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The real Codex CLI ({@code @openai/codex@}{@value #VERSION}) for end-to-end tests.
 *
 * <p>Located via {@code CODEX_BIN}, else {@code <project>/.codex-cli/node_modules/.bin/codex} (installed by the
 * Maven profile {@code codex-cli} or by {@code .ci/run}), else {@code codex} on {@code PATH}. When it is missing,
 * {@link #require()} fails the test in CI ({@code CI=true}) and skips it loudly elsewhere: never a silent skip.
 *
 * <p>The newest release ({@value #NEXT_VERSION}, pinned as {@code codex.cli.next.version} in pom.xml) is
 * {@link #require(String) required} by version: {@code CODEX_NEXT_BIN}, else {@code <project>/.codex-cli-next/}
 * (installed the same way). Tests that must hold for both take the version as a parameter ({@link #VERSIONS}).
 *
 * <p>Runs are isolated: a temp {@code CODEX_HOME} and {@code HOME}, a minimal environment (no inherited API keys),
 * stdin from {@code /dev/null}, a timeout. Captured output is redacted before it is shown.
 */
public final class CodexCli {
    public static final String VERSION = "0.169.0";
    /** The newest Codex release the e2e tests also run (keep in step with pom.xml and .ci/run). */
    public static final String NEXT_VERSION = "0.171.0";
    /** Both pinned versions, for parameterised tests. */
    public static final List<String> VERSIONS = List.of(VERSION, NEXT_VERSION);
    private static final Pattern SECRETS = Pattern.compile(
            "(crk_[0-9a-fA-F]{8,}|sk-[A-Za-z0-9_-]{6,}|eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*|(?i:bearer)\\s+[A-Za-z0-9._-]{8,})");

    private final Path binary;
    private final String version;

    private CodexCli(Path binary, String version) {
        this.binary = binary;
        this.version = version;
    }

    public Path binary() { return binary; }

    /** The pinned version this CLI was located as. */
    public String version() { return version; }

    /** The located CLI, or a failed (CI) / skipped (elsewhere) test with a message that says how to get it. */
    public static CodexCli require() {
        Optional<Path> found = locate(System.getenv());
        if (found.isPresent()) return new CodexCli(found.get(), VERSION);
        String msg = "The real Codex CLI (@openai/codex@" + VERSION + ") was not found: set CODEX_BIN, or run "
                + "`npm install --prefix .codex-cli @openai/codex@" + VERSION + "` in the project directory "
                + "(`mvn verify` does this itself when npm is installed), or put `codex` on PATH.";
        return missing(msg);
    }

    /** The pinned CLI of {@code version} ({@link #VERSION} or {@link #NEXT_VERSION}), or a failed (CI) / skipped test. */
    public static CodexCli require(String version) {
        if (version.equals(VERSION)) return require();
        if (!version.equals(NEXT_VERSION)) throw new IllegalArgumentException("not a pinned Codex version: " + version);
        Optional<Path> found = locateNext(System.getenv());
        if (found.isPresent()) return new CodexCli(found.get(), NEXT_VERSION);
        return missing("The newer pinned Codex CLI (@openai/codex@" + NEXT_VERSION + ") was not found: set CODEX_NEXT_BIN, or run "
                + "`npm install --prefix .codex-cli-next @openai/codex@" + NEXT_VERSION + "` in the project directory "
                + "(`mvn verify` does this itself when npm is installed).");
    }

    /** {@code CODEX_NEXT_BIN}, else the project's {@code .codex-cli-next} install (never PATH: the version must match). */
    public static Optional<Path> locateNext(Map<String, String> env) {
        String bin = env.get("CODEX_NEXT_BIN");
        if (bin != null && !bin.isBlank()) {
            Path p = Path.of(bin);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        Path project = projectDir();
        if (project != null) {
            Path local = project.resolve(".codex-cli-next/node_modules/.bin/codex");
            if (Files.isExecutable(local)) return Optional.of(local);
        }
        return Optional.empty();
    }

    private static CodexCli missing(String msg) {
        if (isCi()) {
            Assertions.fail("CI=true and " + msg);
        }
        System.err.println();
        System.err.println("!!!!!!!! SKIPPING END-TO-END TESTS WITH THE REAL CODEX CLI !!!!!!!!");
        System.err.println("!!!!!!!! " + msg);
        System.err.println();
        Assumptions.abort("SKIPPED LOUDLY: " + msg);
        throw new AssertionError("unreachable");
    }

    public static boolean isCi() {
        String ci = System.getenv("CI");
        return ci != null && (ci.equalsIgnoreCase("true") || ci.equals("1"));
    }

    /** {@code CODEX_BIN}, else the project's {@code .codex-cli} install, else {@code codex} on {@code PATH}. */
    public static Optional<Path> locate(Map<String, String> env) {
        String bin = env.get("CODEX_BIN");
        if (bin != null && !bin.isBlank()) {
            Path p = Path.of(bin);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        Path project = projectDir();
        if (project != null) {
            Path local = project.resolve(".codex-cli/node_modules/.bin/codex");
            if (Files.isExecutable(local)) return Optional.of(local);
        }
        String path = env.getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isBlank()) continue;
            for (String name : List.of("codex", "codex.cmd", "codex.exe")) {
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The directory holding pom.xml, searched upwards from the working directory. */
    static Path projectDir() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("pom.xml"))) return d;
        }
        return null;
    }

    /** Writes a fresh Codex home for tests: {@code check_for_update_on_startup = false}, analytics off, nothing else. */
    public static Path prepareHome(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.toml"), "# written by the codex-relay test harness\n"
                + "check_for_update_on_startup = false\n\n[analytics]\nenabled = false\n");
        return dir;
    }

    /** Like {@link #prepareHome(Path)}, with the relay's provider pointing straight at {@code baseUrl}. */
    public static Path prepareHome(Path dir, String baseUrl, String clientKey) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.toml"), "# written by the codex-relay test harness\n"
                + "check_for_update_on_startup = false\nmodel_provider = \"codex-relay\"\n\n[analytics]\nenabled = false\n\n"
                + "[model_providers.codex-relay]\nname = \"codex-relay\"\nbase_url = \"" + baseUrl + "\"\nwire_api = \"responses\"\n"
                + "http_headers = { \"x-relay-key\" = \"" + clientKey + "\" }\nrequest_max_retries = 0\n");
        return dir;
    }

    /** A finished run. {@link #toString()} is redacted and safe to put in an assertion message. */
    public record Result(int exitCode, String stdout, String stderr, Duration elapsed, boolean timedOut) {
        public boolean ok() { return exitCode == 0 && !timedOut; }

        @Override public String toString() {
            return "codex exec " + (timedOut ? "TIMED OUT" : "exit " + exitCode) + " after " + elapsed.toMillis() + " ms\n--- stdout ---\n"
                    + redact(tail(stdout)) + "\n--- stderr ---\n" + redact(tail(stderr));
        }
    }

    /** Runs {@code codex exec --skip-git-repo-check <prompt> </dev/null} in {@code workDir} with {@code codexHome}. */
    public Result exec(Path codexHome, Path workDir, String prompt, Duration timeout) throws IOException, InterruptedException {
        return run(codexHome, workDir, timeout, List.of("exec", "--skip-git-repo-check", prompt));
    }

    /** Runs the CLI with any arguments (e.g. {@code --version}). */
    public Result run(Path codexHome, Path workDir, Duration timeout, List<String> args) throws IOException, InterruptedException {
        return run(codexHome, workDir, timeout, args, Map.of());
    }

    /** Like {@link #run(Path, Path, Duration, List)} with extra environment variables (e.g. a provider's {@code env_key}). */
    public Result run(Path codexHome, Path workDir, Duration timeout, List<String> args, Map<String, String> extraEnv)
            throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path logs = Files.createTempDirectory(workDir, "codex-run-");
        Path out = logs.resolve("stdout.txt"), err = logs.resolve("stderr.txt");
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File(isWindows() ? "NUL" : "/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = pb.environment();
        String path = System.getenv("PATH");
        env.clear();
        env.put("PATH", path == null ? "/usr/bin:/bin" : path);
        env.put("HOME", Files.createDirectories(workDir.resolve(".home")).toString());
        env.put("CODEX_HOME", codexHome.toString());
        env.put("LANG", "C.UTF-8");
        env.put("TERM", "dumb");
        env.put("NO_COLOR", "1");
        if (System.getenv("SYSTEMROOT") != null) env.put("SYSTEMROOT", System.getenv("SYSTEMROOT"));
        env.putAll(extraEnv);
        long t0 = System.nanoTime();
        Process p = pb.start();
        boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
        return new Result(done ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), elapsed, !done);
    }

    public static String redact(String s) {
        return s == null ? null : SECRETS.matcher(s).replaceAll("<redacted>");
    }

    private static String tail(String s) {
        return s.length() <= 6000 ? s : "…" + s.substring(s.length() - 6000);
    }

    private static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("win");
    }
}
