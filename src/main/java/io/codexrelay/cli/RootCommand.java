package io.codexrelay.cli;

import io.codexrelay.app.ControlException;
import io.codexrelay.app.Daemon;
import io.codexrelay.app.FrontEnd;
import io.codexrelay.app.LogSetup;
import io.codexrelay.app.RelayApp;
import io.codexrelay.app.BadConfigException;
import io.codexrelay.app.Controls;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/**
 * {@code codex-relay [command]}. With no command it starts the daemon, with the tray when a {@link FrontEnd}
 * is available (else headless, like {@code serve}). Exit codes: 0 ok, 1 failure, 2 usage or configuration error.
 */
@Command(name = "codex-relay", mixinStandardHelpOptions = true, version = "codex-relay " + RelayApp.VERSION,
        description = {"Local relay that lets the Codex CLI use several accounts as one.",
                "With no command, starts the relay (the tray when a desktop is available)."},
        subcommands = {ServeCommand.class, AccountsCommand.class, ModeCommands.Use.class, ModeCommands.Auto.class,
                ModeCommands.Pause.class, ModeCommands.Resume.class, StatusCommand.class, DoctorCommand.class, LogsCommand.class, CodexCommand.class, SwitchCommand.class, SessionsCommand.class,
                HomesCommand.class, RunCommand.class, SyncCommand.class, KeysCommand.class, WindowCommand.class,
                ConnectCommands.Connect.class, ConnectCommands.Disconnect.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:failed (the message says why and what to do)", "2:usage or configuration error"})
public final class RootCommand implements Callable<Integer> {
    public static final int EXIT_OK = 0, EXIT_FAILURE = 1, EXIT_USAGE = 2;

    private final CliContext context;

    public RootCommand(CliContext context) {
        this.context = context;
    }

    public CliContext context() { return context; }

    /**
     * No command: the daemon, preferring the tray. When a daemon already runs for this relay home, a second launch
     * brings its settings window forward instead of starting twice (or says it runs headless).
     */
    @Override
    public Integer call() {
        Integer handedOff = handOffToRunningDaemon();
        if (handedOff != null) return handedOff;
        return Daemon.run(RelayApp.Options.fromEnvironment(context.env(), context.clock(), null), true, RelayApp.DEFAULT_STOP_GRACE, context.err());
    }

    private Integer handOffToRunningDaemon() {
        OptionalLong holder;
        try {
            holder = Controls.runningDaemon(context.env());
        } catch (IOException e) {
            return null;
        }
        if (holder.isEmpty()) return null;
        try (var control = Controls.open(context.env(), context.clock())) {
            if (!control.daemonRunning()) return null;   // it stopped meanwhile: start normally
            try {
                control.showSettings();
                context.err().println("codex-relay is already running (" + control.describe() + "); its settings window was brought forward.");
                return EXIT_OK;
            } catch (ControlException e) {
                context.err().println("codex-relay is already running (" + control.describe() + "): " + e.getMessage());
                return EXIT_FAILURE;
            }
        } catch (ControlException e) {
            context.err().println("codex-relay: " + e.getMessage());
            return EXIT_FAILURE;
        }
    }

    /** Gives commands that take their environment in a constructor the context's (so tests never see the real one). */
    private static CommandLine.IFactory factory(CliContext ctx) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        return new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                if (cls == CodexCommand.class) return cls.cast(new CodexCommand(ctx.env(), ctx.clock()));
                if (cls == SessionsCommand.class) return cls.cast(new SessionsCommand(ctx.env(), ctx.clock()));
                return defaults.create(cls);
            }
        };
    }

    public static int run(String[] args) {
        return run(args, CliContext.system());
    }

    public static int run(String[] args, CliContext ctx) {
        // CLI output is for people; the daemon raises the level from its config when it starts.
        LogSetup.level("warn");
        CommandLine cl = new CommandLine(new RootCommand(ctx), factory(ctx));
        cl.setOut(new PrintWriter(ctx.out(), true));
        cl.setErr(new PrintWriter(ctx.err(), true));
        // `run -- codex exec --flag`: everything from the command on is the command's, with or without the `--`
        cl.getSubcommands().get("run").setStopAtPositional(true);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            int code;
            String message;
            if (ex instanceof CliFailure f) {
                code = f.exitCode();
                message = f.getMessage();
            } else if (ex instanceof BadConfigException) {
                code = EXIT_USAGE;
                message = ex.getMessage();
            } else if (ex instanceof ControlException) {
                code = EXIT_FAILURE;
                message = ex.getMessage();
            } else {
                code = EXIT_FAILURE;
                message = "unexpected error: " + ex + (ctx.env().containsKey("CODEX_RELAY_DEBUG") ? ""
                        : " (set CODEX_RELAY_DEBUG=1 for details)");
                if (ctx.env().containsKey("CODEX_RELAY_DEBUG")) ex.printStackTrace(ctx.err());
            }
            ctx.err().println("codex-relay: " + message);
            ctx.err().flush();
            return code;
        });
        int code = cl.execute(args);
        ctx.out().flush();
        return code;
    }
}
