package io.codexrelay.app;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.account.CodexAuthExport;
import io.codexrelay.account.CodexAuthFile;
import io.codexrelay.account.Credentials;
import io.codexrelay.account.Jwt;
import io.codexrelay.config.AtomicFiles;
import io.codexrelay.config.ConfigException;
import io.codexrelay.config.ConfigFilePatcher;
import io.codexrelay.config.ConfigLoader;
import io.codexrelay.config.ConfigSchema;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.AccountRuntime;
import io.codexrelay.pool.PoolServices;
import io.codexrelay.pool.QuotaTracker;
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
 * {@link ControlApi} in the same process as the files. Two modes:
 * <ul>
 *   <li><b>live</b> ({@link #live}): inside the daemon, next to the running {@link AccountPool}; account changes go to
 *       the repository and then {@link AccountPool#reload()}, mode changes go to the pool, so they take effect at once;</li>
 *   <li><b>offline</b> ({@link #offline}): the CLI without a daemon; it opens {@code relay.db} itself and writes the
 *       pinned/paused state straight into {@link RelayState}, which the pool reads when the daemon next starts.</li>
 * </ul>
 * Every failure is a {@link ControlException} with a message that says what to do; secrets never appear in one.
 */
public final class LocalControl implements ControlHandle {
    public static final int DEFAULT_PRIORITY = 100;

    private final RelayHome home;
    private final AccountRepository accounts;
    private final RelayState state;
    private final AccountPool pool;             // null offline
    private final EventBus events;              // null offline
    private final IntSupplier serverInFlight;
    private final Consumer<RelayConfig> configApplier;
    private final Clock clock;
    private final RelayConfig startConfig;      // what the running server was started with (restart-needed keys)
    private final Database ownedDb;             // offline: opened here, closed by close()
    private final String description;
    private volatile RelayConfig config;
    private RequestLog requestLog;              // offline: opened lazily, closed by close()
    private final boolean ownsLog;
    private final Database database;            // the request log's read side and the log window's queries
    private RequestLogQuery logQuery;           // opened lazily, closed by close()
    private volatile Runnable showSettings;     // set by the tray; null when headless
    private volatile PoolServices services;     // live: quota polling, fresh tokens for export
    private final ChatGptLogins logins;

    private LocalControl(RelayHome home, RelayConfig config, AccountRepository accounts, RelayState state, AccountPool pool,
                         RequestLog requestLog, EventBus events, IntSupplier serverInFlight,
                         Consumer<RelayConfig> configApplier, Clock clock, Database ownedDb, Database database, String description) {
        this.home = home;
        this.config = config;
        this.startConfig = config;
        this.accounts = accounts;
        this.state = state;
        this.pool = pool;
        this.requestLog = requestLog;
        this.ownsLog = requestLog == null;
        this.events = events;
        this.serverInFlight = serverInFlight;
        this.configApplier = configApplier;
        this.clock = clock;
        this.ownedDb = ownedDb;
        this.database = database;
        this.description = description;
        this.logins = ChatGptLogins.create(clock, config.upstream().connectTimeout());
    }

    /**
     * The daemon's control. {@code configApplier} receives a newly written configuration to apply live (pool limits,
     * log level, ...); {@code serverInFlight} counts requests in the relay.
     */
    public static LocalControl live(RelayHome home, RelayConfig config, Database database, AccountRepository accounts, RelayState state,
                                    AccountPool pool, RequestLog requestLog, EventBus events, IntSupplier serverInFlight,
                                    Consumer<RelayConfig> configApplier, Clock clock, String description) {
        return new LocalControl(home, config, accounts, state, Objects.requireNonNull(pool), Objects.requireNonNull(requestLog),
                events, serverInFlight, configApplier, clock, null, Objects.requireNonNull(database), description);
    }

    /** Works on the files of {@code home} with no daemon running. Creates the home and config file when missing. */
    public static LocalControl offline(RelayHome home, Clock clock) throws ConfigException, ControlException {
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
        return new LocalControl(home, cfg, new AccountRepository(db, clock), new RelayState(db), null, null, null,
                () -> 0, c -> { }, clock, db, db, "offline (relay not running; changes apply when it starts)");
    }

    /** Live: the pool services (quota refresh, freshest tokens for exports). */
    public LocalControl attach(PoolServices services) {
        this.services = services;
        return this;
    }

    @Override public boolean daemonRunning() { return pool != null; }
    @Override public String describe() { return description; }
    @Override public EventBus events() { return events; }

    /** The configuration in force (live) or on disk (offline). */
    public RelayConfig currentConfig() { return config; }

    // ---- status ----------------------------------------------------------------------------------------------

    @Override
    public PoolStatus status() throws ControlException {
        if (pool != null) {
            String pinned = pool.pinned();
            List<AccountStatus> list = new ArrayList<>();
            for (AccountRuntime r : pool.runtime()) list.add(fromRuntime(r, pinned));
            return new PoolStatus(pinned == null, pinned, pool.serving(), pool.paused(), serverInFlight.getAsInt(),
                    pool.earliestReset(), List.copyOf(list));
        }
        String pinned = store(() -> state.get(RelayState.PINNED_ACCOUNT).orElse(null));
        boolean paused = store(() -> state.get(RelayState.PAUSED).map(Boolean::parseBoolean).orElse(false));
        // The last quota the daemon knew (relay.db), shown as of now (windows whose reset passed show as reset).
        QuotaTracker lastKnown = new QuotaTracker(accounts.database(), null, clock, Runnable::run);
        store(() -> { lastKnown.load(); return null; });
        List<AccountStatus> list = new ArrayList<>();
        for (Account a : store(accounts::list)) list.add(fromStored(a, pinned, lastKnown.current(a.id())));
        return new PoolStatus(pinned == null, pinned, null, paused, 0, null, List.copyOf(list));
    }

    private AccountStatus fromRuntime(AccountRuntime r, String pinned) {
        Account a = r.account();
        return new AccountStatus(a.name(), a.kind().label(), a.email(), a.plan(), baseUrl(a), a.enabled(), a.priority(),
                r.maxConcurrent(), a.credentials().hint(), r.state(), r.until(), r.reason(), r.inFlight(),
                a.name().equals(pinned), r.quota());
    }

    private AccountStatus fromStored(Account a, String pinned, io.codexrelay.events.QuotaSnapshot quota) {
        return new AccountStatus(a.name(), a.kind().label(), a.email(), a.plan(), baseUrl(a), a.enabled(), a.priority(),
                AccountPool.maxConcurrent(a, config.pool()), a.credentials().hint(), a.enabled() ? "ready" : "disabled", null, null, 0,
                a.name().equals(pinned), quota);
    }

    private String baseUrl(Account a) {
        if (a.credentials() instanceof Credentials.ApiKey k && k.baseUrl() != null) return k.baseUrl();
        return a.kind() == Account.Kind.CHATGPT ? config.upstream().chatgptBaseUrl() : config.upstream().defaultApiBaseUrl();
    }

    private AccountStatus statusOf(String name) throws ControlException {
        for (AccountStatus s : status().accounts()) if (s.name().equals(name)) return s;
        throw new ControlException("Account '" + name + "' vanished while it was being saved; run `codex-relay accounts list`.");
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
        String baseUrl = checkBaseUrl(r.baseUrl() == null || r.baseUrl().isBlank() ? config.upstream().defaultApiBaseUrl() : r.baseUrl());
        int priority = checkPriority(r.priority() == null ? DEFAULT_PRIORITY : r.priority());
        Integer maxConcurrent = r.maxConcurrent() == null ? null : checkMaxConcurrent(r.maxConcurrent());
        for (Account a : store(accounts::list)) {
            if (a.credentials() instanceof Credentials.ApiKey k && k.key().equals(key) && Objects.equals(k.baseUrl(), baseUrl))
                throw new ControlException("This key (" + a.credentials().hint() + ") is already in the pool as '" + a.name() + "'.");
        }
        var now = clock.instant();
        store(() -> accounts.insert(new Account(0, name, Account.Kind.API_KEY, true, priority, maxConcurrent,
                new Credentials.ApiKey(key, baseUrl), null, null, null, now, now)));
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
    public synchronized void removeAccount(String name) throws ControlException {
        Account a = require(name);
        if (a.name().equals(pinnedName())) auto();
        store(() -> accounts.delete(a.name()));
        accountsChanged();
    }

    @Override
    public synchronized AccountStatus updateAccount(String name, AccountChanges changes) throws ControlException {
        Account a = require(name);
        if (changes == null || changes.priority() == null && changes.maxConcurrent() == null && changes.enabled() == null)
            throw new ControlException("Nothing to change: give --priority, --max-concurrent, --enable or --disable.");
        int priority = changes.priority() == null ? a.priority() : checkPriority(changes.priority());
        Integer maxConcurrent = changes.maxConcurrent() == null ? a.maxConcurrent() : Integer.valueOf(checkMaxConcurrent(changes.maxConcurrent()));
        boolean enabled = changes.enabled() == null ? a.enabled() : changes.enabled();
        store(() -> accounts.update(new Account(a.id(), a.name(), a.kind(), enabled, priority, maxConcurrent, a.credentials(),
                a.email(), a.plan(), a.sourceCodexHome(), a.createdAt(), clock.instant())));
        if (!enabled && a.name().equals(pinnedName())) auto();
        accountsChanged();
        return statusOf(a.name());
    }

    // ---- mode ------------------------------------------------------------------------------------------------

    @Override
    public synchronized void pin(String name) throws ControlException {
        Account a = require(name);
        if (!a.enabled())
            throw new ControlException("'" + a.name() + "' is disabled. Enable it first: codex-relay accounts set \"" + a.name() + "\" --enable");
        if (pool != null) store(() -> { pool.pin(a.name()); return null; });
        else store(() -> { state.put(RelayState.PINNED_ACCOUNT, a.name()); return null; });
    }

    @Override
    public synchronized void auto() throws ControlException {
        if (pool != null) store(() -> { pool.auto(); return null; });
        else store(() -> { state.put(RelayState.PINNED_ACCOUNT, null); return null; });
    }

    @Override
    public synchronized void setPaused(boolean paused) throws ControlException {
        if (pool != null) store(() -> { pool.setPaused(paused); return null; });
        else store(() -> { state.put(RelayState.PAUSED, Boolean.toString(paused)); return null; });
    }

    @Override
    public void refreshQuota() throws ControlException {
        if (pool == null) throw new ControlException("Quota can only be polled while the relay runs. Start it with `codex-relay`.");
        PoolServices s = services;
        if (s == null) return;
        try {
            s.refreshQuota(java.time.Duration.ofSeconds(90));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ControlException("Polling the accounts' quota took longer than 90 s; it goes on in the background.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ControlException("Interrupted while polling quota.");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new ControlException("Polling quota failed: " + e.getCause().getMessage());
        }
    }

    @Override
    public synchronized AccountStatus addChatGptLogin(String name, Credentials.ChatGptTokens t) throws ControlException {
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
        PoolServices s = services;
        Account current = s != null ? s.current(a) : a;
        CodexAuthExport.Exported e;
        try {
            e = CodexAuthExport.export(current, codexHome.toAbsolutePath().normalize(), home.backupsDir(), accounts, clock);
        } catch (IOException ex) {
            throw new ControlException(ex.getMessage(), ex);
        }
        if (a.kind() == Account.Kind.CHATGPT) accountsChanged(); // now linked to that Codex home
        return new CodexExport(e.file().toString(), e.backup() == null ? null : e.backup().toString());
    }

    private String pinnedName() throws ControlException {
        if (pool != null) return pool.pinned();
        return store(() -> state.get(RelayState.PINNED_ACCOUNT).orElse(null));
    }

    // ---- request log -----------------------------------------------------------------------------------------

    @Override
    public List<RequestView> recentRequests(int limit) throws ControlException {
        int n = Math.max(1, Math.min(limit, 10_000));
        RequestLog log;
        synchronized (this) {
            if (requestLog == null) requestLog = new RequestLog(ownedDb, config.log(), clock);
            log = requestLog;
        }
        return store(() -> log.newest(n)).stream().map(LogQuery::view).toList();
    }

    @Override
    public List<RequestView> queryRequests(LogQuery.Filter filter, long offset, int limit) throws ControlException {
        // The first page is what a reload shows: let the writer catch up so a request that just finished is in it.
        if (offset == 0 && requestLog != null) requestLog.flush();
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
        return store(() -> q.usage(from, bucket)).stream().map(LogQuery::view).toList();
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
        if (!patched.equals(text)) {
            try {
                AtomicFiles.backup(file, home.backupsDir(), clock);
                AtomicFiles.writeString(file, patched, false);
            } catch (IOException e) {
                throw new ControlException("Could not write " + file + ": " + e.getMessage() + ". Nothing was changed.");
            }
        }
        this.config = next;
        if (pool != null) {
            configApplier.accept(next);
            if (events != null) events.publish(new RelayEvent.ConfigChanged());
            List<String> restart = new ArrayList<>();
            for (var k : ConfigSchema.keys().values()) {
                if (k.restartNeeded() && !ConfigValues.same(startConfig.values().get(k.path()), next.values().get(k.path())))
                    restart.add(k.path());
            }
            return List.copyOf(restart);
        }
        return List.of();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private Account require(String name) throws ControlException {
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

    /** The pool publishes ModeChanged itself; accounts changes are announced here, after the pool has reloaded. */
    private void accountsChanged() throws ControlException {
        if (pool != null) store(() -> { pool.reload(); return null; });
        if (events != null) events.publish(new RelayEvent.AccountsChanged());
    }

    @FunctionalInterface
    private interface StoreWork<T> { T run() throws StoreException; }

    private static <T> T store(StoreWork<T> work) throws ControlException {
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
        if (ownsLog && requestLog != null) requestLog.close();
        requestLog = null;
        if (ownedDb != null) ownedDb.close();
    }
}
