package io.codexrelay.proxy;

import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.events.EventBus;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.AccountServices;
import io.codexrelay.pool.Affinity;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The local HTTP relay Codex talks to, on Jetty 12 core handlers.
 *
 * <p>Routes: {@code POST /v1/responses} (also {@code /responses}, {@code /backend-api/codex/responses}),
 * {@code GET /v1/models} (also {@code /models}), {@code GET /healthz}, the pool's usage in Codex's shape at
 * {@code GET /backend-api/wham/usage} and {@code GET /api/codex/usage}; handlers mounted with {@link #mount}
 * (the daemon's admin API at {@code /_relay/admin}); anything else gets a 404 JSON. Every request passes the
 * {@link RequestGuard} source checks; proxied routes also need the client key.
 */
public final class RelayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

    static final Set<String> RESPONSES_PATHS = Set.of("/v1/responses", "/responses", "/backend-api/codex/responses");
    static final Set<String> MODELS_PATHS = Set.of("/v1/models", "/models", "/backend-api/codex/models");
    /**
     * Where Codex versions that ask for usage themselves look (chatgpt_base_url + /wham/usage, or /api/codex/usage).
     * No client key is needed: Codex sends its own ChatGPT credentials there, and the answer holds only percentages.
     */
    static final Set<String> USAGE_PATHS = Set.of("/backend-api/wham/usage", "/api/codex/usage");

    /** A refused request's body is read and dropped up to this much (or twice server.max_body_mb) before the answer. */
    private static final long DRAIN_MIN_BYTES = 64L << 20;

    private final AccountPool pool;
    private final RequestGuard guard;
    private final UpstreamClient upstream;
    private final ResponsesForwarder forwarder;
    private final Server server;
    private final ServerConnector connector;
    /** Capacity of Jetty's per-connection header field cache for Codex's connections: none (see the constructor). */
    static final int HEADER_CACHE_SIZE = 0;
    private final List<Handler> mounts = new ArrayList<>();
    private final Clock clock;
    private final AccountServices services;
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
        this.services = services == null ? AccountServices.NONE : services;
        this.pool = pool;
        this.guard = new RequestGuard(config.server().allowRemote(), clientKey);
        this.upstream = new UpstreamClient(config.upstream());
        this.forwarder = new ResponsesForwarder(pool, this.services, upstream, events, clock);
        this.clock = clock;

        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("relay-http");
        threads.setDaemon(true);
        server = new Server(threads);
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
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.server().listen());
        connector.setPort(config.server().port());
        connector.setIdleTimeout(codexIdleTimeoutMs(config));
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
        List<Handler> children = new ArrayList<>(mounts);
        children.add(new Routes());
        server.setHandler(new Guard(new Handler.Sequence(children)));
        upstream.start();
        try {
            server.start();
        } catch (Exception e) {
            upstream.close();
            throw new java.io.IOException("Could not listen on " + listen + ":" + config.server().port() + " (" + e.getMessage()
                    + "). Is another codex-relay or program using that port? Change server.port in config.toml.", e);
        }
        started = true;
        log.info("Relay listening on http://{}:{}", listen, port());
    }

    public int port() { return connector.getLocalPort(); }

    /** The connections Codex has open to the relay now (tests look at what each keeps while it is alive). */
    java.util.Collection<org.eclipse.jetty.io.EndPoint> connectedEndPoints() { return connector.getConnectedEndPoints(); }

    /** Proxied requests in flight. */
    public int inFlight() { return forwarder.inFlight(); }

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
        upstream.applyConfig(config.upstream());
        connector.setIdleTimeout(codexIdleTimeoutMs(config));
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
        try {
            server.stop();
        } catch (Exception e) {
            log.warn("Stopping the relay server: {}", e.toString());
        }
        upstream.close();
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

    // ---- handlers --------------------------------------------------------------------------------------------

    /** Source checks for every route. */
    private final class Guard extends Handler.Wrapper {
        Guard(Handler next) { super(next); }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            RequestGuard.Refusal r = guard.checkSource(request);
            if (r != null) {
                log.debug("Refused {} {}: {}", request.getMethod(), request.getHttpURI().getPath(), r.type());
                refuse(request, response, callback, r.status(), r.type(), r.message());
                return true;
            }
            return super.handle(request, response, callback);
        }
    }

    /** Passes requests under a path prefix to a mounted handler. */
    private static final class PrefixHandler extends Handler.Wrapper {
        private final String prefix;

        PrefixHandler(String prefix, Handler handler) {
            super(handler);
            this.prefix = prefix;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = request.getHttpURI().getPath();
            if (path == null || !(path.equals(prefix) || path.startsWith(prefix + "/"))) return false;
            return super.handle(request, response, callback);
        }
    }

    /** The relay's own routes; never blocks. */
    private final class Routes extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = request.getHttpURI().getPath();
            String method = request.getMethod();
            if ("/healthz".equals(path)) {
                if (!method.equals("GET") && !method.equals("HEAD")) return notAllowed(request, response, callback, "GET");
                health(response, callback);
            } else if (RESPONSES_PATHS.contains(path)) {
                if (!method.equals("POST")) return notAllowed(request, response, callback, "POST");
                proxy(request, response, callback, Route.RESPONSES, path);
            } else if (MODELS_PATHS.contains(path)) {
                if (!method.equals("GET")) return notAllowed(request, response, callback, "GET");
                proxy(request, response, callback, Route.MODELS, path);
            } else if (USAGE_PATHS.contains(path)) {
                if (!method.equals("GET")) return notAllowed(request, response, callback, "GET");
                usage(response, callback);
            } else {
                refuse(request, response, callback, 404, "relay_not_found", "codex-relay has no route " + path + ". It serves "
                        + "POST /v1/responses, GET /v1/models and GET /healthz.");
            }
            return true;
        }
    }

    /** The pool's quota as {@code /wham/usage} answers it (see {@link PooledUsage}). */
    private void usage(Response response, Callback callback) {
        String json = PooledUsage.usageJson(services.codexView(null), null, clock.instant());
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Content.Sink.write(response, true, json, callback);
    }

    private boolean notAllowed(Request request, Response response, Callback callback, String allowed) {
        response.getHeaders().put(HttpHeader.ALLOW, allowed);
        refuse(request, response, callback, 405, "relay_method_not_allowed", "Use " + allowed + " on this route.");
        return true;
    }

    /**
     * A JSON error, sent once what is left of the request body has been read and dropped. Answering a client that is
     * still sending makes Jetty close the connection with the body unread, and the client may then see a reset instead
     * of the answer (Codex would print a connection error, not what to do). Past {@link #drainLimit()} bytes the answer
     * goes at once.
     */
    private void refuse(Request request, Response response, Callback callback, int status, String type, String message) {
        new Drain(request, drainLimit(), () -> RelayErrors.write(response, status, type, message, callback)).run();
    }

    /** How much of a refused request's body is read and dropped before answering. */
    private long drainLimit() {
        return Math.max(DRAIN_MIN_BYTES, 2 * config.server().maxBodyBytes());
    }

    private void health(Response response, Callback callback) {
        String json = "{\"status\":\"ok\",\"service\":\"codex-relay\",\"paused\":" + pool.paused()
                + ",\"can_serve\":" + (pool.serving() != null) + ",\"in_flight\":" + inFlight() + "}";
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Content.Sink.write(response, true, json, callback);
    }

    private void proxy(Request request, Response response, Callback callback, Route route, String path) {
        RequestGuard.Refusal r = guard.checkKey(request);
        if (r != null) {
            refuse(request, response, callback, r.status(), r.type(), r.message());
            return;
        }
        if (stopping) {
            refuse(request, response, callback, 503, "relay_stopping", "codex-relay is stopping; start it again and retry.");
            return;
        }
        if (pool.paused()) {
            refuse(request, response, callback, 503, "relay_paused", "codex-relay is paused, so it does not forward requests. "
                    + "Resume with `codex-relay resume` or untick Pause in the tray menu.");
            return;
        }
        if (route == Route.MODELS) {
            start(request, response, callback, route, path, new byte[0]);
            return;
        }
        long max = config.server().maxBodyBytes();
        long declared = request.getLength();
        if (declared > max) {
            tooLarge(request, response, callback);
            return;
        }
        new BodyReader(request, max, declared, body -> start(request, response, callback, route, path, body),
                () -> tooLarge(request, response, callback),
                failure -> callback.failed(failure)).run();
    }

    private void tooLarge(Request request, Response response, Callback callback) {
        refuse(request, response, callback, 413, "relay_body_too_large", "The request body is larger than server.max_body_mb = "
                + config.server().maxBodyMb() + " MiB. Raise server.max_body_mb in ~/.codex-relay/config.toml if this "
                + "conversation really is that long, or start a new one.");
    }

    private void start(Request request, Response response, Callback callback, Route route, String path, byte[] body) {
        HttpFields headers = request.getHeaders();
        // The conversation: session-id / thread-id header, else the body's prompt_cache_key (thread affinity's key).
        String session = threadKey(headers::get, body);
        String model = route == Route.RESPONSES ? modelOf(body) : null;
        forwarder.forward(new ResponsesForwarder.Incoming(request, route, path, request.getHttpURI().getQuery(), headers,
                body, model, session), response, callback);
    }

    /** The top-level {@code "model"} of the request JSON, or null; malformed JSON is the upstream's to judge. */
    static String modelOf(byte[] body) {
        return JsonPeek.topLevelString(body, "model");
    }

    /**
     * The conversation a request belongs to (thread affinity's key): the {@code session-id} / {@code thread-id} header
     * Codex sends (the thread UUID), else the body's {@code prompt_cache_key}; null if none. Cut to
     * {@link Affinity#MAX_KEY}: longer values are not Codex thread ids.
     */
    static String threadKey(Function<String, String> header, byte[] body) {
        for (String h : new String[] {"session-id", "session_id", "thread-id", "thread_id"}) {
            String v = header.apply(h);
            if (v != null && !v.isBlank()) return cut(v.trim());
        }
        String pck = JsonPeek.topLevelString(body, "prompt_cache_key");
        return pck == null || pck.isBlank() ? null : cut(pck);
    }

    private static String cut(String s) {
        return s.length() <= Affinity.MAX_KEY ? s : s.substring(0, Affinity.MAX_KEY);
    }

    static boolean isLoopbackAddress(String listen) {
        try {
            for (InetAddress a : InetAddress.getAllByName(listen)) if (!a.isLoopbackAddress()) return false;
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Reads what is left of a request body and drops it, without blocking, then runs {@code then} (once). */
    private static final class Drain implements Runnable {
        private final Request request;
        private final long max;
        private final Runnable then;
        private long seen;

        Drain(Request request, long max, Runnable then) {
            this.request = request;
            this.max = max;
            this.then = then;
        }

        @Override
        public void run() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                boolean end = chunk.isLast() || Content.Chunk.isFailure(chunk);
                seen += chunk.remaining();
                chunk.release();
                if (end || seen > max) {
                    then.run();
                    return;
                }
            }
        }
    }

    /** Reads the request body once, into one array, without blocking; stops at the size limit. */
    private static final class BodyReader implements Runnable {
        private final Request request;
        private final long max;
        private final java.util.function.Consumer<byte[]> done;
        private final Runnable tooLarge;
        private final java.util.function.Consumer<Throwable> failed;
        private byte[] buf;
        private int len;

        BodyReader(Request request, long max, long declared, java.util.function.Consumer<byte[]> done,
                   Runnable tooLarge, java.util.function.Consumer<Throwable> failed) {
            this.request = request;
            this.max = max;
            this.done = done;
            this.tooLarge = tooLarge;
            this.failed = failed;
            this.buf = new byte[(int) Math.min(max, declared >= 0 ? declared : 16 * 1024)];
        }

        @Override
        public void run() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    failed.accept(chunk.getFailure());
                    return;
                }
                boolean last = chunk.isLast();
                try {
                    int n = chunk.remaining();
                    if ((long) len + n > max) {
                        buf = null;
                        tooLarge.run(); // reads and drops the rest before answering
                        return;
                    }
                    if (len + n > buf.length) buf = Arrays.copyOf(buf, (int) Math.min(max, Math.max((long) buf.length * 2, len + n)));
                    chunk.getByteBuffer().get(buf, len, n);
                    len += n;
                } finally {
                    chunk.release();
                }
                if (last) {
                    done.accept(len == buf.length ? buf : Arrays.copyOf(buf, len));
                    return;
                }
            }
        }
    }
}
