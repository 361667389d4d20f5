package io.codexrelay.proxy;

import io.codexrelay.config.RelayConfig;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.Affinity;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The relay's routes (C2P): which path goes where, the guard every route passes (source checks; the client key on the
 * proxied routes), the refusals with what to do, the body read once ({@link RequestBody}), and the hand-over of a
 * request to the forwarder with its thread key and model. Never blocks a Jetty thread.
 */
final class RelayRoutes {
    private static final Logger log = LoggerFactory.getLogger(RelayRoutes.class);

    static final Set<String> RESPONSES_PATHS = Set.of("/v1/responses", "/responses", "/backend-api/codex/responses");
    static final Set<String> MODELS_PATHS = Set.of("/v1/models", "/models", "/backend-api/codex/models");
    static final Set<String> CHAT_PATHS = Set.of("/v1/chat/completions", "/chat/completions");
    static final Set<String> MESSAGES_PATHS = Set.of("/v1/messages", "/messages");
    static final Set<String> COUNT_TOKENS_PATHS = Set.of("/v1/messages/count_tokens", "/messages/count_tokens");

    /** A refused request's body is read and dropped up to this much (or twice server.max_body_mb) before the answer. */
    private static final long DRAIN_MIN_BYTES = 64L << 20;

    private final Supplier<RelayConfig> config;
    private final RequestGuard guard;
    private final AccountPool pool;
    private final ResponsesForwarder forwarder;
    private final UsageEndpoint usage;
    private final BooleanSupplier stopping;
    private final BodyBudget bodies;
    private final ClientKeys clientKeys;
    /** Codex's Responses over WebSocket (null: upgrades are not served, e.g. in tests of the HTTP routes). */
    private final WebSocketDoor sockets;

    /**
     * {@code config}: the live settings; {@code stopping}: whether the relay is stopping (new requests get a 503);
     * {@code bodies}: the memory all kept request bodies share.
     */
    RelayRoutes(Supplier<RelayConfig> config, RequestGuard guard, AccountPool pool, ResponsesForwarder forwarder,
                UsageEndpoint usage, BooleanSupplier stopping) {
        this(config, guard, pool, forwarder, usage, stopping, null,
                new BodyBudget(config.get().server().bodyMemoryBudgetBytes()));
    }

    /** Without per-tool keys: other tools' routes then accept no key at all. */
    RelayRoutes(Supplier<RelayConfig> config, RequestGuard guard, AccountPool pool, ResponsesForwarder forwarder,
                UsageEndpoint usage, BooleanSupplier stopping, WebSocketDoor sockets, BodyBudget bodies) {
        this(config, guard, pool, forwarder, usage, stopping, sockets, bodies, new ClientKeys(null));
    }

    RelayRoutes(Supplier<RelayConfig> config, RequestGuard guard, AccountPool pool, ResponsesForwarder forwarder,
                UsageEndpoint usage, BooleanSupplier stopping, WebSocketDoor sockets, BodyBudget bodies, ClientKeys clientKeys) {
        this.sockets = sockets;
        this.bodies = bodies;
        this.clientKeys = clientKeys;
        this.config = config;
        this.guard = guard;
        this.pool = pool;
        this.forwarder = forwarder;
        this.usage = usage;
        this.stopping = stopping;
    }

    /** The handler tree: the guard in front of the mounted handlers, then the relay's own routes. */
    Handler handler(List<Handler> mounted) {
        List<Handler> children = new java.util.ArrayList<>(mounted);
        children.add(new Routes());
        return new Guard(new Handler.Sequence(children));
    }

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

    /** The relay's own routes; never blocks. */
    private final class Routes extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String path = request.getHttpURI().getPath();
            String method = request.getMethod();
            if ("/healthz".equals(path)) {
                if (!method.equals("GET") && !method.equals("HEAD")) return notAllowed(request, response, callback, "GET");
                health(response, callback);
            } else if (RESPONSES_PATHS.contains(path) && sockets != null && WebSocketDoor.isUpgrade(request)) {
                upgrade(request, response, callback, path);
            } else if (RESPONSES_PATHS.contains(path)) {
                if (!method.equals("POST")) return notAllowed(request, response, callback, "POST");
                proxy(request, response, callback, Route.RESPONSES, path);
            } else if (CHAT_PATHS.contains(path) || MESSAGES_PATHS.contains(path) || COUNT_TOKENS_PATHS.contains(path)) {
                if (!method.equals("POST")) return notAllowed(request, response, callback, "POST");
                foreign(request, response, callback, path);
            } else if (MODELS_PATHS.contains(path)) {
                if (!method.equals("GET")) return notAllowed(request, response, callback, "GET");
                // Codex asks with its provider's static header; any other tool gets the relay's own list with aliases
                if (request.getHeaders().get(io.codexrelay.config.ClientKey.HEADER) == null) toolModels(request, response, callback);
                else proxy(request, response, callback, Route.MODELS, path);
            } else if (UsageEndpoint.PATHS.contains(path)) {
                if (!method.equals("GET")) return notAllowed(request, response, callback, "GET");
                usage.answer(response, callback);
            } else {
                refuse(request, response, callback, 404, "relay_not_found", "codex-relay has no route " + path + ". It serves "
                        + "POST /v1/responses, POST /v1/chat/completions, POST /v1/messages, GET /v1/models and GET /healthz.");
            }
            return true;
        }
    }

    private boolean notAllowed(Request request, Response response, Callback callback, String allowed) {
        response.getHeaders().put(HttpHeader.ALLOW, allowed);
        String method = request.getMethod();
        // The JSON body escapes what it must; this keeps a garbled method from putting odd bytes in a tool's output.
        String said = method.length() <= 16 && method.chars().allMatch(c -> c > 32 && c < 127) ? method : "(not a plain method)";
        refuse(request, response, callback, 405, "relay_method_not_allowed", "Use " + allowed + " on " + request.getHttpURI().getPath()
                + " (this request came as " + said + ").");
        return true;
    }

    /**
     * A JSON error, sent once what is left of the request body has been read and dropped. Answering a client that is
     * still sending makes Jetty close the connection with the body unread, and the client may then see a reset instead
     * of the answer (Codex would print a connection error, not what to do). Past {@link #drainLimit()} bytes the answer
     * goes at once.
     */
    private void refuse(Request request, Response response, Callback callback, int status, String type, String message) {
        RequestBody.drop(request, drainLimit(), () -> RelayErrors.write(response, status, type, message, callback));
    }

    /** How much of a refused request's body is read and dropped before answering. */
    private long drainLimit() {
        return Math.max(DRAIN_MIN_BYTES, 2 * config.get().server().maxBodyBytes());
    }

    private void health(Response response, Callback callback) {
        String json = "{\"status\":\"ok\",\"service\":\"codex-relay\",\"paused\":" + pool.paused()
                + ",\"can_serve\":" + (pool.serving() != null) + ",\"in_flight\":" + forwarder.inFlight() + "}";
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
        if (stopping.getAsBoolean()) {
            refuse(request, response, callback, 503, "relay_stopping", "codex-relay is stopping; start it again and retry.");
            return;
        }
        if (pool.paused()) {
            // Final for Codex (no five retries before the message): RelayErrors.writeFinal.
            RequestBody.drop(request, drainLimit(), () -> RelayErrors.writeFinal(request.getHeaders(), response, 503,
                    "relay_paused", "codex-relay is paused, so it does not forward requests. Resume with "
                            + "`codex-relay resume` or untick Pause in the tray menu.", callback));
            return;
        }
        if (route == Route.MODELS) {
            start(request, response, callback, route, path, new byte[0], ResponsesForwarder.Incoming.NOTHING_HELD);
            return;
        }
        long max = config.get().server().maxBodyBytes();
        long declared = request.getLength(); // only to refuse at once: memory follows the bytes that arrive
        if (declared > max) {
            tooLarge(request, response, callback);
            return;
        }
        // A body that stops arriving is not waited for as long as a quiet answer stream: a shorter idle timeout
        // while it is read (a client dripping bytes still ends at server.max_body_mb or at the timeout per byte).
        // Only once the read has to wait: most bodies come with their headers, and changing the timeout reschedules
        // the connection's idle timer twice.
        org.eclipse.jetty.io.EndPoint ep = request.getConnectionMetaData().getConnection().getEndPoint();
        long normalIdle = ep.getIdleTimeout();
        long bodyIdle = config.get().server().bodyTimeout().toMillis();
        java.util.concurrent.atomic.AtomicBoolean shortened = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable shorten = () -> {
            shortened.set(true);
            ep.setIdleTimeout(Math.min(normalIdle, bodyIdle));
        };
        Runnable restore = () -> {
            if (shortened.get()) ep.setIdleTimeout(normalIdle);
        };
        RequestBody.keep(request, max, bodies, shorten,
                body -> {
                    restore.run();
                    HeldBody held = new HeldBody(body.length);
                    start(request, response, releasing(callback, held), route, path, body, held);
                },
                () -> tooLarge(request, response, callback), () -> noBodyMemory(request, response, callback),
                x -> {
                    restore.run();
                    if (isTimeout(x)) {
                        log.info("Refused a request whose body stopped arriving for server.body_timeout_ms = {} ms", bodyIdle);
                        RelayErrors.write(response, 408, "relay_body_timeout", "The request body stopped arriving for "
                                + "server.body_timeout_ms = " + bodyIdle + " ms, so codex-relay gave up on it. Retry; raise "
                                + "server.body_timeout_ms in ~/.codex-relay/config.toml if the network is that slow.", callback);
                    } else {
                        callback.failed(x);
                    }
                });
    }

    private static boolean isTimeout(Throwable x) {
        for (Throwable c = x; c != null; c = c.getCause()) if (c instanceof java.util.concurrent.TimeoutException) return true;
        return false;
    }

    /**
     * A kept body's bytes in the budget, given back once: when its answer commits (the turn lets the body go then: no
     * attempt follows) or when the request ends without one, whichever comes first.
     */
    private final class HeldBody implements Runnable {
        private final java.util.concurrent.atomic.AtomicBoolean given = new java.util.concurrent.atomic.AtomicBoolean();
        private final long bytes;

        HeldBody(long bytes) { this.bytes = bytes; }

        @Override public void run() {
            if (given.compareAndSet(false, true)) bodies.release(bytes);
        }
    }

    /** The request's callback that also gives the kept body's bytes back to the budget when the request ends. */
    private static Callback releasing(Callback callback, HeldBody held) {
        return new Callback() {
            @Override public void succeeded() { held.run(); callback.succeeded(); }
            @Override public void failed(Throwable x) { held.run(); callback.failed(x); }
            @Override public InvocationType getInvocationType() { return callback.getInvocationType(); }
        };
    }

    private void noBodyMemory(Request request, Response response, Callback callback) {
        refuse(request, response, callback, 503, "relay_body_memory_full", "codex-relay is holding "
                + (bodies.inUse() >> 20) + " MiB of other request bodies, its server.body_memory_budget_mb = "
                + (bodies.limit() >> 20) + " MiB, so it cannot take this one now. Retry in a moment, or raise "
                + "server.body_memory_budget_mb in ~/.codex-relay/config.toml (keep it well below the daemon's heap).");
    }

    /**
     * Another tool's request (Chat Completions, Anthropic Messages, count_tokens): the tool's key (Bearer or
     * {@code x-api-key}), the same stopping/paused/size rules as Codex, refusals in the tool's own error shape, then
     * the forwarder with the dialect that converts the request and the answer.
     */
    private void foreign(Request request, Response response, Callback clientCallback, String path) {
        Callback callback = clientCallback;
        RelayConfig cfg = config.get();
        ClientModels models = ClientModels.of(cfg);
        ForeignDialect dialect = CHAT_PATHS.contains(path)
                ? new ChatCompletionsDialect(models, !Boolean.FALSE.equals(cfg.values().get("clients.reasoning_content")), forwarder.clock)
                : new AnthropicDialect(models, forwarder.clock);
        RequestGuard.Refusal r = null;
        if (stopping.getAsBoolean()) r = new RequestGuard.Refusal(503, "relay_stopping",
                "codex-relay is stopping; start it again and retry.");
        else if (pool.paused()) r = new RequestGuard.Refusal(503, "relay_paused", "codex-relay is paused, so it "
                + "does not forward requests. Resume with `codex-relay resume` or untick Pause in the tray menu.");
        ClientKeys.Admission admission = clientKeys.admit(RequestGuard.toolKeyOf(request.getHeaders()::get), forwarder.clock.millis(),
                !RequestGuard.isLoopbackPeer(Request.getRemoteAddr(request)));
        if (admission instanceof ClientKeys.Refused refused) r = refused.refusal();
        if (r != null) {
            if (admission instanceof ClientKeys.Admitted a) a.release().run();
            refuseIn(dialect, request, response, callback, r.status(), r.type(), r.message());
            return;
        }
        // the key's concurrency slot is held until the answer has ended, whatever way it ends
        ClientKeys.Admitted admitted = (ClientKeys.Admitted) admission;
        Runnable release = admitted.release();
        Callback held = new Callback.Nested(callback) {
            @Override public void succeeded() { release.run(); super.succeeded(); }
            @Override public void failed(Throwable x) { release.run(); super.failed(x); }
        };
        admitted(dialect, cfg, request, response, held, path, admitted.key());
    }

    private void admitted(ForeignDialect dialect, RelayConfig cfg, Request request, Response response, Callback callback,
                          String path, ClientKeys.Key client) {
        long max = cfg.server().maxBodyBytes();
        long declared = request.getLength();
        Runnable tooLarge = () -> refuseIn(dialect, request, response, callback, 413, "relay_body_too_large",
                "The request body is larger than server.max_body_mb = " + cfg.server().maxBodyMb() + " MiB. Raise "
                        + "server.max_body_mb in ~/.codex-relay/config.toml, or start a new conversation.");
        if (declared > max) {
            tooLarge.run();
            return;
        }
        if (COUNT_TOKENS_PATHS.contains(path)) {
            RequestBody.keep(request, max, bodies, body -> {
                        bodies.release(body.length);
                        countTokens(dialect, request, response, callback, body);
                    }, tooLarge, () -> noBodyMemory(request, response, callback), callback::failed);
            return;
        }
        RequestBody.keep(request, max, bodies, body -> {
                    HeldBody held = new HeldBody(body.length);
                    start(request, response, releasing(callback, held), Route.RESPONSES, path, body, dialect, client, held);
                }, tooLarge, () -> noBodyMemory(request, response, callback), callback::failed);
    }

    /** Claude Code's {@code count_tokens}: answered here with an estimate ({@link io.codexrelay.convert.TokenEstimator}). */
    private void countTokens(ForeignDialect dialect, Request request, Response response, Callback callback, byte[] body) {
        String json;
        try {
            json = io.codexrelay.convert.TokenEstimator.countTokens(ForeignDialect.parse(body)).toString();
        } catch (io.codexrelay.convert.ConversionException e) {
            ConvertingSink.Reply reply = dialect.refusal(400, RelayErrors.body("invalid_request_error", e.getMessage()));
            RelayErrors.write(response, reply.status(), reply.json(), callback);
            return;
        }
        RelayErrors.write(response, 200, json, callback);
    }

    /** {@code GET /v1/models} for other tools: the pool's models and the aliases the rules map ({@link ClientModels}). */
    private void toolModels(Request request, Response response, Callback callback) {
        ClientKeys.Admission admission = clientKeys.admit(RequestGuard.toolKeyOf(request.getHeaders()::get), forwarder.clock.millis());
        if (admission instanceof ClientKeys.Refused refused) {
            RequestGuard.Refusal r = refused.refusal();
            refuse(request, response, callback, r.status(), r.type(), r.message());
            return;
        }
        ((ClientKeys.Admitted) admission).release().run();
        RelayErrors.write(response, 200, ClientModels.of(config.get()).listJson(RelayErrors.JSON), callback);
    }

    /** A refusal in the tool's own error shape, sent once the rest of the body was dropped. */
    private void refuseIn(ForeignDialect dialect, Request request, Response response, Callback callback, int status,
                          String type, String message) {
        ConvertingSink.Reply reply = dialect.refusal(status, RelayErrors.body(type, message));
        RequestBody.drop(request, drainLimit(), () -> RelayErrors.write(response, reply.status(), reply.json(), callback));
    }

    /**
     * A WebSocket upgrade on a Responses path: guarded like a POST (the source checks already ran; the client key is
     * on the upgrade request too). While stopping or paused the upgrade gets a 426, so Codex falls back to HTTP at once
     * and hears the reason there.
     */
    private void upgrade(Request request, Response response, Callback callback, String path) {
        RequestGuard.Refusal r = guard.checkKey(request);
        if (r != null) {
            refuse(request, response, callback, r.status(), r.type(), r.message());
            return;
        }
        String off = stopping.getAsBoolean() ? "the relay is stopping" : pool.paused() ? "the relay is paused" : null;
        sockets.upgrade(request, response, callback, path, off);
    }

    private void tooLarge(Request request, Response response, Callback callback) {
        refuse(request, response, callback, 413, "relay_body_too_large", "The request body is larger than server.max_body_mb = "
                + config.get().server().maxBodyMb() + " MiB. Raise server.max_body_mb in ~/.codex-relay/config.toml if this "
                + "conversation really is that long, or start a new one.");
    }

    private void start(Request request, Response response, Callback callback, Route route, String path, byte[] body,
                       Runnable bodyDone) {
        start(request, response, callback, route, path, body, InboundDialect.RESPONSES, clientKeys.forCodex(request.getHeaders()),
                bodyDone);
    }

    /**
     * Hands a request to the forwarder in the canonical form: {@code dialect} converts the body (and later the answer);
     * the thread key and model are read from the canonical body, so they mean the same for every dialect.
     */
    private void start(Request request, Response response, Callback callback, Route route, String path, byte[] body,
                       InboundDialect dialect, ClientKeys.Key client, Runnable bodyDone) {
        byte[] canonical;
        try {
            canonical = dialect.toCanonical(body);
        } catch (io.codexrelay.convert.ConversionException e) {
            dialect.answerTo(new HttpClientSink(request, response)).writeJson(400,
                    RelayErrors.body("invalid_request_error", e.getMessage()), callback);
            return;
        }
        HttpFields headers = dialect.upstreamHeaders(request.getHeaders());
        // The conversation: session-id / thread-id header, else the body's prompt_cache_key (thread affinity's key).
        String session = threadKey(headers::get, canonical);
        String model = route == Route.RESPONSES ? modelOf(canonical) : null;
        forwarder.forward(new ResponsesForwarder.Incoming(route, path, request.getHttpURI().getQuery(), headers,
                canonical, model, session, client, bodyDone), dialect.answerTo(new HttpClientSink(request, response)), callback);
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
}
