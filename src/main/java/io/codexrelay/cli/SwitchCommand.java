package io.codexrelay.cli;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

/**
 * {@code switch [NAME]} / {@code switch --undo}: direct mode (issue 9). Codex gets one account in its own
 * {@code auth.json} and its own provider in {@code config.toml}, so it works with no relay running. Through the
 * running daemon when there is one (its token refresher and live quota), else offline on the files.
 */
@Command(name = "switch", mixinStandardHelpOptions = true,
        description = {"Let Codex run without the relay, on one account (direct mode).",
                "Writes the account into Codex's own auth.json and points config.toml back at Codex's own",
                "provider (backups first). Without NAME: the account with the most",
                "headroom, as the pool would choose. --undo puts both files back byte for byte.",
                "--on-stop sets what happens to Codex when the relay stops (tray Quit, logout, serve stopped)."})
final class SwitchCommand extends ControlCommand {
    @Parameters(arity = "0..1", paramLabel = "NAME", description = "Account to hand to Codex (default: the one with the most headroom).")
    String name;

    @Option(names = "--undo", description = "Put Codex's auth.json and config.toml back as they were before `switch`.")
    boolean undo;

    @Option(names = "--on-stop", paramLabel = "direct|relay|ask",
            description = "When the relay stops: hand Codex the best account directly (direct), leave Codex routed to the "
                    + "relay (relay), or ask at tray Quit (ask, the default; a stop without a tray then leaves Codex routed).")
    String onStop;

    @Option(names = "--codex-home", paramLabel = "DIR", description = "Codex's home directory (default: $CODEX_HOME, else ~/.codex).")
    Path codexHome;

    @Override
    int run(ControlHandle control) throws Exception {
        if (onStop != null) {
            if (undo || name != null) throw new CliFailure(2, "--on-stop is given alone: codex-relay switch --on-stop direct|relay|ask");
            ControlApi.StopChoice c = switch (onStop.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "direct" -> ControlApi.StopChoice.HAND_OVER;
                case "relay" -> ControlApi.StopChoice.KEEP_ROUTED;
                case "ask" -> ControlApi.StopChoice.ASK;
                default -> throw new CliFailure(2, "--on-stop takes direct, relay or ask (not '" + onStop + "').");
            };
            control.setStopChoice(c, true);
            out().println(switch (c) {
                case HAND_OVER -> "When the relay stops, Codex gets the account with the most headroom directly; the next start routes it through the relay again.";
                case KEEP_ROUTED -> "When the relay stops, Codex stays routed to it (it cannot work until the relay runs again).";
                case ASK -> "Tray Quit asks what to do with Codex; other stops leave Codex routed to the relay.";
            });
            return 0;
        }
        Path dir = (codexHome != null ? codexHome : ctx().codexHome()).toAbsolutePath().normalize();
        if (undo) {
            if (name != null) throw new CliFailure(2, "--undo takes no account name.");
            ControlApi.DirectUndo u = control.undoDirect(dir);
            out().println("Put back " + u.authFile() + " and " + u.configFile() + " as they were before `switch` ("
                    + u.account() + " was in use).");
            for (String n : u.notes()) out().println("Note: " + n);
            return 0;
        }
        ControlApi.DirectSwitch s = control.switchDirect(name, dir);
        out().println("Codex now uses " + s.account() + " directly (" + s.authFile() + "); it works without the relay.");
        if (s.authBackup() != null || s.configBackup() != null) {
            out().println("Backups: " + (s.authBackup() != null ? s.authBackup() : "no auth.json before") + ", "
                    + (s.configBackup() != null ? s.configBackup() : "no config.toml before") + ".");
        }
        if (s.reimported() != null) {
            out().println("Codex had refreshed " + s.reimported() + "'s login; the relay now uses those tokens.");
        }
        for (String n : s.notes()) out().println("Note: " + n);
        return 0;
    }
}
