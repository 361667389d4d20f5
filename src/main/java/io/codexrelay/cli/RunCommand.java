package io.codexrelay.cli;

import io.codexrelay.app.CodexRouting;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlException;
import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.Controls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code run [--account A | --home NAME] [--strict] -- COMMAND...}: one process (usually {@code codex}) served by one
 * account while every other Codex keeps the pool's choice. The running relay makes a key for this run
 * ({@code run:PID COMMAND}, bound to the account); the process gets it in its environment, and Codex's provider entry
 * sends it as a header ({@code env_http_headers}, written by {@code codex on}). No file of the user's is changed. The
 * key is deleted when the process ends (and at the next daemon start if this run could not tell the relay). The
 * command's exit code is this command's; stdin, stdout and the terminal are the command's own.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run one command (usually codex) with its requests served by one account, while other Codex "
                + "processes keep the pool's choice (e.g. `codex-relay run --account B -- codex`); needs the running relay."})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--account", paramLabel = "A", description = "Serve the command's requests from account A (failover to the others unless --strict).")
    String account;

    @Option(names = "--home", paramLabel = "NAME", description = "Use the named Codex home (CODEX_HOME) and the account it is bound to.")
    String home;

    @Option(names = "--strict", description = "Only that account: when it is out, the command gets the usual usage-limit error.")
    boolean strict;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments (after --).")
    List<String> command;

    private CliContext ctx() { return ((RootCommand) spec.root().userObject()).context(); }

    @Override
    public Integer call() throws Exception {
        if ((account == null) == (home == null)) throw new CliFailure(RootCommand.EXIT_USAGE, "Give either --account A or --home NAME.");
        CliContext ctx = ctx();
        try (ControlHandle control = Controls.open(ctx.env(), ctx.clock())) {
            if (!control.daemonRunning()) {
                throw new CliFailure(RootCommand.EXIT_FAILURE, "The relay is not running, and `run` needs it: start it with "
                        + "`codex-relay` (or `codex-relay serve` without a tray), then run this again.");
            }
            ControlApi.StartedRun run = control.startRun(new ControlApi.NewRun(ProcessHandle.current().pid(),
                    Path.of(command.get(0)).getFileName().toString(), account, home, strict));
            try {
                CodexRouting.ProcessKeyCheck check = new CodexRouting(ctx.env(), ctx.clock())
                        .processKeyCheck(run.codexHome() == null ? null : Path.of(run.codexHome()), home);
                if (check.problem() != null) throw new CliFailure(RootCommand.EXIT_FAILURE, check.problem());
                ctx.err().println("codex-relay: " + run.name() + " is served by account '" + run.account() + "'"
                        + (strict ? " only" : " (others if it cannot serve)") + ".");
                ctx.err().flush();
                return runCommand(ctx, run);
            } finally {
                try {
                    control.endRun(run.name());
                } catch (ControlException e) {
                    // the relay went away meanwhile: it deletes the key at its next start (this process is gone by then)
                    ctx.err().println("codex-relay: could not tell the relay that " + run.name() + " ended (" + e.getMessage()
                            + "); its key is dropped when the relay starts again.");
                }
            }
        }
    }

    /**
     * Runs the command with the CLI's environment plus the run's, its stdio being this process's own. Ctrl-C in the
     * terminal reaches the command (same process group) and is ignored here, so an interactive Codex that handles
     * Ctrl-C itself keeps its key; a SIGTERM or SIGHUP to this process is passed on to the command.
     */
    private int runCommand(CliContext ctx, ControlApi.StartedRun run) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().clear();
        pb.environment().putAll(ctx.env());
        pb.environment().putAll(run.environment());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new CliFailure(127, "Could not start " + command.get(0) + ": " + e.getMessage());
        }
        List<Runnable> restore = new java.util.ArrayList<>();
        try {
            restore.add(handle("INT", () -> { }));
            restore.add(handle("TERM", p::destroy));
            restore.add(handle("HUP", p::destroy));
        } catch (RuntimeException e) {
            // no such signal here (Windows has no HUP): the command still runs, Ctrl-C then ends both
        }
        try {
            return p.waitFor();
        } finally {
            for (Runnable r : restore) r.run();
        }
    }

    /** Handles a signal with {@code action}; returns what puts the previous handler back. */
    @SuppressWarnings("restriction")
    private static Runnable handle(String name, Runnable action) {
        sun.misc.Signal sig = new sun.misc.Signal(name);
        sun.misc.SignalHandler before = sun.misc.Signal.handle(sig, s -> action.run());
        return () -> sun.misc.Signal.handle(sig, before);
    }
}
