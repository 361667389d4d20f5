package io.codexrelay.app;

import io.codexrelay.config.RelayHome;
import io.codexrelay.platform.Autostart;
import io.codexrelay.platform.Os;
import io.codexrelay.platform.SingleInstance;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts the daemon for {@code codex on} when none runs on the relay home, with the command start-at-login uses
 * ({@link Autostart#currentLaunchCommand}: no subcommand, so the tray when a desktop exists, else headless). The child
 * is detached: stdin from the null device, output to {@code logs/started-by-cli.log}, and on Linux its own session
 * ({@code setsid}), so closing or Ctrl-C-ing the terminal does not reach it and it outlives the CLI.
 */
public final class RelayLauncher {
    private final RelayHome relayHome;
    private final Map<String, String> env;
    private final Clock clock;

    public RelayLauncher(Map<String, String> env, Clock clock) {
        this.relayHome = RelayHome.fromEnvironment(env);
        this.env = env;
        this.clock = clock;
    }

    /** What {@link #ensureRunning} found or did. {@code started} false when a daemon already held the relay home. */
    public record Outcome(boolean started, long pid, boolean answering, int port, Path output, String problem) {}

    /** True when a daemon holds this relay home's lock (running or still starting). */
    public boolean running() {
        try {
            if (SingleInstance.holder(relayHome.lockFile()).isPresent()) return true;
        } catch (IOException e) {
            // an unreadable lock says nothing either way: ask the admin API
        }
        // a relay embedded in another process answers on its admin API without holding the lock
        Optional<AdminFile.Info> info = AdminFile.read(relayHome);
        if (info.isEmpty()) return false;
        try {
            new RemoteControl(info.get(), Duration.ofSeconds(2), clock).ping();
            return true;
        } catch (ControlException e) {
            return false;
        }
    }

    /** Where a daemon started here writes its console output (its own log stays in {@code logs/}). */
    public Path outputFile() {
        return relayHome.dir().resolve("logs").resolve("started-by-cli.log");
    }

    /** The command that starts the daemon: the installed jar's, else (a source checkout, tests) this JVM's class path. */
    static List<String> launchCommand() {
        List<String> fromJar = Autostart.currentLaunchCommand(Os.current());
        if (!fromJar.isEmpty()) return fromJar;
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(Autostart.LEAN_JVM);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.codexrelay.Main");
        return List.copyOf(cmd);
    }

    /**
     * Starts the daemon unless one holds the relay home, then waits up to {@code wait} until it answers its admin API
     * (and so its port). Never throws for a daemon that is slow: {@code answering} false says so.
     */
    public Outcome ensureRunning(Duration wait) throws ControlException {
        boolean started = false;
        long pid = 0;
        Path output = outputFile();
        if (!running()) {
            try {
                relayHome.ensureExists();
                Files.createDirectories(output.getParent());
            } catch (IOException e) {
                throw new ControlException("Could not prepare " + relayHome.dir() + " to start the relay: " + e.getMessage(), e);
            }
            List<String> cmd = new ArrayList<>();
            Path setsid = Path.of("/usr/bin/setsid");
            if (Os.current() == Os.LINUX && Files.isExecutable(setsid)) cmd.add(setsid.toString());
            cmd.addAll(launchCommand());
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new File(Os.current() == Os.WINDOWS ? "NUL" : "/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
            // exactly the CLI's environment: in tests a map naming a temp relay home, never the real one
            pb.environment().clear();
            pb.environment().putAll(env);
            try {
                pid = pb.start().pid();
            } catch (IOException e) {
                throw new ControlException("Could not start the relay (" + String.join(" ", cmd.subList(0, 1)) + "): " + e.getMessage()
                        + ". Start it yourself: `codex-relay` (tray) or `codex-relay serve`.", e);
            }
            started = true;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        String problem = null;
        while (true) {
            Optional<AdminFile.Info> info = AdminFile.read(relayHome);
            if (info.isPresent()) {
                try {
                    new RemoteControl(info.get(), Duration.ofSeconds(2), clock).ping();
                    return new Outcome(started, info.get().pid(), true, info.get().port(), output, null);
                } catch (ControlException e) {
                    problem = e.getMessage();
                }
            }
            if (started && ProcessHandle.of(pid).map(ph -> !ph.isAlive()).orElse(true) && !running()) {
                return new Outcome(true, pid, false, 0, output, "it stopped at once; see " + output);
            }
            if (System.nanoTime() > deadline) {
                return new Outcome(started, pid, false, 0, output, problem != null ? problem : "it did not answer within "
                        + wait.toSeconds() + " s; see " + output);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Outcome(started, pid, false, 0, output, "interrupted while waiting");
            }
        }
    }
}
