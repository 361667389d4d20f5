package io.codexrelay.app;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.account.CodexAuthExport;
import io.codexrelay.account.CodexAuthFile;
import io.codexrelay.account.Credentials;
import io.codexrelay.account.Jwt;
import io.codexrelay.account.ModelRule;
import io.codexrelay.account.Wire;
import io.codexrelay.config.AtomicFiles;
import io.codexrelay.config.ConfigException;
import io.codexrelay.config.ConfigFilePatcher;
import io.codexrelay.config.ConfigLoader;
import io.codexrelay.config.ConfigSchema;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;
import io.codexrelay.events.EventBus;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.PoolServices;
import io.codexrelay.store.Database;
import io.codexrelay.store.RelayState;
import io.codexrelay.store.RequestLog;
import io.codexrelay.store.RequestLogQuery;
import io.codexrelay.store.StoreException;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * {@link ControlApi} in the same process as the files, in one of two modes behind this one type:
 * <ul>
 *   <li>{@link LiveControl} ({@link #live}): inside the daemon, next to the running {@link AccountPool}; account
 *       changes go to the repository and then {@link AccountPool#reload()}, mode changes go to the pool, so they take
 *       effect at once;</li>
 *   <li>{@link OfflineControl} ({@link #offline}): the CLI without a daemon; it opens {@code relay.db} itself and
 *       writes the pinned/paused state straight into {@link RelayState}, which the pool reads when the daemon next
 *       starts.</li>
 * </ul>
 * What both modes do alike (checking and saving accounts, the request log, the configuration file, Codex routing)
 * is written once here; what differs is a handful of hooks the two subclasses fill in, not {@code if (pool != null)}.
 * Every failure is a {@link ControlException} with a message that says what to do; secrets never appear in one.
 */
public abstract sealed class LocalControl implements ControlHandle permits LiveControl, OfflineControl {
    public static final int DEFAULT_PRIORITY = 100;

    final RelayHome home;
    final AccountRepository accounts;
    final Clock clock;
    private final String description;
    private final Database database;            // the request log's read side and the log window's queries
    volatile RelayConfig config;
    private RequestLogQuery logQuery;           // opened lazily, closed by close()
    private volatile Runnable showSettings;     // set by the tray; null when headless
    private final ChatGptLogins logins;
    /** Whose Codex home "this user's Codex" is ($CODEX_HOME, else $HOME/.codex); RelayApp passes its environment. */
    volatile Map<String, String> codexEnv = System.getenv();

    LocalControl(RelayHome home, RelayConfig config, AccountRepository accounts, Clock clock, Database database, String description) {
        this.home = home;
        this.config = config;
        this.accounts = accounts;
        this.clock = clock;
        this.database = database;
        this.description = description;
        this.logins = ChatGptLogins.create(clock, config.upstream().connectTimeout());
    }

    /**
     * The daemon's control. {@code configApplier} receives a newly written configuration to apply live (pool limits,
     * log level, ...); {@code serverInFlight} counts requests in the relay.
     */
    public static LiveControl live(RelayHome home, RelayConfig config, Database database, AccountRepository accounts, RelayState state,
                                   AccountPool pool, PoolServices services, RequestLog requestLog, EventBus events,
                                   IntSupplier serverInFlight,
                                   Consumer<RelayConfig> configApplier, Clock clock, String description) {
        return new LiveControl(home, config, Objects.requireNonNull(database), accounts, Objects.requireNonNull(pool),
                Objects.requireNonNull(services), Objects.requireNonNull(requestLog), events, serverInFlight, configApplier, clock, description);
    }

    /** Works on the files of {@code home} with no daemon running. Creates the home and config file when missing. */
    public static OfflineControl offline(RelayHome home, Clock clock) throws ConfigException, ControlException {
        try {
            home.ensureExists();
        } catch (IOException e) {
            throw new ControlException("Could not create " + home.dir() + ": " + e.getMessage()
                    + ". Check the permissions, or set CODEX_RELAY_HOME to a writable directory.");
        }
        RelayConfig cfg = ConfigLoader.loadOrCreate(home.configFile());
        Database db;
        try {
            db = new Database(home.database());
        } catch (StoreException e) {
            throw new ControlException(e.getMessage(), e);
        }
        return new OfflineControl(home, cfg, db, clock);
    }

    @Override public String describe() { return description; }

    /** The configuration in force (live) or on disk (offline). */
    public RelayConfig currentConfig() { return config; }

    // ---- what the two modes do differently -------------------------------------------------------------------

    /** The pinned account's name, or null when the pool chooses. */
    abstract String pinnedName() throws ControlException;

    /** Pins {@code name}, or lets the pool choose when null. */
    abstract void setPinned(String name) throws ControlException;

    /** After accounts were saved: the live pool reloads and the change is announced. */
    abstract void accountsChanged() throws ControlException;

    /** The account with the freshest tokens there are (live: the pool's, which may have refreshed since it was stored). */
    Account freshest(Account stored) { return stored; }

    /**
     * Credentials fit to hand to Codex now: a ChatGPT login refreshed first when its access token is due (the refreshed
     * tokens are stored, so the relay and Codex start from the same refresh token).
     */
    Credentials freshCredentials(Account a) throws ControlException {
        if (a.kind() != Account.Kind.CHATGPT) return a.credentials();
        var executor = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "direct-mode-refresh");
            t.setDaemon(true);
            return t;
        });
        try {
            var refresher = new io.codexrelay.account.TokenRefresher(config.upstream().oauthIssuer(), accounts, null, clock,
                    java.net.http.HttpClient.newBuilder().connectTimeout(config.upstream().connectTimeout()).build(), executor,
                    Duration.ofSeconds(30));
            return refresher.fresh(a).get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ControlException("Could not refresh " + a.name() + "'s login before handing it to Codex: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ControlException("Refreshing " + a.name() + "'s login took longer than 60 s; try again.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException("Interrupted.");
        } finally {
            executor.shutdownNow();
        }
    }

    /** The request log's write side (its {@code newest} rows). */
    abstract RequestLog requestLog();

    /** Lets the log writer catch up before the first page is read, so a request that just finished is in it. */
    void flushLog() { }

    /** {@code next} was written to config.toml: applies it where it can; returns the keys that need a restart. */
    abstract List<String> configApplied(RelayConfig next);

    // ---- status ----------------------------------------------------------------------------------------------

    /** Where an Anthropic key goes when no base URL is given ({@code /v1/messages} is appended). */
    static final String ANTHROPIC_BASE_URL = "https://api.anthropic.com";

    static String wireOf(Account a) {
        return a.credentials() instanceof Credentials.ApiKey k ? k.wire().label() : Wire.RESPONSES.label();
    }

    /** An API-key account's own choice of upstream transport: true WebSocket, false HTTP, null the pool's setting. */
    static Boolean websocketOf(Account a) {
        return a.credentials() instanceof Credentials.ApiKey k ? k.websocket() : null;
    }

    static List<String> clientsOf(Account a) {
        List<String> out = new ArrayList<>();
        for (var k : io.codexrelay.account.ClientKind.values()) if (a.clients().contains(k)) out.add(k.label());
        return out;
    }

    static BalanceSetting balanceOf(Account a) {
        var b = a.balance();
        return b == null ? null : new BalanceSetting(b.url(), b.remainingPath(), b.limitPath(), (int) b.interval().toSeconds());
    }

    static List<String> modelRulesOf(Account a) {
        return a.credentials() instanceof Credentials.ApiKey k ? k.modelRules().stream().map(ModelRule::toString).toList() : List.of();
    }

    String baseUrl(Account a) {
        if (a.credentials() instanceof Credentials.ApiKey k && k.baseUrl() != null) return k.baseUrl();
        return a.kind() == Account.Kind.CHATGPT ? config.upstream().chatgptBaseUrl() : config.upstream().defaultApiBaseUrl();
    }

    private AccountStatus statusOf(String name) throws ControlException {
        for (AccountStatus s : status().accounts()) if (s.name().equals(name)) return s;
        throw new ControlException("Account '" + name + "' vanished while it was being saved; run `codex-relay accounts list`.");
    }

    // ---- client keys -----------------------------------------------------------------------------------------

    /** A key's use since the daemon started, by name (nothing offline). */
    java.util.Map<String, io.codexrelay.proxy.ClientKeys.Usage> keyUsage() { return java.util.Map.of(); }

    /** A key, a home or a run changed: the running relay takes the new list (nothing to do offline). */
    void keysChanged() throws ControlException { }

    private io.codexrelay.store.ClientKeyStore keyStore() { return new io.codexrelay.store.ClientKeyStore(database); }

    /** Every active client key as the relay needs it: per-tool keys, run keys, and the named homes' keys. */
    List<io.codexrelay.proxy.ClientKeys.Key> activeKeys() throws ControlException {
        List<io.codexrelay.proxy.ClientKeys.Key> out = new java.util.ArrayList<>();
        for (var k : store(() -> keyStore().list())) {
            if (k.active()) out.add(new io.codexrelay.proxy.ClientKeys.Key(k.name(), k.keyHash(), k.account(), k.strict(),
                    k.rpm(), k.maxConcurrent()));
        }
        out.addAll(codexHomes().clientKeys());
        return out;
    }

    /** Deletes the keys of runs whose process has ended (their {@code codex-relay run} could not tell the relay). */
    void dropEndedRuns() throws ControlException {
        for (var k : store(() -> keyStore().list())) {
            if (k.runPid() != null && !ProcessHandle.of(k.runPid()).map(ProcessHandle::isAlive).orElse(false)) {
                store(() -> keyStore().deleteRun(k.name()));
            }
        }
    }

    @Override
    public synchronized List<ToolKeyView> keys() throws ControlException {
        var usage = keyUsage();
        List<ToolKeyView> out = new java.util.ArrayList<>();
        var codex = usage.get(io.codexrelay.proxy.ClientKeys.CODEX);
        out.add(new ToolKeyView(io.codexrelay.proxy.ClientKeys.CODEX, null, null, null, null,
                codex == null ? 0 : codex.requests(), codex == null ? 0 : codex.inFlight(), codex == null ? 0 : codex.limited()));
        for (var k : store(() -> keyStore().list())) {
            var u = k.active() ? usage.get(k.name()) : null;
            out.add(new ToolKeyView(k.name(), k.rpm(), k.maxConcurrent(), k.created(), k.revoked(),
                    u == null ? 0 : u.requests(), u == null ? 0 : u.inFlight(), u == null ? 0 : u.limited(), k.account(), k.strict()));
        }
        return out;
    }

    /** The account name as stored, or a clear error when there is none by that name. */
    private String existingAccount(String name, String option) throws ControlException {
        String n = name.trim();
        for (Account a : store(accounts::list)) if (a.name().equals(n)) return n;
        throw new ControlException("There is no account '" + n + "' (" + option + "); `codex-relay accounts list` shows the names.");
    }

    @Override
    public synchronized CreatedToolKey createKey(NewToolKey r) throws ControlException {
        if (r == null || r.name() == null || r.name().isBlank()) throw new ControlException("Give the key a name, e.g. `codex-relay keys create claude-code`.");
        String name = r.name().trim();
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}"))
            throw new ControlException("A key name is 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit); '" + name + "' is not.");
        if (name.equals(io.codexrelay.proxy.ClientKeys.CODEX))
            throw new ControlException("'codex' is Codex's own key (client.key); choose another name.");
        if (r.rpm() != null && (r.rpm() < 1 || r.rpm() > 100_000)) throw new ControlException("--rpm must be between 1 and 100000.");
        if (r.maxConcurrent() != null && (r.maxConcurrent() < 1 || r.maxConcurrent() > 10_000))
            throw new ControlException("--max-concurrent must be between 1 and 10000.");
        boolean hasAccount = r.account() != null && !r.account().isBlank();
        if (r.strict() && !hasAccount) throw new ControlException("--strict needs --account A: it keeps the key's requests on that account.");
        String account = hasAccount ? existingAccount(r.account(), "--account") : null;
        var keyStore = keyStore();
        for (var k : store(keyStore::list)) {
            if (k.name().equals(name)) throw new ControlException("A key named '" + name + "' exists already"
                    + (k.active() ? "; revoke it first (`codex-relay keys revoke " + name + "`) or choose another name." : " (revoked); choose another name."));
        }
        String key = io.codexrelay.config.ClientKey.generate();
        store(() -> {
            keyStore.insert(new io.codexrelay.store.ClientKeyStore.StoredKey(name, io.codexrelay.config.ClientKey.hashOf(key),
                    r.rpm(), r.maxConcurrent(), clock.instant(), null, account, r.strict(), null));
            return null;
        });
        keysChanged();
        return new CreatedToolKey(name, key);
    }

    @Override
    public synchronized void revokeKey(String name) throws ControlException {
        if (io.codexrelay.proxy.ClientKeys.CODEX.equals(name))
            throw new ControlException("'codex' is Codex's own key; to replace it, delete client.key in the relay home and run `codex-relay codex on`.");
        boolean done = store(() -> keyStore().revoke(name, clock.instant()));
        if (!done) throw new ControlException("No active key is named '" + name + "'. `codex-relay keys list` shows the keys.");
        keysChanged();
    }

    @Override
    public synchronized StartedRun startRun(NewRun r) throws ControlException {
        if (r == null || r.pid() <= 0) throw new ControlException("A run needs the process id of `codex-relay run`.");
        boolean hasAccount = r.account() != null && !r.account().isBlank();
        boolean hasHome = r.home() != null && !r.home().isBlank();
        if (hasAccount == hasHome) throw new ControlException("Give either --account A or --home NAME.");
        String account;
        String codexHome = null;
        if (hasHome) {
            CodexHomes.Entry e = codexHomes().find(r.home().trim());
            if (e.account() == null) throw new ControlException("The home '" + e.name() + "' is bound to no account; bind it with "
                    + "`codex-relay homes bind " + e.name() + " ACCOUNT`, or use --account A.");
            account = existingAccount(e.account(), "the home's account");
            codexHome = e.dir().toString();
        } else {
            account = existingAccount(r.account(), "--account");
        }
        String command = r.command() == null || r.command().isBlank() ? "command"
                : r.command().trim().replaceAll("[^A-Za-z0-9._+-]", "_");
        if (command.length() > 40) command = command.substring(0, 40);
        String name = "run:" + r.pid() + " " + command;
        String key = io.codexrelay.config.ClientKey.generate();
        var keyStore = keyStore();
        store(() -> {
            keyStore.deleteRun(name); // a row left by an earlier process with the same id (it ended while the relay was down)
            keyStore.insert(new io.codexrelay.store.ClientKeyStore.StoredKey(name, io.codexrelay.config.ClientKey.hashOf(key),
                    null, null, clock.instant(), null, account, r.strict(), r.pid()));
            return null;
        });
        keysChanged();
        return new StartedRun(name, key, account, codexHome);
    }

    @Override
    public synchronized void endRun(String name) throws ControlException {
        if (name == null || !name.startsWith("run:")) throw new ControlException("'" + name + "' is not a run's key.");
        store(() -> keyStore().deleteRun(name));
        keysChanged();
    }

    // ---- accounts --------------------------------------------------------------------------------------------

    @Override
    public synchronized AccountStatus addApiKey(NewApiKey r) throws ControlException {
        if (r == null) throw new ControlException("Nothing to add.");
        String name = checkName(r.name());
        String key = r.key() == null ? "" : r.key().trim();
        if (key.isEmpty()) throw new ControlException("The API key is empty. Pass it with --key, --key-env VAR or --key-stdin.");
        if (key.chars().anyMatch(Character::isWhitespace))
            throw new ControlException("The API key contains spaces or line breaks; paste only the key itself.");
        // An Anthropic key without a base URL goes to Anthropic itself, not to the OpenAI default.
        String defaultBase = "anthropic".equalsIgnoreCase(String.valueOf(r.wire()).trim()) ? ANTHROPIC_BASE_URL
                : config.upstream().defaultApiBaseUrl();
        String baseUrl = checkBaseUrl(r.baseUrl() == null || r.baseUrl().isBlank() ? defaultBase : r.baseUrl());
        int priority = checkPriority(r.priority() == null ? DEFAULT_PRIORITY : r.priority());
        Integer maxConcurrent = r.maxConcurrent() == null ? null : checkMaxConcurrent(r.maxConcurrent());
        Wire wire;
        List<ModelRule> rules = new ArrayList<>();
        try {
            wire = Wire.fromLabel(r.wire());
            if (r.modelRules() != null) for (String rule : r.modelRules()) rules.add(ModelRule.parse(rule));
        } catch (IllegalArgumentException e) {
            throw new ControlException(e.getMessage() + ".");
        }
        for (Account a : store(accounts::list)) {
            if (a.credentials() instanceof Credentials.ApiKey k && k.key().equals(key) && Objects.equals(k.baseUrl(), baseUrl))
                throw new ControlException("This key (" + a.credentials().hint() + ") is already in the pool as '" + a.name() + "'.");
        }
        var now = clock.instant();
        store(() -> accounts.insert(new Account(0, name, Account.Kind.API_KEY, true, priority, maxConcurrent,
                new Credentials.ApiKey(key, baseUrl, wire, rules), null, null, null, now, now)));
        accountsChanged();
        return statusOf(name);
    }

    @Override
    public synchronized AccountStatus importCodex(Path codexHome, String name) throws ControlException {
        if (codexHome == null) throw new ControlException("No Codex home given.");
        Path dir = codexHome.toAbsolutePath().normalize();
        CodexAuthFile.Contents contents;
        try {
            contents = CodexAuthFile.read(dir);
        } catch (IOException e) {
            throw new ControlException(e.getMessage());
        }
        var now = clock.instant();
        if (contents.credentials() instanceof Credentials.ChatGptTokens t) {
            var ident = contents.identity();
            Optional<Account> existing = store(() -> accounts.findByChatGptAccountId(t.accountId()));
            if (existing.isPresent()) {
                Account e = existing.get();
                store(() -> accounts.update(new Account(e.id(), e.name(), e.kind(), e.enabled(), e.priority(), e.maxConcurrent(), t,
                        ident.email() != null ? ident.email() : e.email(), ident.plan() != null ? ident.plan() : e.plan(),
                        dir.toString(), e.createdAt(), now)));
                accountsChanged();
                return statusOf(e.name());
            }
            String chosen = name != null ? checkName(name) : uniqueName(defaultName(ident.email()));
            store(() -> accounts.insert(new Account(0, chosen, Account.Kind.CHATGPT, true, DEFAULT_PRIORITY, null, t,
                    ident.email(), ident.plan(), dir.toString(), now, now)));
            accountsChanged();
            return statusOf(chosen);
        }
        var apiKey = (Credentials.ApiKey) contents.credentials();
        String baseUrl = config.upstream().defaultApiBaseUrl();
        for (Account a : store(accounts::list)) {
            if (a.credentials() instanceof Credentials.ApiKey k && k.key().equals(apiKey.key())) return statusOf(a.name());
        }
        String chosen = name != null ? checkName(name) : uniqueName(null);
        store(() -> accounts.insert(new Account(0, chosen, Account.Kind.API_KEY, true, DEFAULT_PRIORITY, null,
                new Credentials.ApiKey(apiKey.key(), baseUrl), null, null, dir.toString(), now, now)));
        accountsChanged();
        return statusOf(chosen);
    }

    @Override
    public synchronized LearnedParams learnedParameters(String name, boolean reset) throws ControlException {
        Account a = require(name);
        var learned = new io.codexrelay.account.LearnedParameters(accounts.database(), clock);
        int forgotten = reset ? store(() -> learned.reset(a.id())) : 0;
        List<LearnedParam> out = new ArrayList<>();
        for (var l : store(() -> learned.list(a.id())))
            out.add(new LearnedParam(l.model(), l.param(), Instant.ofEpochMilli(l.learnedAtMs())));
        return new LearnedParams(a.name(), List.copyOf(out), forgotten);
    }

    @Override
    public synchronized void removeAccount(String name) throws ControlException {
        Account a = require(name);
        if (a.name().equals(pinnedName())) auto();
        store(() -> accounts.delete(a.name()));
        accountsChanged();
    }

    @Override
    public synchronized AccountStatus updateAccount(String name, AccountChanges changes) throws ControlException {
        Account a = require(name);
        if (changes == null || changes.isEmpty())
            throw new ControlException("Nothing to change: give --priority, --max-concurrent, --enable, --disable, --wire, "
                    + "--model-rule, --clients, --balance-url or --websocket.");
        Boolean websocket = websocketChange(a, changes.websocket());
        int priority = changes.priority() == null ? a.priority() : checkPriority(changes.priority());
        Integer maxConcurrent = changes.maxConcurrent() == null ? a.maxConcurrent() : Integer.valueOf(checkMaxConcurrent(changes.maxConcurrent()));
        boolean enabled = changes.enabled() == null ? a.enabled() : changes.enabled();
        Credentials creds = withWireChanges(a, changes);
        java.util.Set<io.codexrelay.account.ClientKind> clients;
        io.codexrelay.account.BalanceSource balance;
        try {
            clients = changes.clients() == null ? null : io.codexrelay.account.ClientKind.parseList(changes.clients());
            BalanceSetting b = changes.balance();
            balance = b == null || b.url() == null || b.url().isBlank() ? null
                    : new io.codexrelay.account.BalanceSource(b.url(), b.remainingPath(), b.limitPath(),
                        b.intervalSeconds() == null ? null : Duration.ofSeconds(b.intervalSeconds()));
        } catch (IllegalArgumentException e) {
            throw new ControlException(e.getMessage() + ".");
        }
        store(() -> {
            accounts.update(new Account(a.id(), a.name(), a.kind(), enabled, priority, maxConcurrent, creds,
                    a.email(), a.plan(), a.sourceCodexHome(), a.createdAt(), clock.instant()));
            if (clients != null) accounts.setClients(a.id(), clients);
            if (changes.balance() != null) accounts.setBalanceSource(a.id(), balance);
            if (changes.websocket() != null) accounts.setWebsocket(a.id(), websocket);
            return null;
        });
        if (!enabled && a.name().equals(pinnedName())) auto();
        accountsChanged();
        return statusOf(a.name());
    }

    /**
     * {@code --websocket on|off|pool} for an API-key account of the Responses wire: whether the relay speaks WebSocket
     * to its upstream (issue 10). Null when {@code value} is null (no change) or "pool".
     */
    private static Boolean websocketChange(Account a, String value) throws ControlException {
        if (value == null) return null;
        Boolean choice = switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "on", "true", "yes" -> Boolean.TRUE;
            case "off", "false", "no" -> Boolean.FALSE;
            case "pool", "default" -> null;
            default -> throw new ControlException("--websocket takes on, off or pool (pool: as websocket.api_key_upstream says), not '" + value + "'.");
        };
        if (!(a.credentials() instanceof Credentials.ApiKey k))
            throw new ControlException("'" + a.name() + "' is a ChatGPT login: the relay always speaks WebSocket to it when Codex "
                    + "does. --websocket is for API-key accounts.");
        if (Boolean.TRUE.equals(choice) && k.wire() != Wire.RESPONSES)
            throw new ControlException("'" + a.name() + "' speaks " + k.wire().label() + ", which has no WebSocket: Codex's socket "
                    + "requests to it go over HTTP through the conversion. --websocket on is for Responses upstreams.");
        return choice;
    }

    /** The account's credentials with a changed wire or model rules (API-key accounts only). */
    private static Credentials withWireChanges(Account a, AccountChanges changes) throws ControlException {
        if (changes.wire() == null && changes.modelRules() == null) return a.credentials();
        if (!(a.credentials() instanceof Credentials.ApiKey k))
            throw new ControlException("'" + a.name() + "' is a ChatGPT login: it always speaks the Responses API and serves "
                    + "every model. Wires and model rules belong to API-key accounts (accounts add-key).");
        try {
            Wire wire = changes.wire() == null ? k.wire() : Wire.fromLabel(changes.wire());
            List<ModelRule> rules = k.modelRules();
            if (changes.modelRules() != null) {
                rules = new ArrayList<>();
                for (String r : changes.modelRules()) if (r != null && !r.isBlank()) rules.add(ModelRule.parse(r.trim()));
            }
            return new Credentials.ApiKey(k.key(), k.baseUrl(), wire, rules, k.websocket());
        } catch (IllegalArgumentException e) {
            throw new ControlException(e.getMessage() + ".");
        }
    }

    // ---- mode ------------------------------------------------------------------------------------------------

    @Override
    public synchronized void pin(String name) throws ControlException {
        Account a = require(name);
        if (!a.enabled())
            throw new ControlException("'" + a.name() + "' is disabled. Enable it first: codex-relay accounts set \"" + a.name() + "\" --enable");
        setPinned(a.name());
    }

    @Override
    public synchronized void auto() throws ControlException {
        setPinned(null);
    }

    @Override
    public synchronized AccountStatus addChatGptLogin(String name, LoginTokens tokens) throws ControlException {
        Credentials.ChatGptTokens t = tokens == null ? null : tokens.credentials();
        if (t == null || t.accessToken() == null || t.refreshToken() == null || t.accountId() == null)
            throw new ControlException("The login is incomplete (no access token, refresh token or account id). Log in again.");
        Jwt.Identity ident = Jwt.identity(t.idToken());
        var now = clock.instant();
        Optional<Account> existing = store(() -> accounts.findByChatGptAccountId(t.accountId()));
        if (existing.isPresent()) {
            Account e = existing.get();
            store(() -> accounts.update(new Account(e.id(), e.name(), e.kind(), e.enabled(), e.priority(), e.maxConcurrent(), t,
                    ident.email() != null ? ident.email() : e.email(), ident.plan() != null ? ident.plan() : e.plan(),
                    e.sourceCodexHome(), e.createdAt(), now)));
            accountsChanged();
            return statusOf(e.name());
        }
        String chosen = name != null ? checkName(name) : uniqueName(defaultName(ident.email()));
        store(() -> accounts.insert(new Account(0, chosen, Account.Kind.CHATGPT, true, DEFAULT_PRIORITY, null, t,
                ident.email(), ident.plan(), null, now, now)));
        accountsChanged();
        return statusOf(chosen);
    }

    @Override
    public synchronized CodexExport exportCodex(String name, Path codexHome) throws ControlException {
        if (codexHome == null) throw new ControlException("No Codex home given.");
        Account a = require(name);
        Account current = freshest(a);
        CodexAuthExport.Exported e;
        try {
            e = CodexAuthExport.export(current, codexHome.toAbsolutePath().normalize(), home.backupsDir(), accounts, clock);
        } catch (IOException ex) {
            throw new ControlException(ex.getMessage(), ex);
        }
        if (a.kind() == Account.Kind.CHATGPT) accountsChanged(); // now linked to that Codex home
        return new CodexExport(e.file().toString(), e.backup() == null ? null : e.backup().toString());
    }

    // ---- request log -----------------------------------------------------------------------------------------

    @Override
    public List<RequestView> recentRequests(int limit) throws ControlException {
        int n = Math.max(1, Math.min(limit, 10_000));
        RequestLog log = requestLog();
        return store(() -> log.newest(n)).stream().map(LogQuery::view).toList();
    }

    @Override
    public List<RequestView> queryRequests(LogQuery.Filter filter, long offset, int limit) throws ControlException {
        // The first page is what a reload shows: let the writer catch up so a request that just finished is in it.
        if (offset == 0) flushLog();
        RequestLogQuery q = logQuery();
        var f = LogQuery.toStore(filter);
        return store(() -> q.page(f, offset, Math.max(0, Math.min(limit, 10_000)))).stream().map(LogQuery::view).toList();
    }

    @Override
    public long countRequests(LogQuery.Filter filter) throws ControlException {
        RequestLogQuery q = logQuery();
        var f = LogQuery.toStore(filter);
        return store(() -> q.count(f));
    }

    @Override
    public List<LogQuery.UsageBucket> requestUsage(Instant from, Duration bucket) throws ControlException {
        if (bucket.isNegative() || bucket.isZero()) throw new ControlException("The usage bucket must be longer than zero.");
        RequestLogQuery q = logQuery();
        return store(() -> q.usageByModel(from, bucket)).stream().map(LogQuery::view).toList();
    }

    @Override
    public List<LogQuery.ClientBucket> requestUsageByClient(Instant from, Duration bucket) throws ControlException {
        if (bucket.isNegative() || bucket.isZero()) throw new ControlException("The usage bucket must be longer than zero.");
        RequestLogQuery q = logQuery();
        return store(() -> q.usageByClient(from, bucket)).stream().map(LogQuery::view).toList();
    }

    /** Use per client key since {@code from} (the daemon's start), from the request log. */
    List<ClientUsage> clientUsageSince(Instant from) throws ControlException {
        flushLog();
        RequestLogQuery q = logQuery();
        return store(() -> q.clients(from)).stream()
                .map(c -> new ClientUsage(c.client(), c.requests(), c.failed(), c.inputTokens(), c.outputTokens())).toList();
    }

    private synchronized RequestLogQuery logQuery() {
        if (logQuery == null) logQuery = new RequestLogQuery(database);
        return logQuery;
    }

    // ---- Codex wiring (the tray's "Route Codex through relay") ------------------------------------------------

    @Override
    public Boolean codexRouted() throws ControlException {
        return CodexRouting.routed(home, clock);
    }

    @Override
    public synchronized void setCodexRouted(boolean on) throws ControlException {
        CodexRouting.set(home, config, clock, on);
    }

    // ---- direct mode (issue 9: Codex works when the relay is not there) ----------------------------------------

    final CodexHandover handover() { return new CodexHandover(this); }

    final RelayState relayState() { return new RelayState(database); }

    @Override
    public synchronized DirectSwitch switchDirect(String name, Path codexHome) throws ControlException {
        return handover().switchTo(name, codexHome);
    }

    @Override
    public synchronized DirectUndo undoDirect(Path codexHome) throws ControlException {
        return handover().undo(codexHome);
    }

    @Override
    public String directAccount(Path codexHome) throws ControlException {
        return handover().appliedAccount(codexHome);
    }

    @Override
    public StopChoice stopChoice() throws ControlException {
        return handover().remembered(relayState());
    }

    @Override
    public synchronized void setStopChoice(StopChoice choice, boolean remember) throws ControlException {
        if (choice == null) throw new ControlException("Give a choice: direct, relay or ask.");
        if (!remember) throw new ControlException("A choice for one stop only needs a running relay; add --remember or start it.");
        store(() -> { relayState().put(CodexHandover.STOP_CHOICE, choice == StopChoice.ASK ? null : choice.name()); return null; });
    }

    @Override
    public ControlApi.ChatGptLogin startChatGptLogin(String name) throws ControlException {
        return logins.start(this, name);
    }

    // ---- windows of the tray ---------------------------------------------------------------------------------

    /** The tray registers how to bring its settings window forward (null = no window, headless). */
    public void onShowSettings(Runnable action) {
        this.showSettings = action;
    }

    @Override
    public void showSettings() throws ControlException {
        Runnable r = showSettings;
        if (r == null) throw new ControlException("The running relay has no window (it was started headless or without a desktop).");
        r.run();
    }

    // ---- configuration ---------------------------------------------------------------------------------------

    @Override
    public Map<String, Object> config() {
        return config.values();
    }

    @Override
    public ApiPrices apiPrices() {
        return ApiPrices.of(config.prices());
    }

    @Override
    public synchronized List<String> applyConfig(Map<String, Object> changes) throws ControlException {
        if (changes == null || changes.isEmpty()) return List.of();
        Map<String, Object> typed = new LinkedHashMap<>();
        for (var e : changes.entrySet()) {
            var key = ConfigSchema.key(e.getKey()).orElseThrow(() -> new ControlException("Unknown setting '" + e.getKey()
                    + "'. Known settings are listed in docs/configuration.md."));
            try {
                typed.put(key.path(), e.getValue() == null ? null : ConfigValues.coerce(key, e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new ControlException("'" + key.path() + "' " + ex.getMessage() + ".");
            }
        }
        Path file = home.configFile();
        String text = configTextToChange(file);
        String patched = text;
        for (var e : typed.entrySet()) {
            var key = ConfigSchema.key(e.getKey()).orElseThrow();
            patched = ConfigFilePatcher.set(patched, key.section(), key.name(), e.getValue());
        }
        RelayConfig next;
        try {
            next = ConfigLoader.parse(patched, file.toString());
        } catch (ConfigException e) {
            throw new ControlException("Not saved: " + e.getMessage());
        }
        for (var e : typed.entrySet()) {
            Object want = e.getValue() == null ? ConfigSchema.key(e.getKey()).orElseThrow().defaultValue() : e.getValue();
            if (!ConfigValues.same(want, next.values().get(e.getKey())))
                throw new ControlException("Could not change '" + e.getKey() + "' in " + file + " automatically (it is written in an "
                        + "unusual form there). Edit the file by hand; nothing was changed.");
        }
        writeConfigText(file, text, patched);
        this.config = next;
        return configApplied(next);
    }

    /** Why the last change of config.toml seen on disk was not applied; null when it was (ConfigWatch sets it). */
    private volatile String configProblem;

    @Override
    public List<RedactionEntry> redactionRules() throws ControlException {
        Path file = home.configFile();
        try {
            return RedactionEntry.fromTables(io.codexrelay.config.RedactTables.read(Files.exists(file) ? Files.readString(file) : ""));
        } catch (IOException e) {
            throw new ControlException("Could not read " + file + ": " + e.getMessage());
        }
    }

    /** Writes the changed config.toml, a backup of the old one first (atomically; nothing when the text is the same). */
    private void writeConfigText(Path file, String before, String after) throws ControlException {
        if (after.equals(before)) return;
        try {
            AtomicFiles.backup(file, home.backupsDir(), clock);
            AtomicFiles.writeString(file, after, false);
        } catch (IOException e) {
            throw new ControlException("Could not write " + file + ": " + e.getMessage() + ". Nothing was changed.");
        }
    }

    /** config.toml as it is now (or the commented defaults), refused when it does not load: a change starts from it. */
    private static String configTextToChange(Path file) throws ControlException {
        String text;
        try {
            text = Files.exists(file) ? Files.readString(file) : ConfigSchema.defaultFileText();
        } catch (IOException e) {
            throw new ControlException("Could not read " + file + ": " + e.getMessage());
        }
        try {
            ConfigLoader.parse(text, file.toString());
        } catch (ConfigException e) {
            throw new ControlException("The configuration file has an error, so it was not changed. Fix it first: " + e.getMessage());
        }
        return text;
    }

    @Override
    public synchronized void saveRedactionRules(List<RedactionEntry> rules) throws ControlException {
        String problem = RedactionEntry.problem(rules == null ? List.of() : rules);
        if (problem != null) throw new ControlException("Not saved: " + problem);
        Path file = home.configFile();
        String text = configTextToChange(file);
        String patched = io.codexrelay.config.RedactTables.write(text, RedactionEntry.toTables(rules));
        RelayConfig next;
        try {
            next = ConfigLoader.parse(patched, file.toString());
        } catch (ConfigException e) {
            throw new ControlException("Not saved: " + e.getMessage());
        }
        writeConfigText(file, text, patched);
        this.config = next;
        this.configProblem = null;
        configApplied(next);
    }

    /** config.toml changed on disk and loads: applied as a settings change is (ConfigWatch, issue 12). */
    public synchronized void configFileChanged(RelayConfig next) {
        this.config = next;
        this.configProblem = null;
        configApplied(next);
    }

    /** config.toml changed on disk but does not load: the settings in force stay; the reason is kept for the window. */
    public void configFileBroken(String message) {
        this.configProblem = message;
    }

    @Override
    public String configProblem() { return configProblem; }

    // ---- helpers ---------------------------------------------------------------------------------------------

    Account require(String name) throws ControlException {
        if (name == null || name.isBlank()) throw new ControlException("Give an account name; `codex-relay accounts list` shows them.");
        Optional<Account> a = store(() -> accounts.findByName(name.trim()));
        if (a.isEmpty()) {
            List<String> names = new ArrayList<>();
            for (Account x : store(accounts::list)) names.add(x.name());
            throw new ControlException("No account named '" + name + "'. "
                    + (names.isEmpty() ? "The pool is empty; add one with `codex-relay accounts import-codex` or `accounts add-key`."
                                       : "Accounts: " + String.join(", ", names) + "."));
        }
        return a.get();
    }

    /** Account names: 1-64 characters, letters, digits, space and {@code . _ - @ +}, not starting with '-'. */
    static String checkName(String name) throws ControlException {
        String n = name == null ? "" : name.strip();
        if (n.isEmpty()) throw new ControlException("The account name is empty; give one with --name.");
        if (n.length() > 64) throw new ControlException("The account name is longer than 64 characters.");
        if (n.startsWith("-")) throw new ControlException("The account name must not start with '-'.");
        if (!n.matches("[\\p{L}\\p{N} ._@+\\-]+"))
            throw new ControlException("The account name '" + n + "' may only hold letters, digits, spaces and . _ - @ +");
        return n;
    }

    private static String checkBaseUrl(String url) throws ControlException {
        String u = url.strip();
        try {
            URI uri = URI.create(u);
            if (uri.getHost() == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())))
                throw new IllegalArgumentException();
        } catch (IllegalArgumentException e) {
            throw new ControlException("The base URL must be an http(s) URL like https://api.openai.com/v1.");
        }
        while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
        return u;
    }

    private static int checkPriority(int p) throws ControlException {
        if (p < 0 || p > 1_000_000) throw new ControlException("Priority must be between 0 and 1000000 (lower is tried first).");
        return p;
    }

    private static int checkMaxConcurrent(int c) throws ControlException {
        if (c < 1 || c > 10_000) throw new ControlException("Max concurrent must be between 1 and 10000.");
        return c;
    }

    private static String defaultName(String email) {
        if (email == null) return null;
        int at = email.indexOf('@');
        String local = (at > 0 ? email.substring(0, at) : email).replaceAll("[^\\p{L}\\p{N}._+\\-]", "");
        while (local.startsWith("-")) local = local.substring(1);
        return local.isEmpty() ? null : (local.length() > 60 ? local.substring(0, 60) : local);
    }

    /** {@code base}, or base-2, base-3 ... when taken; "codex-N" when there is no base. */
    private String uniqueName(String base) throws ControlException {
        List<String> taken = new ArrayList<>();
        for (Account a : store(accounts::list)) taken.add(a.name());
        if (base != null) {
            if (!taken.contains(base)) return base;
            for (int i = 2; ; i++) if (!taken.contains(base + "-" + i)) return base + "-" + i;
        }
        for (int i = 1; ; i++) if (!taken.contains("codex-" + i)) return "codex-" + i;
    }

    @FunctionalInterface
    interface StoreWork<T> { T run() throws StoreException; }

    static <T> T store(StoreWork<T> work) throws ControlException {
        try {
            return work.run();
        } catch (StoreException e) {
            throw new ControlException(e.getMessage(), e);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        if (logQuery != null) logQuery.close();
        logQuery = null;
    }

    // ---- several machines and several Codex homes ------------------------------------------------------------

    private volatile MachineSync machineSync;

    MachineSync machineSync() {
        MachineSync m = machineSync;
        if (m == null) machineSync = m = new MachineSync(home, accounts, clock, System.getenv());
        return m;
    }

    CodexHomes codexHomes() { return new CodexHomes(home, clock); }

    /** After homes changed: the live relay takes the new client keys and bindings at once. */
    void homesChanged() throws ControlException { }

    @Override
    public byte[] exportAccounts(char[] passphrase) throws ControlException {
        return machineSync().export(passphrase, this::freshest);
    }

    @Override
    public synchronized AccountsImport importAccounts(byte[] file, char[] passphrase, boolean apply) throws ControlException {
        AccountsImport r = machineSync().importFile(file, passphrase, apply, this::freshest);
        if (apply && r.changesSomething()) accountsChanged();
        return r;
    }

    @Override
    public SyncStatus syncStatus() {
        return machineSync().status(config);
    }

    @Override
    public SyncStatus syncNow() throws ControlException {
        boolean[] changed = {false};
        SyncStatus s = machineSync().sync(config, this::freshest, () -> changed[0] = true);
        if (changed[0]) accountsChanged();
        return s;
    }

    @Override
    public void storeSyncSecrets(String password, char[] passphrase) throws ControlException {
        machineSync().storeSecrets(password, passphrase);
    }

    @Override
    public List<CodexHomeView> homes() throws ControlException {
        return codexHomes().list();
    }

    @Override
    public synchronized CodexHomeView createHome(String name, String account, Path dir, Path from, boolean strict) throws ControlException {
        CodexHomeView v = codexHomes().create(name, account, dir, from, strict, config, this::accountExists);
        homesChanged();
        return v;
    }

    @Override
    public synchronized CodexHomeView bindHome(String name, String account, Boolean strict) throws ControlException {
        CodexHomeView v = codexHomes().bind(name, account, strict, this::accountExists);
        homesChanged();
        return v;
    }

    @Override
    public synchronized CodexHomeView removeHome(String name) throws ControlException {
        CodexHomeView v = codexHomes().remove(name);
        homesChanged();
        return v;
    }

    private boolean accountExists(String name) {
        try {
            return accounts.findByName(name).isPresent();
        } catch (StoreException e) {
            return false;
        }
    }
}
