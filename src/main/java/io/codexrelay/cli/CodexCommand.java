package io.codexrelay.cli;

import io.codexrelay.app.BadConfigException;
import io.codexrelay.app.CodexRouting;
import io.codexrelay.app.ControlException;
import io.codexrelay.app.RelayLauncher;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code codex on|off|status}: points Codex's {@code config.toml} at the relay and back. Works on the files directly
 * (no daemon needed). The port is the running relay's when one answers on this relay home, else {@code server.port};
 * the client key is the relay home's.
 */
@Command(name = "codex", mixinStandardHelpOptions = true,
        description = "Point the Codex CLI at the relay (on), back to your own provider (off), or show where it points (status).",
        subcommands = {CodexCommand.On.class, CodexCommand.Off.class, CodexCommand.Status.class})
public final class CodexCommand implements Callable<Integer> {
    private final Map<String, String> env;
    private final Clock clock;

    @Spec CommandLine.Model.CommandSpec spec;

    /** Under {@link RootCommand}: environment and clock come from its {@link CliContext}. */
    public CodexCommand() {
        this(null, null);
    }

    public CodexCommand(Map<String, String> env, Clock clock) {
        this.env = env;
        this.clock = clock;
    }

    private CliContext rootContext() {
        return spec != null && spec.root().userObject() instanceof RootCommand root ? root.context() : null;
    }

    Map<String, String> env() {
        if (env != null) return env;
        CliContext ctx = rootContext();
        return ctx != null ? ctx.env() : System.getenv();
    }

    Clock clock() {
        if (clock != null) return clock;
        CliContext ctx = rootContext();
        return ctx != null ? ctx.clock() : Clock.systemUTC();
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    CodexRouting routing() { return new CodexRouting(env(), clock()); }

    /** Options shared by the subcommands. */
    abstract static class Sub implements Callable<Integer> {
        @ParentCommand CodexCommand parent;
        @Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--codex-home", paramLabel = "DIR",
                description = "Codex's home directory (default: $CODEX_HOME, else ~/.codex).")
        Path codexHome;

        PrintWriter out() { return spec.commandLine().getOut(); }
        PrintWriter err() { return spec.commandLine().getErr(); }

        @Override
        public Integer call() {
            try {
                return run();
            } catch (BadConfigException e) {
                err().println("codex-relay: " + e.getMessage());
                return RootCommand.EXIT_USAGE;
            } catch (ControlException e) {
                err().println("codex-relay: " + e.getMessage());
                return RootCommand.EXIT_FAILURE;
            }
        }

        abstract int run() throws ControlException;

        void printNotes(List<String> notes) {
            for (String n : notes) out().println("Note: " + n);
        }
    }

    @Command(name = "on", mixinStandardHelpOptions = true,
            description = "Point Codex at the relay: sets model_provider = \"codex-relay\" and writes [model_providers.codex-relay]; "
                    + "every other line of config.toml stays as it is. A backup is made first.")
    static final class On extends Sub {
        /** How long {@code codex on} waits for a daemon it started to answer: a cold JVM with the tray takes a few seconds. */
        static final Duration START_WAIT = Duration.ofSeconds(30);

        @Option(names = "--no-start", description = "Do not start the relay when none is running; only say how to start it.")
        boolean noStart;

        @Override
        int run() throws ControlException {
            if (!noStart) {
                RelayLauncher launcher = new RelayLauncher(parent.env(), parent.clock());
                if (!launcher.running()) {
                    out().println("No relay was running: starting it in the background (`codex-relay` as at login; output in "
                            + launcher.outputFile() + ").");
                    out().flush();
                    RelayLauncher.Outcome started = launcher.ensureRunning(START_WAIT);
                    if (!started.answering()) {
                        err().println("codex-relay: the relay was started (pid " + started.pid() + ") but " + started.problem()
                                + ". Codex is pointed at it anyway; `codex-relay status` shows when it answers.");
                    }
                }
            }
            CodexRouting.OnResult o = parent.routing().on(codexHome);
            if (o.changed()) {
                out().println((o.created() ? "Created " : "Updated ") + o.configFile() + ": Codex now uses the relay at " + o.relayBaseUrl() + ".");
                if (o.backup() != null) out().println("Backup of the previous file: " + o.backup());
                out().println("Undo with `codex-relay codex off` (restores your model_provider line).");
            } else {
                out().println("Codex already uses the relay at " + o.relayBaseUrl() + " (" + o.configFile() + " unchanged).");
            }
            out().println("Port " + o.target().port() + ": " + o.target().why() + ".");
            if (!o.pointsAtRelay()) out().println("But Codex uses " + o.pointsAt() + ", see the note below.");
            out().println("Relay: " + o.relay() + ".");
            printNotes(o.notes());
            return 0;
        }
    }

    @Command(name = "off", mixinStandardHelpOptions = true,
            description = {"Undo `codex on`: config.toml is put back byte for byte as it was.",
                    "It restores the model_provider line you had (or none) and removes the relay's",
                    "[model_providers.codex-relay] table (backup first).",
                    "--keep-table keeps the table (with the client key) so sessions recorded through the relay can still",
                    "be opened with `codex resume -c model_provider=codex-relay <id>`."})
    static final class Off extends Sub {
        @Option(names = "--keep-table", description = "Keep the [model_providers.codex-relay] table (and its client key) in config.toml.")
        boolean keepTable;

        @Option(names = "--purge", hidden = true, description = "Accepted for older scripts; removing the table is now the default.")
        boolean purge;

        @Override
        int run() throws ControlException {
            if (keepTable && purge) {
                err().println("codex-relay: --keep-table and --purge contradict each other; give one.");
                return RootCommand.EXIT_USAGE;
            }
            CodexRouting.OffResult o = parent.routing().off(codexHome, !keepTable);
            if (o.changed()) {
                out().println("Updated " + o.configFile() + ": Codex now uses " + o.pointsAt() + ".");
                if (o.backup() != null) out().println("Backup of the previous file: " + o.backup());
            } else if (o.pointsAt() != null) {
                out().println("Nothing to change in " + o.configFile() + ": Codex uses " + o.pointsAt() + ".");
            }
            out().println(keepTable
                    ? "Kept: the [model_providers.codex-relay] table (it holds the relay's client key), so sessions recorded "
                            + "through the relay stay resumable with -c model_provider=codex-relay. `codex-relay codex off` removes it."
                    : "Nothing of the relay stays in config.toml: it is as it was before `codex on`"
                            + " (unless you edited it in between; your edits stay).");
            printNotes(o.notes());
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show which provider Codex uses, whether the relay answers, and the backups of Codex's config.")
    static final class Status extends Sub {
        @Override
        int run() throws ControlException {
            CodexRouting.StatusResult s = parent.routing().status(codexHome);
            out().println("Codex config:    " + s.configFile() + (s.fileExists() ? "" : " (does not exist)"));
            out().println("Codex uses:      " + s.pointsAt());
            if (s.relayTablePresent()) {
                String expected = s.target().baseUrl();
                StringBuilder t = new StringBuilder("[model_providers.codex-relay] present");
                if (!expected.equals(s.relayTableBaseUrl())) {
                    t.append("; base_url is ").append(s.relayTableBaseUrl()).append(" but the relay listens at ").append(expected)
                            .append(": run `codex-relay codex on` again");
                }
                if (s.clientKeyMatches() != null) {
                    t.append(s.clientKeyMatches() ? "; client key matches the relay's" : "; client key does NOT match the relay's: run `codex-relay codex on` again");
                }
                out().println("Relay table:     " + t);
            } else {
                out().println("Relay table:     absent (`codex-relay codex on` writes it)");
            }
            out().println("Relay:           " + s.relay() + " (port " + s.target().port() + ": " + s.target().why() + ")");
            var byProvider = s.sessionsByProvider();
            String sessions = byProvider.isEmpty() ? "none found" : byProvider.entrySet().stream()
                    .map(e -> e.getValue() + " under " + (e.getKey().isEmpty() ? "no recorded provider" : "'" + e.getKey() + "'"))
                    .collect(Collectors.joining(", ")) + " (from the " + s.sessionsSource() + ")";
            out().println("Sessions:        " + sessions);
            List<Path> backups = s.backups();
            out().println("Backups:         " + (backups.isEmpty() ? "none yet" : backups.size() + " in " + s.backupDir()
                    + " (newest: " + backups.get(0).getFileName() + ")"));
            printNotes(s.notes());
            return 0;
        }
    }
}
