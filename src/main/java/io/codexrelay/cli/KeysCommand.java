package io.codexrelay.cli;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.ToolKeyView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keys create|list|revoke}: per-tool client keys (docs/cli.md). */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Make, list and revoke the client keys other tools use.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Make a client key for one tool; it is printed once and stored only as a hash.")
    static final class Create extends ControlCommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "What the key is for, e.g. claude-code or cursor.")
        String name;

        @Option(names = "--rpm", paramLabel = "N", description = "At most N requests per minute with this key.")
        Integer rpm;

        @Option(names = "--max-concurrent", paramLabel = "N", description = "At most N requests with this key at once.")
        Integer maxConcurrent;

        @Option(names = "--account", paramLabel = "A", description = {"Serve this key's requests from account A (failover to the "
                + "others when A cannot serve, unless --strict)."})
        String account;

        @Option(names = "--strict", description = {"With --account: only account A; when it is out, the tool gets the usual "
                + "usage-limit error in its own dialect."})
        boolean strict;

        @Override
        int run(ControlHandle control) throws Exception {
            if (strict && account == null) throw new CliFailure(RootCommand.EXIT_USAGE, "--strict needs --account A.");
            ControlApi.CreatedToolKey k = control.createKey(new ControlApi.NewToolKey(name, rpm, maxConcurrent, account, strict));
            out().println(k.key());
            ctx().err().println("Made the key '" + k.name() + "' (shown once: copy it now); " + effect(control) + ".");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the client keys (never the keys themselves) and their use.")
    static final class ListKeys extends ControlCommand {
        @Option(names = "--json", description = "Print a JSON array.")
        boolean json;

        @Override
        int run(ControlHandle control) throws Exception {
            var keys = control.keys();
            if (json) {
                printJson(keys);
                return 0;
            }
            Table t = new Table("NAME", "STATE", "ACCOUNT", "RPM", "MAX", "REQUESTS", "RUNNING", "LIMITED", "CREATED");
            for (ToolKeyView k : keys) {
                t.row(k.name(), k.active() ? "active" : "revoked",
                        k.account() == null ? "-" : k.account() + (k.strict() ? " (strict)" : ""), k.rpm() == null ? "-" : k.rpm(),
                        k.maxConcurrent() == null ? "-" : k.maxConcurrent(), k.requests(), k.inFlight(), k.limited(),
                        k.created() == null ? "client.key" : k.created().toString());
            }
            t.print(out());
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a client key; the running relay refuses it at once.")
    static final class Revoke extends ControlCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        int run(ControlHandle control) throws Exception {
            control.revokeKey(name);
            out().println("Revoked the key '" + name + "'; " + effect(control) + ".");
            return 0;
        }
    }
}
