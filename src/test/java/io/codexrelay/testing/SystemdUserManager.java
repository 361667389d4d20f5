package io.codexrelay.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real, private {@code systemd --user} manager for one test: its own HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR
 * under a temp directory, so units written by the code under test are loaded and run by systemd itself.
 *
 * <p>{@code systemd --user} refuses to run unless {@code /run/systemd/system} exists (the host was booted with
 * systemd). On such a host it is started directly; in a container without systemd as PID 1 but with root (CI
 * containers, this sandbox) it is started in a private mount namespace ({@code unshare -m}) with a tmpfs over
 * {@code /run/systemd} holding that marker, which changes nothing outside the namespace. Missing both: the test fails
 * when {@code CI=true} and is skipped loudly elsewhere.
 */
public final class SystemdUserManager implements AutoCloseable {
    public static final Path SYSTEMD = Path.of("/lib/systemd/systemd");

    private final Process process;
    private final boolean privateNamespace;
    private final Map<String, String> env;
    public final Path home;
    public final Path configHome;
    public final Path runtimeDir;

    private SystemdUserManager(Process process, boolean privateNamespace, Map<String, String> env, Path home, Path configHome,
                               Path runtimeDir) {
        this.process = process;
        this.privateNamespace = privateNamespace;
        this.env = env;
        this.home = home;
        this.configHome = configHome;
        this.runtimeDir = runtimeDir;
    }

    /** Starts a manager under {@code dir}; {@code extraPath} goes first on the manager's PATH (fake tools). */
    public static SystemdUserManager start(Path dir, Path extraPath) throws Exception {
        String why = unavailableReason();
        if (why != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) Assertions.fail("CI=true and " + why);
            System.err.println("SKIPPED (not in CI): " + why);
            Assumptions.abort(why);
        }
        Path home = Files.createDirectories(dir.resolve("home"));
        Path config = Files.createDirectories(dir.resolve("config"));
        Path runtime = Files.createDirectories(dir.resolve("run"));
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = new HashMap<>();
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", config.toString());
        env.put("XDG_RUNTIME_DIR", runtime.toString());
        env.put("PATH", extraPath + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        List<String> cmd = new ArrayList<>();
        boolean privateNamespace = !Files.isDirectory(Path.of("/run/systemd/system"));
        if (!privateNamespace) {
            cmd.add(SYSTEMD.toString());
            cmd.add("--user");
        } else {
            cmd.addAll(List.of("unshare", "-m", "sh", "-c", "mkdir -p /run/systemd && mount -t tmpfs tmpfs /run/systemd"
                    + " && mkdir /run/systemd/system && exec " + SYSTEMD + " --user"));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("systemd.log").toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        SystemdUserManager m = new SystemdUserManager(p, privateNamespace, env, home, config, runtime);
        try {
            awaitRunning(m, p, dir, runtime);
        } catch (Throwable t) {
            m.close(); // never leave a manager behind when it did not come up
            throw t;
        }
        return m;
    }

    private static void awaitRunning(SystemdUserManager m, Process p, Path dir, Path runtime) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            if (!p.isAlive()) {
                Assertions.fail("systemd --user exited (" + p.exitValue() + "): " + Files.readString(dir.resolve("systemd.log")));
            }
            if (Files.exists(runtime.resolve("systemd/private"))) {
                String state = m.systemctl("is-system-running").output().trim();
                if (state.equals("running") || state.equals("degraded")) break;
            }
            if (System.nanoTime() > deadline) Assertions.fail("systemd --user did not come up: " + Files.readString(dir.resolve("systemd.log")));
            Thread.sleep(100);
        }
    }

    /** Why no manager can be started here, or null. */
    static String unavailableReason() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return "systemd user units need Linux";
        if (!Files.isExecutable(SYSTEMD)) return SYSTEMD + " is missing: apt-get install systemd";
        if (Files.isDirectory(Path.of("/run/systemd/system"))) return null;
        if (!"root".equals(System.getProperty("user.name"))) {
            return "the host was not booted with systemd and a private mount namespace needs root";
        }
        return null;
    }

    /** The environment a login session under this manager would have. */
    public Map<String, String> env() {
        return Map.copyOf(env);
    }

    public record Result(int exitCode, String output) {}

    public Result systemctl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("systemctl", "--user"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /**
     * Runs a command as the session would; in a private namespace it joins the manager's mount namespace first,
     * because systemctl reports "offline" where {@code /run/systemd/system} is missing.
     */
    public Result run(List<String> command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (privateNamespace) cmd.addAll(List.of("nsenter", "-t", String.valueOf(process.pid()), "-m"));
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish");
        }
        return new Result(p.exitValue(), new String(out));
    }

    /** One property of a unit, from {@code systemctl --user show}. */
    public String property(String unit, String name) throws IOException, InterruptedException {
        return systemctl("show", "-p", name, "--value", unit).output().trim();
    }

    @Override
    public void close() throws Exception {
        process.destroy(); // SIGTERM: the manager stops its units and exits
        if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
}
