package io.codexrelay.app;

import io.codexrelay.events.EventBus;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What the UI and the CLI may ask of the relay. Implemented in-process by the daemon, by an HTTP client of
 * the daemon's admin API (CLI while a daemon runs), and offline on the files (CLI without a daemon).
 * Every failure is a {@link ControlException} whose message says what to do.
 */
public interface ControlApi {

    /** The pool as the tray and {@code status} show it. */
    PoolStatus status() throws ControlException;

    AccountStatus addApiKey(NewApiKey request) throws ControlException;

    /** Imports {@code auth.json} of a Codex home; re-importing the same ChatGPT account updates it in place. */
    AccountStatus importCodex(Path codexHome, String name) throws ControlException;

    void removeAccount(String name) throws ControlException;

    /** Changes priority, max concurrent and/or enabled (null = leave as is). */
    AccountStatus updateAccount(String name, AccountChanges changes) throws ControlException;

    /** Pins an account: every new request goes to it while it can serve. */
    void pin(String name) throws ControlException;

    /** Lets the pool choose. */
    void auto() throws ControlException;

    /** While paused, proxied requests get a clear 503. */
    void setPaused(boolean paused) throws ControlException;

    /** Polls every account's quota now. */
    void refreshQuota() throws ControlException;

    /**
     * Adds the ChatGPT account of a login made by {@code accounts login}, or gives the account with the same ChatGPT
     * account id the new tokens (its name and settings stay). {@code name} null: derived from the e-mail.
     */
    default AccountStatus addChatGptLogin(String name, LoginTokens tokens) throws ControlException {
        throw new ControlException("Adding a ChatGPT login is not available here; run `codex-relay accounts login`.");
    }

    /**
     * {@code accounts export-codex}: writes the account into {@code codexHome/auth.json} as Codex writes it (the old
     * file backed up first, mode 0600), so Codex can use it without the relay.
     */
    default CodexExport exportCodex(String name, Path codexHome) throws ControlException {
        throw new ControlException("Exporting to Codex is not available here; run `codex-relay accounts export-codex`.");
    }

    /** Where an export went: the file written, and the backup of the previous one (null when there was none). */
    record CodexExport(String file, String backup) {}

    /** Newest first. */
    List<RequestView> recentRequests(int limit) throws ControlException;

    /** Current configuration values keyed {@code section.key}. */
    Map<String, Object> config() throws ControlException;

    /**
     * Validates and writes the changes to {@code config.toml} (comments kept) and applies what can be applied live.
     * Returns the keys that only take effect after a restart.
     */
    List<String> applyConfig(Map<String, Object> changes) throws ControlException;

    /** The {@code [[redact]]} rules of config.toml as written (issue 12), in file order. */
    default List<RedactionEntry> redactionRules() throws ControlException {
        throw new ControlException("Redaction rules are edited in the relay's own window or in config.toml ([[redact]]).");
    }

    /**
     * Replaces the {@code [[redact]]} rules of config.toml with {@code rules} (checked by the loader first; written
     * atomically with a backup, like every settings change) and applies them to the next request.
     */
    default void saveRedactionRules(List<RedactionEntry> rules) throws ControlException {
        throw new ControlException("Redaction rules are edited in the relay's own window or in config.toml ([[redact]]).");
    }

    /** Why the last hand edit of config.toml was not applied (the previous settings stay); null when it was. */
    default String configProblem() throws ControlException { return null; }

    /** One page of the request log, newest first, matching {@code filter} (the log window pages through 100 000+ rows). */
    List<RequestView> queryRequests(LogQuery.Filter filter, long offset, int limit) throws ControlException;

    /** How many rows match {@code filter}. */
    long countRequests(LogQuery.Filter filter) throws ControlException;

    /** Requests and tokens per account (and model) per {@code bucket} since {@code from} (the log window's chart). */
    List<LogQuery.UsageBucket> requestUsage(Instant from, Duration bucket) throws ControlException;

    /** Requests and tokens per client key per {@code bucket} since {@code from} (the chart "by client key"). */
    default List<LogQuery.ClientBucket> requestUsageByClient(Instant from, Duration bucket) throws ControlException {
        throw new ControlException("Usage per client key is kept in the daemon's request log; start it with `codex-relay`.");
    }

    /** The API prices per model ({@code [prices]} of config.toml over the jar's defaults), to price the tokens used. */
    default ApiPrices apiPrices() throws ControlException {
        throw new ControlException("API prices are not available here; see [prices] in config.toml.");
    }

    /** Whether Codex's config routes through this relay ({@code codex on}); null when not known. */
    default Boolean codexRouted() throws ControlException { return null; }

    /** {@code codex on} / {@code codex off}: points Codex at the relay or restores its own provider (with a backup). */
    default void setCodexRouted(boolean on) throws ControlException {
        throw new ControlException("Routing Codex from here is not available; run `codex-relay codex " + (on ? "on" : "off") + "`.");
    }

    /**
     * {@code switch [NAME]}: direct mode (issue 9). Writes the account ({@code name} null: the one with the most headroom,
     * as the pool would choose) into {@code codexHome/auth.json} with fresh tokens and points Codex's {@code config.toml}
     * at Codex's own provider, so Codex works with no relay. Backups first; {@link #undoDirect} puts both files back.
     */
    default DirectSwitch switchDirect(String name, Path codexHome) throws ControlException {
        throw new ControlException("Direct mode is not available here; run `codex-relay switch`.");
    }

    /** {@code switch --undo}: puts Codex's auth.json and config.toml back byte for byte (tokens Codex rotated are kept). */
    default DirectUndo undoDirect(Path codexHome) throws ControlException {
        throw new ControlException("Direct mode is not available here; run `codex-relay switch --undo`.");
    }

    /** The account direct mode handed to Codex in {@code codexHome}, or null when direct mode is off there. */
    default String directAccount(Path codexHome) throws ControlException { return null; }

    /** What happens to Codex when the relay stops (tray Quit, SIGTERM, {@code serve} stopped); {@code ASK} = not decided. */
    default StopChoice stopChoice() throws ControlException { return StopChoice.ASK; }

    /**
     * Sets what happens to Codex when the relay stops. {@code remember}: kept for every later stop (the Quit dialog's
     * "remember my choice", {@code switch --on-stop}); otherwise only for the stop about to happen (this daemon).
     */
    default void setStopChoice(StopChoice choice, boolean remember) throws ControlException {
        throw new ControlException("Not available here; run `codex-relay switch --on-stop direct|relay|ask`.");
    }

    /** When the relay stops: leave Codex routed to it, or hand Codex the best account directly. */
    enum StopChoice { ASK, KEEP_ROUTED, HAND_OVER }

    /** What {@link #switchDirect} did; backups null when the file did not exist. */
    record DirectSwitch(String account, String authFile, String configFile, String authBackup, String configBackup,
                        String reimported, List<String> notes) {}

    /** What {@link #undoDirect} put back; {@code reimported} names the account whose rotated tokens the relay took over. */
    record DirectUndo(String account, String authFile, String configFile, String reimported, List<String> notes) {}

    /**
     * Starts "Log in with ChatGPT" in this process ({@link ChatGptLogins}: OAuth PKCE with the local callback on
     * 127.0.0.1:1455, as Codex does), saving the account through {@link #addChatGptLogin}. The caller shows or opens
     * {@link ChatGptLogin#authorizeUrl()}; the flow ends by the browser's redirect or by the pasted redirect URL.
     */
    ChatGptLogin startChatGptLogin(String name) throws ControlException;

    /** A login in progress. */
    interface ChatGptLogin {
        String authorizeUrl();

        /** Completes with the new (or updated) account, or exceptionally with a {@link ControlException}. */
        CompletableFuture<AccountStatus> result();

        /** The paste fallback: the full URL the browser ended on after signing in. */
        void completeWith(String redirectUrl) throws ControlException;

        void cancel();
    }

    /** Brings the running daemon's settings window forward (what a second launch asks); refused when headless. */
    default void showSettings() throws ControlException {
        throw new ControlException("No window to show: this relay runs without a tray.");
    }

    /** Events of the running daemon; null for remote and offline implementations. */
    default EventBus events() { return null; }

    /** The client keys: Codex's ({@code codex}) and every per-tool key, revoked ones included. */
    default List<ToolKeyView> keys() throws ControlException {
        throw new ControlException("Client keys are not available here.");
    }

    /** Makes a per-tool client key; the answer holds the key itself, shown once and never stored. */
    default CreatedToolKey createKey(NewToolKey request) throws ControlException {
        throw new ControlException("Client keys are not available here.");
    }

    /** Revokes a per-tool key: the running relay refuses it from the next request on. */
    default void revokeKey(String name) throws ControlException {
        throw new ControlException("Client keys are not available here.");
    }

    /** {@code account}: the account the key's requests go to first (null: the pool chooses); {@code strict}: only there. */
    record NewToolKey(String name, Integer rpm, Integer maxConcurrent, String account, boolean strict) {
        public NewToolKey(String name, Integer rpm, Integer maxConcurrent) { this(name, rpm, maxConcurrent, null, false); }
    }

    /**
     * Starts a {@code codex-relay run}: a client key named {@code run:PID COMMAND} whose requests go to {@code account}
     * (or the account of the named home {@code home}; one of the two), strictly there when {@code strict}. The key lives
     * until {@link #endRun} (or the next daemon start, if {@code pid} has ended by then).
     */
    default StartedRun startRun(NewRun request) throws ControlException {
        throw new ControlException("`codex-relay run` needs the running daemon.");
    }

    /** Ends a run: its key is deleted and refused from the next request on. */
    default void endRun(String name) throws ControlException {
        throw new ControlException("`codex-relay run` needs the running daemon.");
    }

    record NewRun(long pid, String command, String account, String home, boolean strict) {}

    /** A started run: its key's name, the key (for the process's environment only), its account, the home's directory (--home). */
    record StartedRun(String name, String key, String account, String codexHome) {
        @Override public String toString() { return "StartedRun[" + name + " -> " + account + "]"; }

        /**
         * What the run's process gets in its environment: the key in the variable Codex's provider entry names in
         * {@code env_http_headers} ({@code codex on} writes it), and {@code CODEX_HOME} for a named home.
         */
        public java.util.Map<String, String> environment() {
            java.util.Map<String, String> env = new java.util.LinkedHashMap<>();
            env.put(io.codexrelay.codex.CodexConfigPatch.PROCESS_KEY_ENV, key);
            if (codexHome != null) env.put("CODEX_HOME", codexHome);
            return env;
        }
    }

    /** Requests and tokens per client key since the daemon started, most requests first. */
    default List<ClientUsage> clientUsage() throws ControlException {
        throw new ControlException("Usage per client is kept by the running daemon; start it with `codex-relay`.");
    }

    /** One client key's use: {@code client} is its name (codex, a tool key, home:NAME, run:PID COMMAND). */
    record ClientUsage(String client, long requests, long failed, long inputTokens, long outputTokens) {}

    record CreatedToolKey(String name, String key) {
        @Override public String toString() { return "CreatedToolKey[" + name + "]"; }
    }

    // ---- several machines and several Codex homes (docs/sync.md, docs/cli.md `homes`) ----------------------------

    /** Every account (tokens, keys, settings) in one file encrypted with {@code passphrase} (docs/sync.md). */
    default byte[] exportAccounts(char[] passphrase) throws ControlException {
        throw new ControlException("Exporting accounts is not available here; run `codex-relay accounts export`.");
    }

    /** Merges an exported file in by account identity; a dry run unless {@code apply}. Newer tokens are never replaced. */
    default AccountsImport importAccounts(byte[] file, char[] passphrase, boolean apply) throws ControlException {
        throw new ControlException("Importing accounts is not available here; run `codex-relay accounts import`.");
    }

    /** The WebDAV sync's state. */
    default SyncStatus syncStatus() throws ControlException {
        throw new ControlException("Sync is not available here; run `codex-relay sync status`.");
    }

    /** Syncs with the WebDAV share now: pull, merge, push. */
    default SyncStatus syncNow() throws ControlException {
        throw new ControlException("Sync is not available here; run `codex-relay sync now`.");
    }

    /** Stores the WebDAV password (null: keep none) and the sync passphrase in the relay home (mode 0600). */
    default void storeSyncSecrets(String password, char[] passphrase) throws ControlException {
        throw new ControlException("Sync is not available here; run `codex-relay sync setup`.");
    }

    /** The named Codex homes. */
    default List<CodexHomeView> homes() throws ControlException {
        throw new ControlException("Homes are not available here; run `codex-relay homes list`.");
    }

    /**
     * Creates a named Codex home wired to the relay with its own client key ({@code dir} null: under the relay home;
     * {@code from}: a Codex home whose config and instructions to copy; {@code account} null: the pool chooses).
     */
    default CodexHomeView createHome(String name, String account, Path dir, Path from, boolean strict) throws ControlException {
        throw new ControlException("Homes are not available here; run `codex-relay homes create`.");
    }

    /** Binds a home to an account (null: the pool chooses); {@code strict} null leaves it as it is. */
    default CodexHomeView bindHome(String name, String account, Boolean strict) throws ControlException {
        throw new ControlException("Homes are not available here; run `codex-relay homes bind`.");
    }

    /** Forgets a home and points its config back; its directory and sessions stay. */
    default CodexHomeView removeHome(String name) throws ControlException {
        throw new ControlException("Homes are not available here; run `codex-relay homes remove`.");
    }

    /**
     * A new API-key account. {@code wire}: {@code responses} (null), {@code chat} or {@code anthropic};
     * {@code modelRules}: {@code pattern=target} each (null: none).
     */
    record NewApiKey(String name, String key, String baseUrl, Integer priority, Integer maxConcurrent, String wire,
                     List<String> modelRules) {
        public NewApiKey(String name, String key, String baseUrl, Integer priority, Integer maxConcurrent) {
            this(name, key, baseUrl, priority, maxConcurrent, null, null);
        }
        @Override public String toString() { return "NewApiKey[" + name + " @ " + baseUrl + " (" + wire + ")]"; }
    }

    /**
     * The request parameters an account's upstream refused and the relay now leaves out (issue 12), per upstream
     * model; with {@code reset} they are forgotten first ({@code forgotten} says how many) and the list is empty.
     */
    default LearnedParams learnedParameters(String name, boolean reset) throws ControlException {
        throw new ControlException("Learned parameters are not available here.");
    }

    record LearnedParam(String model, String param, Instant learnedAt) {}

    record LearnedParams(String account, List<LearnedParam> params, int forgotten) {}

    /**
     * What to change in an account; null leaves a field as it is. {@code wire} and {@code modelRules} apply to API-key
     * accounts only ({@code modelRules} empty: no rules); {@code clients}: the kinds of tool it serves ({@code codex},
     * {@code claude}, {@code chat}; empty or {@code all}: every tool); {@code balance}: where its balance is polled
     * (a blank URL removes it).
     */
    record AccountChanges(Integer priority, Integer maxConcurrent, Boolean enabled, String wire, List<String> modelRules,
                          List<String> clients, BalanceSetting balance, String websocket) {
        public AccountChanges(Integer priority, Integer maxConcurrent, Boolean enabled) {
            this(priority, maxConcurrent, enabled, null, null, null, null, null);
        }

        /** Changes that leave the upstream transport as it is. */
        public AccountChanges(Integer priority, Integer maxConcurrent, Boolean enabled, String wire, List<String> modelRules,
                              List<String> clients, BalanceSetting balance) {
            this(priority, maxConcurrent, enabled, wire, modelRules, clients, balance, null);
        }

        public boolean isEmpty() {
            return priority == null && maxConcurrent == null && enabled == null && wire == null && modelRules == null
                    && clients == null && balance == null && websocket == null;
        }
    }

    /**
     * A balance endpoint (issue 12): {@code GET url} with the account's key; the remaining amount at the JSON path
     * {@code remainingPath}, the limit at {@code limitPath} (null: none); polled every {@code intervalSeconds}
     * (null: 600).
     */
    record BalanceSetting(String url, String remainingPath, String limitPath, Integer intervalSeconds) {}
}
