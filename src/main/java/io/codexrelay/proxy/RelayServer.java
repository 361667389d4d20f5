package io.codexrelay.proxy;

import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.events.EventBus;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.AccountServices;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The local HTTP relay Codex talks to, on Jetty 12 core handlers: its lifecycle (listen, live settings, stop with a
 * grace period, then cut what is left). What each path does is {@link RelayRoutes}; bodies are read by
 * {@link RequestBody}; the usage endpoint is {@link UsageEndpoint}; a proxied request's life is the forwarder's.
 *
 * <p>Routes: {@code POST /v1/responses} (also {@code /responses}, {@code /backend-api/codex/responses}),
 * {@code GET /v1/models} (also {@code /models}), {@code GET /healthz}, the pool's usage in Codex's shape at
 * {@code GET /backend-api/wham/usage} and {@code GET /api/codex/usage}; handlers mounted with {@link #mount}
 * (the daemon's admin API at {@code /_relay/admin}); anything else gets a 404 JSON. Every request passes the
 * {@link RequestGuard} source checks; proxied routes also need the client key.
 */
public final class RelayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

    private final UpstreamClient upstream;
    private final ResponsesForwarder forwarder;
    private final RelayRoutes routes;
    private final BodyBudget bodies;
    private final ConnectionGuard connectionGuard;
    private final ClientKeys clientKeys;

    /** The client keys the relay accepts (the app replaces them when a key, a home or a run changes). */
    public ClientKeys clientKeys() { return clientKeys; }
    private final WebSocketDoor sockets;
    private final Server server;
    private final ServerConnector connector;
    /** Capacity of Jetty's per-connection header field cache for Codex's connections: none (see the constructor). */
    static final int HEADER_CACHE_SIZE = 0;
    /**
     * Most threads the server's pool may grow to. Requests run on the selector; threads are needed only for blocking
     * work (the admin API, mounted handlers) and for Jetty's own hand-offs in bursts.
     */
    static final int MAX_THREADS = 200;
    /** Selector threads on each side (Codex's and the upstream's), which run the request path: 2, or 1 on one core. */
    public static final int SELECTORS = Math.min(2, Runtime.getRuntime().availableProcessors());
    private final List<Handler> mounts = new ArrayList<>();
    private volatile RelayConfig config;
    private volatile boolean started;
    private volatile boolean stopping;

    /** Without the pool's services: stored credentials, the upstream's own quota headers. */
    public RelayServer(RelayConfig config, AccountPool pool, EventBus events, ClientKey clientKey, Clock clock) {
        this(config, pool, AccountServices.NONE, events, clientKey, clock);
    }

    /**
     * With the pool's services (fresh tokens, 401 refresh, pooled quota headers and usage), wired once, here.
     */
    public RelayServer(RelayConfig config, AccountPool pool, AccountServices services, EventBus events,
                       ClientKey clientKey, Clock clock) {
        this.config = config;
        AccountServices s = services == null ? AccountServices.NONE : services;
        this.upstream = new UpstreamClient(config.upstream());
        this.clientKeys = new ClientKeys(clientKey);
        this.forwarder = new ResponsesForwarder(pool, s, upstream, events, clock, clientKeys);
        forwarder.redactions.replace(config.redactions());
        this.bodies = new BodyBudget(config.server().bodyMemoryBudgetBytes());
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2) {
            /**
             * When an answer ends on the upstream's thread, Jetty hands Codex's connection to a pool thread to read its
             * next request ({@code HttpConnection}'s resume): a wake-up of a parked thread and two context switches on
             * every request, only to find nothing to read yet and ask the selector to watch the socket. The upstream's
             * thread does that itself instead: the handler tree is non-blocking (a request that is already there is
             * handled exactly as on a selector thread), so nothing on that thread waits.
             */
            @Override
            public void execute(Runnable job) {
                if (job instanceof org.eclipse.jetty.server.internal.HttpConnection && UpstreamClient.onUpstreamThread()) {
                    job.run();
                    return;
                }
                super.execute(job);
            }
        };
        threads.setName("relay-http");
        // No reserved threads: Jetty keeps a few threads spinning/parked to hand the selector's role to, which on a
        // 2-core laptop costs a wake-up per hand-off and buys nothing, since the request path runs on the selector
        // itself (the handler tree is non-blocking; docs/benchmarks.md, "Relay vs nginx").
        threads.setReservedThreads(0);
        // A burst (1000 streams) grows the pool to its 200 threads; by default Jetty retires one idle thread per
        // 60 s, so their stacks and malloc arenas stayed resident for hours. Retire up to 50 per 10 s instead
        // (docs/benchmarks.md, "Memory (issue 9)").
        threads.setIdleTimeout(10_000);
        threads.setMaxEvictCount(50);
        threads.setDaemon(true);
        server = new Server(threads);
        this.sockets = new WebSocketDoor(server, forwarder, () -> this.config);
        this.routes = new RelayRoutes(() -> this.config, new RequestGuard(config.server().allowRemote(), clientKey, clientKeys::knows), pool,
                forwarder, new UsageEndpoint(s, clock), () -> stopping, sockets, bodies, clientKeys);
        server.setStopTimeout(0); // stop(grace) does the graceful part itself
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setSendDateHeader(false);
        // No per-connection header field cache: Jetty's default (1024) gives every connection that has served one
        // request a 96 KB trie for as long as it is kept alive, which is 94 MB of a 128 MB heap with 1000 idle
        // keep-alive connections (it ran the lean launcher's heap out of memory in the 1000-stream benchmark).
        // Parsing a dozen request headers without it costs microseconds.
        http.setHeaderCacheSize(HEADER_CACHE_SIZE);
        // The selectors accept too (no acceptor thread blocked in accept()). Two of them (one on a single core): the
        // request path runs on the selectors, and with one per side a busy machine queued every stream behind that
        // one thread (64 streams: +90 ms added TTFB against +44 ms with two, same CPU per request; docs/benchmarks.md).
        connector = new ServerConnector(server, 0, SELECTORS, new HttpConnectionFactory(http)) {
            /** Codex's connections: no selector wake-up for a read interest that is already there (ReadInterestEndPoint). */
            @Override
            protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key) {
                SocketChannelEndPoint endPoint = new ReadInterestEndPoint(channel, selector, key, getScheduler());
                endPoint.setIdleTimeout(getIdleTimeout());
                return endPoint;
            }
        };
        connector.setHost(config.server().listen());
        connector.setPort(config.server().port());
        connector.setIdleTimeout(codexIdleTimeoutMs(config));
        connectionGuard = new ConnectionGuard(server.getScheduler(), () -> this.config.server().maxConnections(),
                () -> this.config.server().headerTimeout().toMillis());
        connector.addEventListener(connectionGuard);
        server.addConnector(connector);
    }

    /**
     * Mounts a handler for every path under {@code pathPrefix} (call before {@link #start()}). Such routes skip the
     * client-key check (they authenticate themselves) but still pass the Host/Origin/loopback guard. The handler
     * sees the full request path.
     */
    public void mount(String pathPrefix, Handler handler) {
        if (started) throw new IllegalStateException("mount() must be called before start()");
        String p = pathPrefix.endsWith("/") ? pathPrefix.substring(0, pathPrefix.length() - 1) : pathPrefix;
        mounts.add(new PrefixHandler(p, handler));
    }

    public void start() throws Exception {
        String listen = config.server().listen();
        if (!config.server().allowRemote() && !isLoopbackAddress(listen)) {
            throw new IllegalStateException("server.listen = \"" + listen + "\" is not a loopback address. codex-relay binds "
                    + "to this machine only unless server.allow_remote = true is set in config.toml.");
        }
        if (!isLoopbackAddress(listen) && !clientKeys.hasKeys()) {
            // other machines only ever get in with a key of their own, which can be limited and revoked
            throw new IllegalStateException("server.listen = \"" + listen + "\" opens the relay to other machines, which "
                    + "needs at least one per-tool client key: make one with `codex-relay keys create NAME` (relay stopped "
                    + "or not), then start again. Put TLS in front (see README, \"Point other tools at the relay\").");
        }
        server.setHandler(routes.handler(mounts));
        upstream.start();
        sockets.start();
        try {
            server.start();
        } catch (Exception e) {
            upstream.close();
            sockets.stop();
            throw new java.io.IOException("Could not listen on " + listen + ":" + config.server().port() + " (" + e.getMessage()
                    + "). Is another codex-relay or program using that port? Change server.port in config.toml.", e);
        }
        started = true;
        log.info("Relay listening on http://{}:{}", listen, port());
    }

    public int port() { return connector.getLocalPort(); }

    /** The connections Codex has open to the relay now (tests look at what each keeps while it is alive). */
    java.util.Collection<org.eclipse.jetty.io.EndPoint> connectedEndPoints() { return connector.getConnectedEndPoints(); }

    /** Bytes the request bodies kept in memory hold now (within server.body_memory_budget_mb). */
    public long bodyMemoryInUse() { return bodies.inUse(); }

    /** Connections open now (within server.max_connections). */
    public int openConnections() { return connectionGuard.open(); }

    /** Proxied requests in flight. */
    public int inFlight() { return forwarder.inFlight() + sockets.inFlight(); }

    /** WebSocket upgrades that passed the guard since start, accepted or refused with 426. */
    public long socketUpgrades() { return sockets.upgrades(); }

    /** Codex sockets (Responses over WebSocket) open now. */
    public int openSockets() { return sockets.openSockets(); }

    /** Longer than the upstream idle timeout, so that the upstream side decides when a quiet stream is dead. */
    private static long codexIdleTimeoutMs(RelayConfig config) {
        return Math.max(60_000, config.upstream().idleTimeout().toMillis() + 30_000);
    }

    /**
     * Applies live settings: body limit, upstream timeouts and URLs, the idle timeout of Codex's connections (new
     * connections); listen address and port need a restart.
     */
    public void applyConfig(RelayConfig config) {
        this.config = config;
        bodies.setLimit(config.server().bodyMemoryBudgetBytes());
        upstream.applyConfig(config.upstream());
        forwarder.redactions.replace(config.redactions());
        connector.setIdleTimeout(codexIdleTimeoutMs(config));
        sockets.applyConfig();
    }

    /**
     * Stops accepting; streams in flight may finish within {@code grace}, then are ended cleanly (Codex sees a
     * stream without {@code response.completed} and retries later). Requests still waiting get a 503.
     */
    public void stop(Duration grace) {
        if (!started) return;
        started = false;
        stopping = true;
        try {
            connector.shutdown();
        } catch (RuntimeException e) {
            log.debug("Connector shutdown: {}", e.toString());
        }
        waitForIdle(grace);
        if (inFlight() > 0) {
            log.info("Cutting {} request(s) still in flight", inFlight());
            forwarder.cutAll();
            waitForIdle(Duration.ofSeconds(3));
        }
        sockets.closeAll();
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("Stopping the relay server: {}", e.toString());
        }
        upstream.close();
        sockets.stop();
    }

    private void waitForIdle(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }

    /** How requests are handled: on the selector thread (non-blocking) unless a handler in the tree blocks. */
    Invocable.InvocationType invocationType() { return server.getInvocationType(); }

    /**
     * Passes requests under a path prefix to a mounted handler. The relay's handler tree is non-blocking, so Jetty
     * runs it on the selector thread with no hand-off; a mounted handler that may block (the admin API reads its body
     * and the database) would stall every connection there, so its requests go to a pool thread.
     */
    static final class PrefixHandler extends Handler.Wrapper {
        private final String prefix;

        PrefixHandler(String prefix, Handler handler) {
            super(handler);
            this.prefix = prefix;
        }

        @Override
        public InvocationType getInvocationType() { return InvocationType.NON_BLOCKING; }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = request.getHttpURI().getPath();
            if (path == null || !(path.equals(prefix) || path.startsWith(prefix + "/"))) return false;
            Handler mounted = getHandler();
            if (mounted == null) return false;
            if (mounted.getInvocationType() == InvocationType.NON_BLOCKING) return mounted.handle(request, response, callback);
            request.getComponents().getThreadPool().execute(() -> {
                try {
                    if (!mounted.handle(request, response, callback)) {
                        Response.writeError(request, response, callback, 404);
                    }
                } catch (Throwable x) {
                    callback.failed(x);
                }
            });
            return true;
        }
    }

    static boolean isLoopbackAddress(String listen) {
        try {
            for (InetAddress a : InetAddress.getAllByName(listen)) if (!a.isLoopbackAddress()) return false;
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
