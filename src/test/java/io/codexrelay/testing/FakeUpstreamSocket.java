package io.codexrelay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The WebSocket side of {@link FakeUpstream}: Responses over WebSocket as Codex speaks it (see
 * {@code shared/reference/codex-websocket.md} and {@code docs/websocket.md}).
 *
 * <p>The upgrade is accepted on every path ending in {@code /responses} ({@code /backend-api/codex/responses} for
 * ChatGPT accounts, {@code /v1/responses} for API keys). Each text frame is one {@code response.create}; the fake
 * answers with events as JSON text frames:
 * <ul>
 *   <li>{@code generate:false} (Codex's prewarm): {@code response.created} + {@code response.completed}, no output;</li>
 *   <li>with {@code previous_response_id} that this connection never issued (anchors live per socket and per
 *       bearer token, as upstream keeps them for {@code store:false}): the {@link #anchorMissFrame anchor-miss}
 *       error frame, unless a scripted reply says otherwise;</li>
 *   <li>otherwise the next scripted {@link Reply} for the bearer token, else a plain success; every answer that
 *       starts a response is preceded by a {@code codex.rate_limits} event unless {@link #setRateLimitsEvents} turned
 *       them off.</li>
 * </ul>
 * Handshakes can be refused on demand ({@link #refuseUpgrades}, e.g. 426). Everything that arrived is recorded:
 * {@link #handshakes()} (headers incl. {@code Authorization}) and {@link FakeUpstream#responsesRequests()} (each
 * request body, over WebSocket or HTTP).
 */
public final class FakeUpstreamSocket {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One upgrade request. {@code status} is what the fake answered (101 or a refusal). */
    public record Handshake(int connection, String path, String query, Map<String, String> headers, String token, int status,
                            long arrivedNanos) {
        public String header(String name) { return headers.get(name.toLowerCase()); }
    }

    /** How a socket ended: who closed it ({@code byClient}) with which code, and when. */
    public record Closed(int connection, int code, String reason, boolean byClient, long closedNanos) {}

    /** How the fake answers one {@code response.create} on a socket. Build with the static factories. */
    public sealed interface Reply {}

    /**
     * Sends {@code events} (JSON objects, one text frame each), {@code gapMillis} apart; then, if {@code closeCode} is
     * not 0, closes the socket with that code ({@code -1}: drops the TCP connection without a close frame). {@link #NEW_ID}
     * in an event becomes a fresh response id, valid as an anchor on this socket.
     */
    public record Frames(List<String> events, long gapMillis, int closeCode) implements Reply {}

    /** Says nothing for {@code millis} (the socket stays open), then nothing more: the client's idle timeout decides. */
    public record Silence(long millis) implements Reply {}

    /** A refusal of the upgrade itself. */
    public record Refusal(int status, Map<String, String> headers, String body) {}

    private final FakeUpstream upstream;
    private final ServerWebSocketContainer container;
    private final Executor executor;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger responseIds = new AtomicInteger();
    private final List<Handshake> handshakes = new CopyOnWriteArrayList<>();
    private final List<Closed> closes = new CopyOnWriteArrayList<>();
    private final Map<String, Queue<Reply>> scripts = new ConcurrentHashMap<>();
    private final Map<String, Queue<Reply>> prewarmScripts = new ConcurrentHashMap<>();
    private final Queue<Refusal> refusals = new ConcurrentLinkedQueue<>();
    private final Map<String, String> rateLimitsByToken = new ConcurrentHashMap<>();
    private final Set<Session> open = ConcurrentHashMap.newKeySet();
    private volatile boolean rateLimitsEvents = true;
    private volatile String defaultText = "Hello from the fake upstream over WebSocket.";
    private volatile Map<String, String> acceptHeaders = Map.of();

    FakeUpstreamSocket(FakeUpstream upstream, Server server) {
        this.upstream = upstream;
        this.container = ServerWebSocketContainer.ensure(server);
        this.executor = server.getThreadPool();
        // Codex sets no limit of its own (tungstenite's 64 MiB); a long history is one big frame.
        container.setMaxTextMessageSize(64L << 20);
        container.setIdleTimeout(Duration.ofMinutes(10));
    }

    // ---- scripting ---------------------------------------------------------------------------------------------

    /** The next upgrades (any token) are refused with {@code status}, {@code times} times; e.g. 426 Upgrade Required. */
    public FakeUpstreamSocket refuseUpgrades(int status, int times) {
        for (int i = 0; i < times; i++) {
            refusals.add(new Refusal(status, Map.of(), "{\"error\":{\"message\":\"fake upstream refuses the WebSocket upgrade\",\"code\":\"websocket_refused\"}}"));
        }
        return this;
    }

    /** Headers the fake adds to every 101 (e.g. {@code x-codex-turn-state}, {@code openai-model}). */
    public FakeUpstreamSocket setAcceptHeaders(Map<String, String> headers) { this.acceptHeaders = Map.copyOf(headers); return this; }

    /** The next {@code response.create} frames (not prewarms) with bearer {@code token} get these replies, in order. */
    public FakeUpstreamSocket enqueue(String token, Reply... replies) {
        scripts.computeIfAbsent(token == null ? "" : token, t -> new ConcurrentLinkedQueue<>()).addAll(List.of(replies));
        return this;
    }

    /**
     * The next {@code generate:false} prewarms with bearer {@code token} get these replies instead of the default
     * created + completed (e.g. {@link #prewarmThenClose} to drop the socket while Codex holds it idle).
     */
    public FakeUpstreamSocket enqueuePrewarm(String token, Reply... replies) {
        prewarmScripts.computeIfAbsent(token == null ? "" : token, t -> new ConcurrentLinkedQueue<>()).addAll(List.of(replies));
        return this;
    }

    /** The assistant text of the default success. */
    public FakeUpstreamSocket setDefaultText(String text) { this.defaultText = text; return this; }

    /** Whether each response is preceded by a {@code codex.rate_limits} event (default on). */
    public FakeUpstreamSocket setRateLimitsEvents(boolean on) { this.rateLimitsEvents = on; return this; }

    /** The {@code codex.rate_limits} event sent to {@code token} (else {@link #rateLimitsEvent(double, double, long, long)} at 10 % / 5 %). */
    public FakeUpstreamSocket setRateLimits(String token, String eventJson) { rateLimitsByToken.put(token, eventJson); return this; }

    void reset() {
        handshakes.clear();
        closes.clear();
        scripts.clear();
        prewarmScripts.clear();
        refusals.clear();
        rateLimitsByToken.clear();
    }

    // ---- what happened -----------------------------------------------------------------------------------------

    public List<Handshake> handshakes() { return Collections.unmodifiableList(handshakes); }

    /** Handshakes the fake accepted (101). */
    public List<Handshake> acceptedHandshakes() { return handshakes.stream().filter(h -> h.status() == 101).toList(); }

    public List<Closed> closes() { return Collections.unmodifiableList(closes); }

    /** Sockets open right now. */
    public int openSockets() { return open.size(); }

    // ---- reply factories ---------------------------------------------------------------------------------------

    /** A complete answer saying {@code text}: created, in_progress, item added, delta, item done, completed with usage. */
    public static Frames success(String text) { return new Frames(successEvents(NEW_ID, text), 0, 0); }

    /** Like {@link #success} with {@code deltas} text deltas {@code gapMillis} apart. */
    public static Frames slowSuccess(String text, int deltas, long gapMillis) {
        List<String> ev = new ArrayList<>(successEvents(NEW_ID, text));
        List<String> d = new ArrayList<>();
        for (int i = 0; i < deltas; i++) d.add(textDelta("d" + i + " "));
        ev.addAll(3, d);
        return new Frames(ev, gapMillis, 0);
    }

    /** Like {@link #slowSuccess}, with every event stamped as it is written (see {@link FakeUpstream#stampedSuccess}). */
    public static Frames stampedSuccess(String text, int deltas, long gapMillis) {
        List<String> ev = new ArrayList<>();
        for (String e : slowSuccess(text, deltas, gapMillis).events()) {
            ev.add(e.replaceFirst("\\{\"type\":", "{\"sent_ns\":" + java.util.regex.Matcher.quoteReplacement(FakeUpstream.SENT_NANOS) + ",\"type\":"));
        }
        return new Frames(ev, gapMillis, 0);
    }

    /** Some output (created, a delta), then the socket is closed with {@code closeCode} ({@code -1}: TCP dropped). */
    public static Frames closeMidStream(int closeCode) {
        return new Frames(List.of(created(NEW_ID), successEvents(NEW_ID, "").get(2), textDelta("partial ")), 0, closeCode);
    }

    /** The socket is closed with {@code closeCode} before any event ({@code -1}: TCP dropped). */
    public static Frames closeAtOnce(int closeCode) { return new Frames(List.of(), 0, closeCode); }

    /** One error frame: {@code {"type":"error","status":S,"error":{type,code,message}}}; {@code status} null leaves it out. */
    public static Frames errorFrame(Integer status, String type, String code, String message) {
        return new Frames(List.of(errorJson(status, type, code, message, null)), 0, 0);
    }

    /** The 429 {@code usage_limit_reached} error frame ChatGPT sends, with the {@code x-codex-*} quota headers. */
    public static Frames usageLimitFrame(long resetsAtEpochSeconds) {
        Map<String, String> h = FakeUpstream.quotaHeaders(100, 40, resetsAtEpochSeconds, resetsAtEpochSeconds + 86_400);
        return new Frames(List.of(errorJson(429, "usage_limit_reached", "usage_limit_reached", "The usage limit has been reached", h)), 0, 0);
    }

    /** What OpenAI answers an anchor it does not hold (400 {@code previous_response_not_found}). */
    public static String anchorMissFrame(String previousResponseId) {
        return errorJson(400, "invalid_request_error", "previous_response_not_found",
                "Previous response with id '" + previousResponseId + "' not found.", null).replace("}}", ",\"param\":\"previous_response_id\"}}");
    }

    /** A reply made of an anchor miss for the given id. */
    public static Frames anchorMiss(String previousResponseId) { return new Frames(List.of(anchorMissFrame(previousResponseId)), 0, 0); }

    public static Silence silence(long millis) { return new Silence(millis); }

    /** A normal prewarm answer (created + completed, no output), then the socket is closed with {@code closeCode}. */
    public static Frames prewarmThenClose(int closeCode) {
        return new Frames(List.of(created(NEW_ID), completed(NEW_ID, List.of())), 0, closeCode);
    }

    /** A {@code codex.rate_limits} event (used percentages, reset times in epoch seconds). */
    public static String rateLimitsEvent(double primaryUsed, double secondaryUsed, long primaryReset, long secondaryReset) {
        return "{\"type\":\"codex.rate_limits\",\"plan_type\":\"plus\",\"rate_limits\":{\"allowed\":" + (primaryUsed < 100 && secondaryUsed < 100)
                + ",\"limit_reached\":" + (primaryUsed >= 100 || secondaryUsed >= 100)
                + ",\"primary\":{\"used_percent\":" + primaryUsed + ",\"window_minutes\":300,\"reset_at\":" + primaryReset + "},"
                + "\"secondary\":{\"used_percent\":" + secondaryUsed + ",\"window_minutes\":10080,\"reset_at\":" + secondaryReset + "}},"
                + "\"credits\":{\"has_credits\":false,\"unlimited\":false,\"balance\":\"0\"},\"metered_limit_name\":\"codex\"}";
    }

    /** Placeholder for a response id the fake mints when it sends the reply (so each reply is a new, valid anchor). */
    public static final String NEW_ID = "__new_response_id__";

    public static String created(String id) {
        return "{\"type\":\"response.created\",\"response\":{\"id\":\"" + id + "\",\"status\":\"in_progress\"}}";
    }

    public static String textDelta(String text) {
        return "{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":" + FakeUpstream.quote(text) + "}";
    }

    /** The events of a complete answer (the same JSON objects the HTTP stream carries in {@code data:}). */
    public static List<String> successEvents(String id, String text) {
        List<String> ev = new ArrayList<>();
        ev.add(created(id));
        ev.add("{\"type\":\"response.in_progress\",\"response\":{\"id\":\"" + id + "\",\"status\":\"in_progress\"}}");
        ev.add("{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"type\":\"message\",\"role\":\"assistant\",\"id\":\"msg_1\",\"status\":\"in_progress\",\"content\":[]}}");
        ev.add(textDelta(text));
        ev.add("{\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"type\":\"message\",\"role\":\"assistant\",\"id\":\"msg_1\",\"status\":\"completed\",\"content\":[{\"type\":\"output_text\",\"text\":" + FakeUpstream.quote(text) + ",\"annotations\":[]}]}}");
        ev.add(completed(id, List.of()));
        return ev;
    }

    private static String completed(String id, List<String> output) {
        return "{\"type\":\"response.completed\",\"response\":{\"id\":\"" + id + "\",\"status\":\"completed\",\"output\":[" + String.join(",", output)
                + "],\"usage\":{\"input_tokens\":12,\"input_tokens_details\":{\"cached_tokens\":2},\"output_tokens\":3,\"output_tokens_details\":{\"reasoning_tokens\":1},\"total_tokens\":15}}}";
    }

    private static String errorJson(Integer status, String type, String code, String message, Map<String, String> headers) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "error");
        if (status != null) n.put("status", status);
        ObjectNode e = n.putObject("error");
        e.put("type", type);
        e.put("code", code);
        e.put("message", message);
        if (headers != null) {
            ObjectNode h = n.putObject("headers");
            headers.forEach(h::put);
        }
        return n.toString();
    }

    // ---- serving -----------------------------------------------------------------------------------------------

    /** Whether {@code request} is a WebSocket upgrade this class serves. */
    static boolean isUpgrade(Request request) {
        String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
        return upgrade != null && upgrade.equalsIgnoreCase("websocket") && request.getHttpURI().getPath().endsWith("/responses");
    }

    /** Answers one upgrade request: a scripted refusal, or 101 and a socket. */
    void upgrade(Request request, Response response, Callback callback) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (HttpField f : request.getHeaders()) headers.merge(f.getLowerCaseName(), f.getValue(), (a, b) -> a + ", " + b);
        String token = FakeUpstream.bearer(headers.get("authorization"));
        int connection = connections.incrementAndGet();
        String path = request.getHttpURI().getPath();
        Refusal refusal = refusals.poll();
        if (refusal != null) {
            handshakes.add(new Handshake(connection, path, request.getHttpURI().getQuery(), headers, token, refusal.status(), System.nanoTime()));
            response.setStatus(refusal.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            refusal.headers().forEach((k, v) -> response.getHeaders().put(k, v));
            Content.Sink.write(response, true, refusal.body(), callback);
            return;
        }
        handshakes.add(new Handshake(connection, path, request.getHttpURI().getQuery(), headers, token, 101, System.nanoTime()));
        boolean upgraded = container.upgrade((rq, rs, cb) -> {
            acceptHeaders.forEach((k, v) -> rs.getHeaders().put(k, v));
            return new Endpoint(connection, path, headers, token);
        }, request, response, callback);
        if (!upgraded) {
            Response.writeError(request, response, callback, 400, "fake upstream: not a valid WebSocket upgrade");
        }
    }

    /** One accepted socket. Requests on it are answered one at a time, in order, off the reading thread. */
    // Public because Jetty binds the listener methods through method handles.
    public final class Endpoint implements Session.Listener.AutoDemanding {
        private final int connection;
        private final String path;
        private final Map<String, String> headers;
        private final String token;
        private final Set<String> anchors = ConcurrentHashMap.newKeySet();
        // Requests on one socket are answered in order, on the server's pool (no thread per idle socket).
        private final Queue<Runnable> pending = new ConcurrentLinkedQueue<>();
        private final java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile Session session;
        private volatile boolean closedByServer;

        Endpoint(int connection, String path, Map<String, String> headers, String token) {
            this.connection = connection;
            this.path = path;
            this.headers = headers;
            this.token = token;
        }

        @Override public void onWebSocketOpen(Session session) {
            this.session = session;
            open.add(session);
        }

        @Override public void onWebSocketText(String text) {
            upstream.recordSocketRequest(connection, path, headers, token, text.getBytes(StandardCharsets.UTF_8));
            pending.add(() -> answer(text));
            drain();
        }

        @Override public void onWebSocketClose(int statusCode, String reason) {
            if (session != null) open.remove(session);
            closes.add(new Closed(connection, statusCode, reason, !closedByServer, System.nanoTime()));
            pending.clear();
        }

        @Override public void onWebSocketError(Throwable cause) {
            if (session != null) open.remove(session);
        }

        private void answer(String text) {
            try {
                JsonNode req = JSON.readTree(text);
                if (!"response.create".equals(req.path("type").asText())) return; // response.processed etc.: fire and forget
                String previous = req.path("previous_response_id").asText(null);
                boolean prewarm = req.has("generate") && !req.get("generate").asBoolean(true);
                Queue<Reply> q = (prewarm ? prewarmScripts : scripts).get(token == null ? "" : token);
                Reply reply = q == null ? null : q.poll();
                if (reply == null && prewarm) {
                    String id = mint();
                    send(created(id));
                    send(completed(id, List.of()));
                    return;
                }
                if (reply == null) {
                    if (previous != null && !anchors.contains(previous)) {
                        send(anchorMissFrame(previous));
                        return;
                    }
                    reply = success(defaultText);
                }
                if (reply instanceof Silence s) {
                    Thread.sleep(s.millis());
                    return;
                }
                Frames f = (Frames) reply;
                String id = null;
                for (int i = 0; i < f.events().size(); i++) {
                    String ev = f.events().get(i);
                    if (ev.contains(NEW_ID)) {
                        if (id == null) id = mint();
                        ev = ev.replace(NEW_ID, id);
                    }
                    if (i == 0 && rateLimitsEvents && !prewarm && ev.contains("\"response.created\"")) {
                        send(rateLimitsByToken.getOrDefault(token == null ? "" : token, rateLimitsEvent(10, 5, 1_900_000_000L, 1_900_500_000L)));
                    }
                    if (i > 0 && f.gapMillis() > 0) Thread.sleep(f.gapMillis());
                    send(ev);
                }
                if (f.closeCode() == -1) {
                    closedByServer = true;
                    session.disconnect();
                } else if (f.closeCode() != 0) {
                    closedByServer = true;
                    session.close(f.closeCode(), "fake upstream closes", org.eclipse.jetty.websocket.api.Callback.NOOP);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                // The client went away mid-answer: nothing to do, the close is recorded by onWebSocketClose.
            }
        }

        private void drain() {
            if (!draining.compareAndSet(false, true)) return;
            executor.execute(() -> {
                try {
                    for (Runnable r; (r = pending.poll()) != null; ) r.run();
                } finally {
                    draining.set(false);
                    if (!pending.isEmpty()) drain();
                }
            });
        }

        private String mint() {
            String id = "resp_ws_" + responseIds.incrementAndGet();
            anchors.add(id);
            return id;
        }

        private void send(String json) throws Exception {
            // Stamped events (FakeUpstream.SENT_NANOS) carry the moment they are written: the forwarding-delay benchmark.
            if (json.contains(FakeUpstream.SENT_NANOS)) json = json.replace(FakeUpstream.SENT_NANOS, Long.toString(System.nanoTime()));
            org.eclipse.jetty.websocket.api.Callback.Completable done = new org.eclipse.jetty.websocket.api.Callback.Completable();
            session.sendText(json, done);
            done.get(30, TimeUnit.SECONDS);
        }
    }
}
