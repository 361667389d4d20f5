package io.codexrelay.cli;

import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.FrontEnd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Locale;

/**
 * {@code window settings|log}: one of the tray's windows in a process of its own, on the running daemon (over its admin
 * API) or, when none runs, on the files. The tray opens its windows this way, so that the Swing classes a window loads
 * leave with the window's process instead of staying in the daemon all day (issue 9).
 */
@Command(name = "window", mixinStandardHelpOptions = true,
        description = "Open the Settings window or the request log in a process of its own (needs a display); returns when it is closed.")
final class WindowCommand extends ControlCommand {
    @Parameters(index = "0", paramLabel = "WINDOW", description = "settings or log (the Sessions window: `codex-relay sessions window`).")
    String which;

    @Override
    int run(ControlHandle control) throws Exception {
        FrontEnd.Window window = switch (which.toLowerCase(Locale.ROOT)) {
            case "settings" -> FrontEnd.Window.SETTINGS;
            case "log", "request-log" -> FrontEnd.Window.REQUEST_LOG;
            default -> throw new CliFailure(RootCommand.EXIT_USAGE, "Unknown window '" + which
                    + "': use `settings` or `log` (the Sessions window: `codex-relay sessions window`).");
        };
        if (java.awt.GraphicsEnvironment.isHeadless()) {
            throw new CliFailure(RootCommand.EXIT_FAILURE, "No display: the " + which + " window needs a desktop (DISPLAY is not set). "
                    + "`codex-relay status` and `codex-relay logs` show the same in the terminal.");
        }
        if (!FrontEnd.openWindowAndWait(window, control)) {
            throw new CliFailure(RootCommand.EXIT_FAILURE, "Could not open the " + which + " window: this build has no desktop front end.");
        }
        return RootCommand.EXIT_OK;
    }
}
