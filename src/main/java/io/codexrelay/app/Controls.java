package io.codexrelay.app;

import io.codexrelay.config.ConfigException;
import io.codexrelay.config.RelayHome;
import io.codexrelay.platform.SingleInstance;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Opens the right {@link ControlHandle} for a relay home: the running daemon's admin API when {@code admin.json}
 * exists and the daemon answers, else an offline {@link LocalControl} on the files. A daemon that holds the home
 * but does not answer (still starting, or stopping) is waited for briefly, then reported, never worked around:
 * editing its database behind its back would be lost on its next write.
 */
public final class Controls {
    private Controls() {}

    /**
     * The front ends' door: the control of the relay home {@code env} names ({@code CODEX_RELAY_HOME}, else
     * {@code ~/.codex-relay}). A broken {@code config.toml} is a {@link BadConfigException}.
     */
    public static ControlHandle open(Map<String, String> env, Clock clock) throws ControlException {
        try {
            return open(RelayHome.fromEnvironment(env), clock);
        } catch (ConfigException e) {
            throw new BadConfigException(e.getMessage(), e);
        }
    }

    /** The pid of the daemon holding the relay home {@code env} names (0 when unknown), or empty when none holds it. */
    public static OptionalLong runningDaemon(Map<String, String> env) throws IOException {
        return SingleInstance.holder(RelayHome.fromEnvironment(env).lockFile());
    }

    public static ControlHandle open(RelayHome home, Clock clock) throws ControlException, ConfigException {
        return open(home, clock, Duration.ofSeconds(5), Duration.ofSeconds(30));
    }

    public static ControlHandle open(RelayHome home, Clock clock, Duration waitForDaemon, Duration requestTimeout)
            throws ControlException, ConfigException {
        long deadline = System.nanoTime() + waitForDaemon.toNanos();
        ControlException lastError = null;
        while (true) {
            Optional<AdminFile.Info> info = AdminFile.read(home);
            if (info.isPresent()) {
                RemoteControl remote = new RemoteControl(info.get(), requestTimeout, clock);
                try {
                    remote.ping();
                    return remote;
                } catch (ControlException e) {
                    lastError = e;
                }
            }
            OptionalLong holder;
            try {
                holder = SingleInstance.holder(home.lockFile());
            } catch (IOException e) {
                holder = OptionalLong.empty();
            }
            if (holder.isEmpty()) return LocalControl.offline(home, clock);
            if (System.nanoTime() > deadline) {
                long pid = holder.getAsLong();
                throw new ControlException("The relay daemon" + (pid > 0 ? " (pid " + pid + ")" : "") + " holds " + home.dir()
                        + " but its admin API does not answer" + (lastError == null ? "" : " (" + lastError.getMessage() + ")")
                        + ". Wait until it has started, or stop it" + (pid > 0 ? " (kill " + pid + ")" : "") + " and try again.");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ControlException("Interrupted.");
            }
        }
    }
}
