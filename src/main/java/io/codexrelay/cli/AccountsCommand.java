package io.codexrelay.cli;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlHandle;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** {@code accounts list|add-key|import-codex|remove|set|params|login|export-codex|export|import}. */
@Command(name = "accounts", mixinStandardHelpOptions = true, description = "List, add, import, change and remove accounts.",
        subcommands = {AccountsCommand.ListAccounts.class, AccountsCommand.AddKey.class, AccountsCommand.ImportCodex.class,
                AccountsCommand.Remove.class, AccountsCommand.Set.class, AccountsCommand.Params.class, AccountLoginCommands.Login.class,
                AccountLoginCommands.ExportCodex.class, AccountTransferCommands.Export.class,
                AccountTransferCommands.Import.class})
final class AccountsCommand {

    static String describe(AccountStatus a) {
        StringBuilder sb = new StringBuilder(a.kind());
        if (a.email() != null) sb.append(", ").append(a.email());
        if (a.plan() != null) sb.append(", ").append(a.plan());
        if ("api-key".equals(a.kind())) sb.append(", ").append(a.baseUrl());
        if (!"responses".equals(a.wire())) sb.append(", wire ").append(a.wire());
        if (!a.modelRules().isEmpty()) sb.append(", models ").append(String.join(" ", a.modelRules()));
        if (!a.clients().isEmpty()) sb.append(", only for ").append(String.join(",", a.clients()));
        if (a.balance() != null) sb.append(", balance from ").append(a.balance().url());
        if (a.websocket() != null) sb.append(a.websocket() ? ", WebSocket upstream" : ", HTTP upstream");
        sb.append(", secret ").append(a.secretHint());
        return sb.toString();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the accounts (secrets show their last 4 characters at most).")
    static final class ListAccounts extends ControlCommand {
        @Option(names = "--json", description = "Print a JSON array of accounts (see docs/cli.md).")
        boolean json;

        @Override
        int run(ControlHandle control) throws Exception {
            var status = control.status();
            if (json) {
                printJson(status.accounts());
                return 0;
            }
            if (status.accounts().isEmpty()) {
                out().println("No accounts yet. Import your Codex login:  codex-relay accounts import-codex");
                out().println("or add an API key:                        codex-relay accounts add-key --name NAME --key-env VAR");
                return 0;
            }
            Table t = new Table("NAME", "PIN", "KIND", "WIRE", "ACCOUNT", "PLAN", "PRIORITY", "MAX", "ENABLED", "SECRET", "MODELS", "CLIENTS");
            for (AccountStatus a : status.accounts()) {
                // the wire, and an API-key account's own upstream transport when it has one (accounts set --websocket)
                String wire = a.wire() + (a.websocket() == null ? "" : a.websocket() ? " (ws)" : " (http)");
                t.row(a.name(), a.pinned() ? "*" : "", a.kind(), wire, "api-key".equals(a.kind()) ? a.baseUrl() : a.email(), a.plan(),
                        a.priority(), a.maxConcurrent(), a.enabled() ? "yes" : "no", a.secretHint(), String.join(" ", a.modelRules()),
                        a.clients().isEmpty() ? "all" : String.join(",", a.clients()));
            }
            t.print(out());
            return 0;
        }
    }

    @Command(name = "add-key", mixinStandardHelpOptions = true,
            description = "Add an API-key account: an OpenAI Responses endpoint (default), a Chat Completions provider "
                    + "(--wire chat) or an Anthropic key (--wire anthropic).")
    static final class AddKey extends ControlCommand {
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "Unique account name.")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        KeySource source;

        static final class KeySource {
            @Option(names = "--key", paramLabel = "KEY", description = "The key itself (visible in shell history; prefer --key-env or --key-stdin).")
            String key;
            @Option(names = "--key-env", paramLabel = "VAR", description = "Read the key from this environment variable.")
            String keyEnv;
            @Option(names = "--key-stdin", description = "Read the key from standard input.")
            boolean keyStdin;
        }

        @Option(names = "--base-url", paramLabel = "URL", description = "Responses endpoint base (default: upstream.default_api_base_url, https://api.openai.com/v1).")
        String baseUrl;

        @Option(names = "--priority", paramLabel = "P", description = "Lower is tried first (default 100).")
        Integer priority;

        @Option(names = "--max-concurrent", paramLabel = "C", description = "Requests in flight at most (default: pool.api_key_max_concurrent).")
        Integer maxConcurrent;

        @Option(names = "--wire", paramLabel = "WIRE", description = "What the upstream speaks: responses (default), chat "
                + "(POST {base}/chat/completions) or anthropic (POST {base}/v1/messages). See docs/providers.md.")
        String wire;

        @Option(names = "--model-rule", paramLabel = "PATTERN=MODEL", description = "Send models matching the glob PATTERN "
                + "as MODEL (repeatable, first match wins), e.g. 'gpt-5*=deepseek-chat'. With rules, the account serves only "
                + "models that match one.")
        java.util.List<String> modelRules;

        @Override
        int run(ControlHandle control) throws Exception {
            String key = readKey();
            AccountStatus a = control.addApiKey(new ControlApi.NewApiKey(name, key, baseUrl, priority, maxConcurrent, wire, modelRules));
            out().println("Added '" + a.name() + "' (" + describe(a) + "); " + effect(control) + ".");
            // Only once the key was taken: a refused command leaves nothing worth the warning.
            if (source.key != null) ctx().err().println("Note: a key given with --key stays in your shell history; --key-env or --key-stdin avoid that.");
            return 0;
        }

        private String readKey() {
            if (source.key != null) return source.key;
            if (source.keyEnv != null) {
                String v = ctx().env().get(source.keyEnv);
                if (v == null || v.isBlank())
                    throw new CliFailure(2, "Environment variable " + source.keyEnv + " is not set or empty.");
                return v.trim();
            }
            try {
                String v = new String(ctx().in().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (v.isEmpty()) throw new CliFailure(2, "Nothing was read from standard input; pipe the key in, e.g. `pass show openai | codex-relay accounts add-key --name N --key-stdin`.");
                return v;
            } catch (IOException e) {
                throw new CliFailure(1, "Could not read standard input: " + e.getMessage());
            }
        }
    }

    @Command(name = "import-codex", mixinStandardHelpOptions = true,
            description = {"Import the login of a Codex home (auth.json: ChatGPT login or API key).",
                    "Importing the same ChatGPT account again updates its tokens in place (name and priority stay)."})
    static final class ImportCodex extends ControlCommand {
        @Option(names = "--codex-home", paramLabel = "DIR", description = "Codex home to read (default: $CODEX_HOME, else ~/.codex).")
        Path codexHome;

        @Option(names = "--name", paramLabel = "NAME", description = "Name for a new account (default: the e-mail's local part, else codex-N).")
        String name;

        @Override
        int run(ControlHandle control) throws Exception {
            Path dir = codexHome != null ? codexHome : ctx().codexHome();
            var before = control.status().accounts().stream().map(AccountStatus::name).toList();
            AccountStatus a = control.importCodex(dir.toAbsolutePath(), name);
            boolean updated = before.contains(a.name());
            out().println((updated ? "Updated '" : "Imported '") + a.name() + "' (" + describe(a) + ") from "
                    + dir.toAbsolutePath() + "; " + effect(control) + ".");
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove an account and its stored secrets.")
    static final class Remove extends ControlCommand {
        @Parameters(paramLabel = "NAME", description = "Account name.")
        String name;

        @Override
        int run(ControlHandle control) throws Exception {
            control.removeAccount(name);
            out().println("Removed '" + name + "'; " + effect(control) + ".");
            return 0;
        }
    }

    @Command(name = "params", mixinStandardHelpOptions = true,
            description = "Show the request parameters this account's upstream refused and the relay now leaves out; --reset forgets them.")
    static final class Params extends ControlCommand {
        @Parameters(paramLabel = "NAME", description = "Account name.")
        String name;

        @Option(names = "--reset", description = "Forget them: the next requests send every parameter again.")
        boolean reset;

        @Option(names = "--json", description = "Print JSON (see docs/cli.md).")
        boolean json;

        @Override
        int run(ControlHandle control) throws Exception {
            ControlApi.LearnedParams p = control.learnedParameters(name, reset);
            if (json) {
                printJson(p);
                return 0;
            }
            if (reset) out().println("Forgot " + p.forgotten() + " learned parameter" + (p.forgotten() == 1 ? "" : "s") + " of '" + p.account() + "'.");
            if (p.params().isEmpty()) {
                if (!reset) out().println("'" + p.account() + "' sends every parameter (its upstream has refused none).");
                return 0;
            }
            Table t = new Table("MODEL", "LEFT OUT", "SINCE");
            for (ControlApi.LearnedParam l : p.params()) t.row(l.model(), l.param(), l.learnedAt());
            t.print(out());
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Change an account's priority, concurrency limit, "
            + "enabled flag, wire, model rules, the tools it serves or its balance endpoint.")
    static final class Set extends ControlCommand {
        @Parameters(paramLabel = "NAME", description = "Account name.")
        String name;

        @Option(names = "--priority", paramLabel = "P", description = "Lower is tried first.")
        Integer priority;

        @Option(names = "--max-concurrent", paramLabel = "C", description = "Requests in flight at most.")
        Integer maxConcurrent;

        @ArgGroup(exclusive = true)
        Toggle toggle;

        @Option(names = "--clients", paramLabel = "LIST", description = "Serve only these tools: codex, claude, chat "
                + "(comma-separated, e.g. codex,claude); all = every tool.")
        String clients;

        @Option(names = "--wire", paramLabel = "WIRE", description = "What an API-key account's upstream speaks: responses, chat or anthropic.")
        String wire;

        @Option(names = "--model-rule", paramLabel = "PATTERN=MODEL", description = "Replace the model rules with these "
                + "(repeatable; first match wins).")
        java.util.List<String> modelRules;

        @Option(names = "--no-model-rules", description = "Remove every model rule (the account serves every model as asked).")
        boolean noModelRules;

        @Option(names = "--balance-url", paramLabel = "URL", description = "Poll the account's balance here (GET with its key), "
                + "e.g. https://api.deepseek.com/user/balance; needs --balance-path.")
        String balanceUrl;

        @Option(names = "--balance-path", paramLabel = "PATH", description = "JSON path of the remaining amount, e.g. "
                + "balance_infos[0].total_balance or data.limit_remaining.")
        String balancePath;

        @Option(names = "--balance-limit-path", paramLabel = "PATH", description = "JSON path of the limit (optional; "
                + "with it the balance shows as a used percentage).")
        String balanceLimitPath;

        @Option(names = "--balance-interval", paramLabel = "SECONDS", description = "Poll every this many seconds (default 600, at least 30).")
        Integer balanceInterval;

        @Option(names = "--no-balance", description = "Stop polling the account's balance.")
        boolean noBalance;

        @Option(names = "--websocket", paramLabel = "on|off|pool", description = "Speak WebSocket to this API-key account's "
                + "Responses upstream (on), HTTP (off), or as websocket.api_key_upstream says (pool). ChatGPT accounts always do.")
        String websocket;

        static final class Toggle {
            @Option(names = "--enable", description = "Serve from this account.") boolean enable;
            @Option(names = "--disable", description = "Keep the account but never serve from it.") boolean disable;
        }

        @Override
        int run(ControlHandle control) throws Exception {
            Boolean enabled = toggle == null ? null : toggle.enable;
            if (noModelRules && modelRules != null)
                throw new CliFailure(2, "Give either --model-rule or --no-model-rules, not both.");
            if (noBalance && balanceUrl != null)
                throw new CliFailure(2, "Give either --balance-url or --no-balance, not both.");
            if (balanceUrl == null && (balancePath != null || balanceLimitPath != null || balanceInterval != null))
                throw new CliFailure(2, "--balance-path, --balance-limit-path and --balance-interval go with --balance-url URL.");
            var rules = noModelRules ? java.util.List.<String>of() : modelRules;
            var balance = noBalance ? new ControlApi.BalanceSetting("", null, null, null)
                    : balanceUrl == null ? null : new ControlApi.BalanceSetting(balanceUrl, balancePath, balanceLimitPath, balanceInterval);
            var changes = new ControlApi.AccountChanges(priority, maxConcurrent, enabled, wire, rules,
                    clients == null ? null : java.util.List.of(clients), balance, websocket);
            if (changes.isEmpty())
                throw new CliFailure(2, "Nothing to change: give --priority, --max-concurrent, --enable, --disable, --clients, "
                        + "--wire, --model-rule, --no-model-rules, --balance-url, --no-balance or --websocket.");
            AccountStatus a = control.updateAccount(name, changes);
            out().println("Updated '" + a.name() + "': priority " + a.priority() + ", max concurrent " + a.maxConcurrent()
                    + ", " + (a.enabled() ? "enabled" : "disabled")
                    + (a.clients().isEmpty() ? "" : ", only for " + String.join(",", a.clients()))
                    + ("responses".equals(a.wire()) ? "" : ", wire " + a.wire())
                    + (a.modelRules().isEmpty() ? "" : ", models " + String.join(" ", a.modelRules()))
                    + (a.balance() == null ? "" : ", balance from " + a.balance().url())
                    + (a.websocket() == null ? "" : a.websocket() ? ", WebSocket to its upstream" : ", HTTP to its upstream")
                    + "; " + effect(control) + ".");
            return 0;
        }
    }
}
