package io.codexrelay.cli;

import io.codexrelay.app.CodexHomeView;
import io.codexrelay.app.ControlHandle;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code homes create|list|bind|remove}: named Codex homes, each wired to the relay with its own key and account. */
@Command(name = "homes", mixinStandardHelpOptions = true,
        description = {
                "Named Codex homes (CODEX_HOME directories), each wired to the relay with its own client key and optionally bound to an account: `CODEX_HOME=<dir> codex` in that home is served by that account."},
        subcommands = {HomesCommand.Create.class, HomesCommand.ListHomes.class, HomesCommand.Bind.class, HomesCommand.Remove.class})
final class HomesCommand {

    static void print(java.io.PrintStream out, CodexHomeView h) {
        out.println("Home '" + h.name() + "': " + h.dir() + "; account " + (h.account() == null ? "chosen by the pool" : "'" + h.account() + "'"
                + (h.strict() ? " (strict)" : "")) + "; " + (h.wired() ? "wired to the relay" : "NOT wired to the relay") + ".");
        if (h.note() != null && !h.note().isBlank()) out.println(h.note());
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a named Codex home wired to the relay (a backup of any config.toml first).")
    static final class Create extends ControlCommand {
        @Parameters(paramLabel = "NAME", description = "The home's name (letters, digits, '.', '_', '-').")
        String name;
        @Option(names = "--account", paramLabel = "A", description = "Serve this home's requests from account A first.")
        String account;
        @Option(names = "--dir", paramLabel = "DIR", description = "The directory (default: homes/NAME in the relay home); an existing Codex home is adopted as it is.")
        Path dir;
        @Option(names = "--from", paramLabel = "DIR", description = "Copy config.toml, AGENTS.md and prompts/ from this Codex home (not its sessions or login).")
        Path from;
        @Option(names = "--strict", description = "Only ever serve this home from its account (no failover to the others).")
        boolean strict;

        @Override
        int run(ControlHandle control) throws Exception {
            print(out(), control.createHome(name, account, dir, from, strict));
            out().println("The relay " + (control.daemonRunning() ? "accepts its key now." : "accepts its key when it starts."));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the named Codex homes.")
    static final class ListHomes extends ControlCommand {
        @Option(names = "--json", description = "Print a JSON array.")
        boolean json;

        @Override
        int run(ControlHandle control) throws Exception {
            List<CodexHomeView> homes = control.homes();
            if (json) {
                printJson(homes);
                return 0;
            }
            if (homes.isEmpty()) {
                out().println("No named homes yet: `codex-relay homes create NAME --account A`.");
                return 0;
            }
            Table t = new Table("NAME", "ACCOUNT", "WIRED", "SESSIONS", "KEY", "DIR");
            for (var h : homes) t.row(h.name(), h.account() == null ? "(pool)" : h.account() + (h.strict() ? " (strict)" : ""),
                    h.wired() ? "yes" : "no", h.sessions(), h.keyHint(), h.dir());
            t.print(out());
            return 0;
        }
    }

    @Command(name = "bind", mixinStandardHelpOptions = true, description = "Bind a home to an account (`-` for the pool's choice).")
    static final class Bind extends ControlCommand {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "ACCOUNT", description = "An account name, or - to let the pool choose.") String account;

        @ArgGroup(exclusive = true)
        Strictness strictness;

        static final class Strictness {
            @Option(names = "--strict", description = "Only this account serves the home.") boolean strict;
            @Option(names = "--failover", description = "Other accounts serve when it cannot (the default).") boolean failover;
        }

        @Override
        int run(ControlHandle control) throws Exception {
            Boolean strict = strictness == null ? null : strictness.strict;
            print(out(), control.bindHome(name, "-".equals(account) ? null : account, strict));
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Forget a home and point its config.toml back at its previous provider. Its directory and sessions stay.")
    static final class Remove extends ControlCommand {
        @Parameters(paramLabel = "NAME") String name;

        @Override
        int run(ControlHandle control) throws Exception {
            CodexHomeView h = control.removeHome(name);
            out().println("Removed home '" + h.name() + "'. " + h.note());
            return 0;
        }
    }
}
