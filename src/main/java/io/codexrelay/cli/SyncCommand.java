package io.codexrelay.cli;

import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.SyncStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code sync setup|now|status}: the accounts file on a WebDAV share (docs/sync.md). */
@Command(name = "sync", mixinStandardHelpOptions = true,
        description = "Share the accounts between machines through a WebDAV share (Nextcloud, ownCloud, any WebDAV server).",
        subcommands = {SyncCommand.Setup.class, SyncCommand.Now.class, SyncCommand.Status.class})
final class SyncCommand {

    @Command(name = "setup", mixinStandardHelpOptions = true,
            description = {"Set the WebDAV URL and user (config.toml) and store the password and passphrase (sync-secrets.json, mode 0600).",
                    "Use the same passphrase on every machine."})
    static final class Setup extends ControlCommand {
        @Option(names = "--url", required = true, paramLabel = "URL", description = "WebDAV URL of the accounts file (its folder is created when missing).")
        String url;

        @Option(names = "--user", paramLabel = "USER", description = "WebDAV user name.")
        String user;

        @Option(names = "--password-env", paramLabel = "VAR", description = "Read the WebDAV password from this environment variable (else a prompt when --user is given).")
        String passwordEnv;

        @Option(names = "--passphrase-env", paramLabel = "VAR", description = "Read the file's passphrase from this environment variable (else a prompt).")
        String passphraseEnv;

        @Override
        int run(ControlHandle control) throws Exception {
            if (!url.startsWith("https://") && !url.startsWith("http://"))
                throw new CliFailure(2, "--url must be an http(s) WebDAV address, e.g. https://cloud.example/remote.php/dav/files/me/codex-relay/accounts.crypt");
            if (url.matches("https?://[^/]*@.*"))
                throw new CliFailure(2, "Put the user name in --user, not in the URL (the URL is shown in messages).");
            String password = null;
            if (user != null) password = new String(Passphrases.read(ctx(), passwordEnv, false, "the WebDAV user " + user));
            char[] pass = Passphrases.read(ctx(), passphraseEnv, true, "the shared accounts file");
            Map<String, Object> changes = new LinkedHashMap<>();
            changes.put("sync.url", url);
            changes.put("sync.user", user == null ? "" : user);
            control.applyConfig(changes);
            control.storeSyncSecrets(password, pass);
            out().println("Sync set up for " + url + ". Run `codex-relay sync now` to sync the first time.");
            return 0;
        }
    }

    @Command(name = "now", mixinStandardHelpOptions = true, description = "Sync now: read the shared file, merge it in here, write the merged one back.")
    static final class Now extends ControlCommand {
        @Override
        int run(ControlHandle control) throws Exception {
            SyncStatus s = control.syncNow();
            out().println("Synced: " + s.lastResult() + ".");
            for (String c : s.changes()) out().println("  " + c);
            for (String w : s.warnings()) out().println("Warning: " + w);
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the sync's settings and its last result.")
    static final class Status extends ControlCommand {
        @Option(names = "--json", description = "Print the status as JSON.")
        boolean json;

        @Override
        int run(ControlHandle control) throws Exception {
            SyncStatus s = control.syncStatus();
            if (json) {
                printJson(s);
                return 0;
            }
            if (!s.configured()) {
                out().println("Sync is not set up (see `codex-relay sync setup --help` and docs/sync.md).");
                return 0;
            }
            out().println("Share:      " + s.url());
            out().println("Machine:    " + s.machine());
            out().println("Last sync:  " + (s.lastSyncAt() == null ? "never" : s.lastSyncAt() + " (" + s.lastResult() + ")"));
            if (s.lastError() != null) out().println("Last error: " + s.lastError());
            for (String w : s.warnings()) out().println("Warning:    " + w);
            return 0;
        }
    }
}
