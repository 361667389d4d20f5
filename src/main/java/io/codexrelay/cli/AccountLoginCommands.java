package io.codexrelay.cli;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ChatGptLogins;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlException;
import io.codexrelay.app.ControlHandle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** {@code accounts login} and {@code accounts export-codex} (issue 3). */
final class AccountLoginCommands {
    private AccountLoginCommands() {}

    @Command(name = "login", mixinStandardHelpOptions = true,
            description = {"Log in with a ChatGPT account (OAuth in the browser, as `codex login` does) and add it to the pool.",
                    "Logging in to an account that is already in the pool gives it the new tokens (name and settings stay)."})
    static final class Login extends ControlCommand {
        @Option(names = "--name", paramLabel = "NAME", description = "Name for a new account (default: the e-mail's local part).")
        String name;

        @Option(names = "--manual", description = {
                "For machines without a local browser: print the sign-in URL, then paste the address the browser ended on (http://localhost:1455/auth/callback?code=...)."})
        boolean manual;

        @Option(names = "--timeout-minutes", paramLabel = "M", defaultValue = "10", description = "Give up after this long (default 10).")
        int timeoutMinutes;

        /** Tests use other callback ports than Codex's 1455/1457. */
        @Option(names = "--callback-port", hidden = true, split = ",")
        List<Integer> callbackPorts;

        @Override
        int run(ControlHandle control) throws Exception {
            Object connectMs = control.config().get("upstream.connect_timeout_ms");
            ChatGptLogins logins = ChatGptLogins.create(ctx().clock(),
                    Duration.ofMillis(connectMs instanceof Number n ? n.longValue() : 10_000L));
            Duration timeout = Duration.ofMinutes(Math.max(1, timeoutMinutes));
            var before = control.status().accounts().stream().map(AccountStatus::name).toList();
            AccountStatus a;
            try {
                a = manual
                        ? logins.manual(control, name, new BufferedReader(new InputStreamReader(ctx().in(), StandardCharsets.UTF_8)), out(),
                                callbackPorts, timeout)
                        : logins.inBrowser(control, name, out(), callbackPorts, timeout);
            } catch (ControlException e) {
                throw new CliFailure(1, e.getMessage());
            }
            out().println((before.contains(a.name()) ? "Updated '" : "Added '") + a.name() + "' (" + AccountsCommand.describe(a)
                    + "); " + effect(control) + ".");
            return 0;
        }
    }

    @Command(name = "export-codex", mixinStandardHelpOptions = true,
            description = {
                    "Write an account into a Codex home's auth.json (the old file is backed up first; mode 0600), to use Codex without the relay.",
                    "The relay keeps serving the account too; when Codex refreshes its tokens there, the relay adopts them instead of failing."})
    static final class ExportCodex extends ControlCommand {
        @Parameters(paramLabel = "NAME", description = "Account name.")
        String name;

        @Option(names = "--codex-home", paramLabel = "DIR", description = "Codex home to write (default: $CODEX_HOME, else ~/.codex).")
        Path codexHome;

        @Override
        int run(ControlHandle control) throws Exception {
            Path dir = (codexHome != null ? codexHome : ctx().codexHome()).toAbsolutePath().normalize();
            ControlApi.CodexExport e = control.exportCodex(name, dir);
            out().println("Wrote '" + name + "' to " + e.file() + (e.backup() != null ? " (the previous file is saved as "
                    + e.backup() + ")" : "") + ".");
            return 0;
        }
    }
}
