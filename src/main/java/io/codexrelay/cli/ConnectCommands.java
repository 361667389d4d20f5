package io.codexrelay.cli;

import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.ToolConnections;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code connect TOOL} and {@code disconnect TOOL} (docs/cli.md). */
final class ConnectCommands {
    private ConnectCommands() {}

    @Command(name = "connect", mixinStandardHelpOptions = true,
            description = "Point a tool at the relay with its own key: claude-code (writes ~/.claude/settings.json), opencode, cursor, env (print what to paste).")
    static final class Connect extends ControlCommand {
        @Parameters(index = "0", paramLabel = "TOOL", description = "claude-code, opencode, cursor or env")
        String tool;

        @Override
        int run(ControlHandle control) throws Exception {
            var c = ToolConnections.fromEnvironment(ctx().env(), ctx().clock()).connect(control, tool);
            out().println(c.instructions());
            ctx().err().println("The key '" + c.keyName() + "' is " + tool + "'s own; `codex-relay disconnect " + tool
                    + "` undoes this and revokes it.");
            return 0;
        }
    }

    @Command(name = "disconnect", mixinStandardHelpOptions = true, description = "Undo `connect TOOL` and revoke the tool's key.")
    static final class Disconnect extends ControlCommand {
        @Parameters(index = "0", paramLabel = "TOOL")
        String tool;

        @Override
        int run(ControlHandle control) throws Exception {
            for (String line : ToolConnections.fromEnvironment(ctx().env(), ctx().clock()).disconnect(control, tool)) out().println(line + ".");
            return 0;
        }
    }
}
