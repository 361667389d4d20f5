package io.codexrelay.app;

import io.codexrelay.account.AccountRepository;
import io.codexrelay.codex.CodexWiring;
import io.codexrelay.config.ClientKey;
import io.codexrelay.config.ConfigException;
import io.codexrelay.config.ConfigLoader;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.platform.SingleInstance;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.PoolServices;
import io.codexrelay.proxy.RelayServer;
import io.codexrelay.store.Database;
import io.codexrelay.store.RelayState;
import io.codexrelay.store.RequestLog;
import io.codexrelay.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The daemon, wired in one place: relay home -> single-instance lock -> config -> Database -> AccountRepository,
 * RelayState -> EventBus -> PoolServices (quota, affinity, routing, tokens, polling) and the AccountPool built on them
 * -> RequestLog (subscribed to RequestFinished) -> RelayServer (given the pool and its services) -> LiveSettings ->
 * LocalControl -> the admin API mounted -> admin.json. Every part gets what it needs through its constructor. {@link #start} returns a running relay; {@link #stop} takes it down in reverse order.
 *
 * <pre>
 * RelayApp app = RelayApp.start(new RelayApp.Options(home, Clock.systemUTC(), null));
 * app.control();   // LocalControl (ControlApi) for the tray; app.events() for live updates
 * app.port();      // where Codex points
 * app.stop(Duration.ofSeconds(30));   // graceful: in-flight streams get the grace to finish
 * </pre>
 * Signals, the tray and the process exit code are {@link Daemon}'s business, not this class's.
 */
public final class RelayApp implements AutoCloseable {
    public static final String VERSION = "0.1.0";
    public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(30);
    private static final Logger log = LoggerFactory.getLogger(RelayApp.class);
    /** How long config.toml must be quiet after a change before it is reloaded (an editor's save is several events). */
    static final Duration CONFIG_DEBOUNCE = Duration.ofMillis(300);

    /**
     * @param portOverride when not null, replaces {@code server.port} (0 = any free port; tests and {@code serve --port})
     */
    public record Options(RelayHome home, Clock clock, Integer portOverride, Map<String, String> env) {
        public Options(RelayHome home, Clock clock, Integer portOverride) {
            this(home, clock, portOverride, System.getenv());
        }

        /** The relay home {@code env} names ({@code CODEX_RELAY_HOME}, else {@code ~/.codex-relay}). */
        public static Options fromEnvironment(Map<String, String> env, Clock clock, Integer portOverride) {
            return new Options(RelayHome.fromEnvironment(env), clock, portOverride, env);
        }
    }

    /** The daemon could not start; the message says why and what to do. */
    public static final class StartException extends Exception {
        public StartException(String message, Throwable cause) { super(message, cause); }
    }

    private final RelayHome home;
    private SessionsService sessions;   // sessions(): built on first use
    private final Clock clock;
    private final SingleInstance lock;
    private final Database database;
    private final AccountRepository accounts;
    private final RelayState state;
    private final EventBus events;
    private final AccountPool pool;
    private final PoolServices poolServices;
    private final RequestLog requestLog;
    private final RelayServer server;
    private final LocalControl control;
    private final AdminFile.Info adminInfo;
    private final Deque<AutoCloseable> closeLast;
    private final LiveSettings live;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private boolean stopping;

    private RelayApp(Builder b) {
        this.home = b.home;
        this.clock = b.clock;
        this.lock = b.lock;
        this.database = b.database;
        this.accounts = b.accounts;
        this.state = b.state;
        this.events = b.events;
        this.pool = b.pool;
        this.poolServices = b.poolServices;
        this.requestLog = b.requestLog;
        this.server = b.server;
        this.control = b.control;
        this.adminInfo = b.adminInfo;
        this.closeLast = b.closeables;
        this.live = b.live;
    }

    /** Mutable holder used while starting, so a failure half way closes exactly what was opened. */
    private static final class Builder {
        RelayHome home;
        Clock clock;
        SingleInstance lock;
        RelayConfig config;
        Database database;
        AccountRepository accounts;
        RelayState state;
        EventBus events;
        AccountPool pool;
        PoolServices poolServices;
        RequestLog requestLog;
        RelayServer server;
        LocalControl control;
        AdminFile.Info adminInfo;
        Integer portOverride;
        LiveSettings live;
        final Deque<AutoCloseable> closeables = new ArrayDeque<>();
        RelayApp app;

        void unwind() {
            while (!closeables.isEmpty()) {
                try {
                    closeables.pop().close();
                } catch (Exception e) {
                    log.debug("cleanup after failed start: {}", e.toString());
                }
            }
        }
    }

    /**
     * Starts the relay. Throws {@link ConfigException} for a bad {@code config.toml} (message names file, line, key),
     * {@link SingleInstance.HeldException} when another daemon holds the home, {@link StartException} otherwise.
     */
    public static RelayApp start(Options options) throws ConfigException, SingleInstance.HeldException, StartException {
        Builder b = new Builder();
        b.home = options.home();
        b.clock = options.clock();
        if (!java.nio.file.Files.isDirectory(b.home.dir())) refuseBusyPort(options.portOverride());
        try {
            b.home.ensureExists();
        } catch (IOException e) {
            throw new StartException("Could not create the relay home " + b.home.dir() + ": " + e.getMessage()
                    + ". Check its permissions, or set CODEX_RELAY_HOME to a writable directory.", e);
        }
        try {
            b.lock = SingleInstance.acquire(b.home.lockFile());
        } catch (IOException e) {
            throw new StartException("Could not lock " + b.home.lockFile() + ": " + e.getMessage(), e);
        }
        b.closeables.push(b.lock);
        try {
            startComponents(b, options);
        } catch (ConfigException | StartException | RuntimeException e) {
            b.unwind();
            throw e;
        }
        return b.app;
    }

    private static void startComponents(Builder b, Options options) throws ConfigException, StartException {
        RelayConfig fileConfig = ConfigLoader.loadOrCreate(b.home.configFile());
        b.portOverride = options.portOverride();
        RelayConfig cfg = LiveSettings.effective(fileConfig, b.portOverride);
        b.config = cfg;
        LogSetup.level(cfg.log().level());
        AutoCloseable logFile = LogSetup.attachFile(b.home.logsDir());
        if (logFile != null) b.closeables.push(logFile);
        try {
            b.database = new Database(b.home.database());
            b.closeables.push(b.database);
            b.accounts = new AccountRepository(b.database, b.clock);
            b.state = new RelayState(b.database);
            b.events = new EventBus();
            b.closeables.push(b.events);
            // Quota, routing policy, affinity, token refresh, usage polling, and the pool built on them.
            b.poolServices = PoolServices.start(cfg, b.database, b.accounts, b.state, b.events, b.clock);
            b.pool = b.poolServices.pool();
            b.closeables.push(b.pool);
            b.closeables.push(b.poolServices);
            b.requestLog = new RequestLog(b.database, cfg.log(), b.clock);
            b.closeables.push(b.requestLog);
            RequestLog requestLog = b.requestLog;
            b.closeables.push(b.events.subscribe(RelayEvent.RequestFinished.class, e -> requestLog.append(e.record())));
            ClientKey clientKey = ClientKey.loadOrCreate(b.home);
            CodexWiring.rewireIfKeyReplaced(b.home, clientKey, b.clock);
            b.server = new RelayServer(cfg, b.pool, b.poolServices, b.events, clientKey, b.clock);
            b.closeables.push(b.server);
            String token = AdminFile.newToken();
            RelayServer server = b.server;
            b.live = new LiveSettings(cfg, b.portOverride, b.pool, server, b.requestLog, b.poolServices);
            b.control = LocalControl.live(b.home, fileConfig, b.database, b.accounts, b.state, b.pool, b.poolServices,
                    b.requestLog, b.events, server::inFlight, b.live, b.clock,
                    "daemon pid " + ProcessHandle.current().pid() + " (this process)");
            b.closeables.push(b.control);
            try {
                ((LiveControl) b.control).attachClientKeys(server.clientKeys());
            } catch (ControlException e) {
                throw new IOException("Reading the client keys from " + b.home.database().getFileName() + " failed: " + e.getMessage(), e);
            }
            b.control.codexEnv = options.env() == null ? System.getenv() : options.env();
            b.closeables.push(new CodexRoutingWatch(b.home, b.clock, b.events).start());   // the tray's Codex tick follows the file
            // A hand edit of config.toml (e.g. its [[redact]] rules) applies without a restart; a broken one keeps the old settings.
            LocalControl control = b.control;
            b.closeables.push(new io.codexrelay.config.ConfigWatch(b.home.configFile(), CONFIG_DEBOUNCE,
                    control::configFileChanged, control::configFileBroken).start());
            if (b.control instanceof LiveControl lc) {
                // a login Codex refreshed while used directly is taken over when auth.json changes (issue 9)
                b.closeables.push(new CodexAuthWatch(CodexHandover.defaultCodexHome(b.control.codexEnv).dir(),
                        CodexAuthWatch.DEBOUNCE, lc::codexAuthChanged).start());
            }
            // Named Codex homes: their client keys and accounts (homes.json); then the WebDAV sync, when set up.
            try {
                b.control.homesChanged();
            } catch (ControlException e) {
                log.warn("Named Codex homes not loaded: {}", e.getMessage());
            }
            b.closeables.push(new SyncScheduler(b.control, b.events));
            b.server.mount(AdminHandler.PREFIX, new AdminHandler(b.control, token, VERSION));
            try {
                b.server.start();
            } catch (Exception e) {
                throw startFailure(cfg, b.portOverride, e);
            }
            b.adminInfo = new AdminFile.Info(ProcessHandle.current().pid(), adminHost(cfg.server().listen()), b.server.port(),
                    token, VERSION, b.clock.instant());
            // A hand-over made when the relay last stopped is undone (Codex goes through the relay again), before
            // admin.json tells front ends the relay is up.
            if (b.control instanceof LiveControl lc) lc.afterStart();
            AdminFile.write(b.home, b.adminInfo);
            b.app = new RelayApp(b);
        } catch (StoreException e) {
            throw new StartException(e.getMessage(), e);
        } catch (IOException e) {
            throw new StartException("Could not write to " + b.home.dir() + ": " + e.getMessage(), e);
        }
        log.info("codex-relay {} started (home {}, pid {}, {} account(s))", VERSION, b.home.dir(), ProcessHandle.current().pid(),
                b.pool.runtime().size());
    }

    private static StartException startFailure(RelayConfig cfg, Integer portOverride, Exception e) {
        Throwable t = e;
        while (t != null && !(t instanceof BindException)) t = t.getCause();
        if (t != null) return portInUse(cfg.server().listen(), cfg.server().port(), portOverride != null, t, e);
        return new StartException("The relay server could not start: " + e, e);
    }

    /** Names where the port came from: the flag the user typed, or the file. */
    private static StartException portInUse(String listen, int port, boolean fromFlag, Throwable bind, Exception cause) {
        String fix = fromFlag ? "Stop the program using it, or choose another port with --port (server.port in the file is not used then)."
                : "Stop the program using it, or set server.port in the configuration file (or start with --port).";
        return new StartException("Port " + port + " on " + listen + " is already in use (" + bind.getMessage() + "; "
                + (fromFlag ? "from --port" : "server.port") + "). " + fix, cause);
    }

    /**
     * A first start (no relay home yet) on a port that is taken fails before the home is created, so a failed try
     * leaves nothing behind. The home does not exist, so the port is {@code --port} or the default.
     */
    private static void refuseBusyPort(Integer portOverride) throws StartException {
        RelayConfig.Server d = RelayConfig.defaults().server();
        int port = portOverride != null ? portOverride : d.port();
        if (port == 0) return;
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new java.net.InetSocketAddress(java.net.InetAddress.getByName(d.listen()), port));
        } catch (BindException e) {
            throw portInUse(d.listen(), port, portOverride != null, e, e);
        } catch (IOException e) {
            // Not a busy port (an address problem): the real start says what is wrong.
        }
    }

    /** Where local clients reach the admin API: the listen address, or loopback when listening on every address. */
    private static String adminHost(String listen) {
        if (listen.equals("0.0.0.0") || listen.equals("::") || listen.equals("[::]") || listen.equals("localhost")) return "127.0.0.1";
        return listen;
    }

    // ---- accessors for front ends (tray, sessions) -------------------------------------------------------------

    public RelayHome home() { return home; }
    public Clock clock() { return clock; }
    /** The configuration in force (changes made through {@link #control()} included; {@code serve --port} applied). */
    public RelayConfig config() { return live.current(); }
    /** The in-process control: what the tray calls. */
    public LocalControl control() { return control; }
    public EventBus events() { return events; }
    public Database database() { return database; }
    public AccountRepository accounts() { return accounts; }
    public RelayState state() { return state; }
    public AccountPool pool() { return pool; }
    /** Quota tracker, usage poller, token refresher, affinity (issue 3). */
    public PoolServices poolServices() { return poolServices; }
    /** The port the relay listens on (the real one when started with port 0). */
    public int port() { return server.port(); }
    /** WebSocket upgrades Codex sent that passed the guard (accepted, or 426 when websocket.enabled is false). */
    public long socketUpgrades() { return server.socketUpgrades(); }
    /** Codex sockets open now. */
    public int openSockets() { return server.openSockets(); }
    public String baseUrl() { return "http://" + adminInfo.host() + ":" + port() + "/v1"; }
    public AdminFile.Info adminInfo() { return adminInfo; }

    /**
     * The Sessions window's service, built on first use and then kept: the Codex home of {@code env} plus
     * {@code codex.extra_homes}, on the daemon's database. Front ends take it ready from here, never build their own.
     */
    public synchronized SessionsService sessions(Map<String, String> env) {
        if (sessions == null) sessions = SessionsService.forDaemon(home, database, live.current().codex().extraHomes(), env, clock);
        return sessions;
    }

    /** The relay home directory {@code env} names ({@code CODEX_RELAY_HOME}, else {@code ~/.codex-relay}). */
    public static Path homeDir(Map<String, String> env) { return RelayHome.fromEnvironment(env).dir(); }

    // ---- lifecycle -------------------------------------------------------------------------------------------

    /**
     * Graceful stop: the server stops accepting, in-flight streams get {@code grace} to finish (then are cut), the
     * request log receives every finished request and is flushed, the database closes, admin.json goes, the lock is
     * released. Safe to call twice and from any thread; a second caller waits for the first to finish.
     */
    public void stop(Duration grace) {
        synchronized (this) {
            if (stopping) {
                awaitStopped(grace.plusSeconds(10));
                return;
            }
            stopping = true;
        }
        try {
            log.info("Stopping: {} request(s) in flight, grace {} s", safeInFlight(), grace.toSeconds());
            try {
                server.stop(grace);
            } catch (RuntimeException e) {
                log.warn("Stopping the relay server: {}", e.toString());
            }
            AdminFile.removeIfMine(home, adminInfo);
            // Codex must not be stranded on a relay that is gone: hand it an account directly when the user chose so.
            if (control instanceof LiveControl lc) lc.beforeStop();
            events.drain();   // RequestFinished of the last streams reaches the log writer
            while (!closeLast.isEmpty()) {
                AutoCloseable c = closeLast.pop();
                try {
                    c.close();
                } catch (Exception e) {
                    log.warn("Closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
                }
            }
            log.info("Stopped.");
        } finally {
            stopped.countDown();
        }
    }

    private int safeInFlight() {
        try {
            return server.inFlight();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** Waits until {@link #stop} has finished; returns false on timeout. */
    public boolean awaitStopped(Duration timeout) {
        try {
            return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public boolean isStopped() { return stopped.getCount() == 0; }

    @Override
    public void close() {
        stop(DEFAULT_STOP_GRACE);
    }
}
