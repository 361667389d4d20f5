package io.codexrelay.cli;

import io.codexrelay.app.Daemon;
import io.codexrelay.app.RelayApp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code serve}: the daemon without any UI, in the foreground, until SIGTERM or Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the relay headless in the foreground until SIGTERM or Ctrl-C.",
                "In-flight streams get --stop-grace seconds to finish, then the request log is flushed and it exits 0."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Listen on this port instead of server.port from config.toml (0 = any free port; admin.json tells which).")
    Integer port;

    @Option(names = "--stop-grace", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long in-flight streams may finish after a stop request (default: ${DEFAULT-VALUE}).")
    int stopGraceSeconds;

    @Override
    public Integer call() {
        CliContext ctx = ((RootCommand) spec.root().userObject()).context();
        if (port != null && (port < 0 || port > 65535)) throw new CliFailure(RootCommand.EXIT_USAGE, "--port must be 0-65535.");
        if (stopGraceSeconds < 0) throw new CliFailure(RootCommand.EXIT_USAGE, "--stop-grace must not be negative.");
        return Daemon.run(RelayApp.Options.fromEnvironment(ctx.env(), ctx.clock(), port), false, Duration.ofSeconds(stopGraceSeconds), ctx.err());
    }
}
