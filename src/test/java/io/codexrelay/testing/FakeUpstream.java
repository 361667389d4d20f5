package io.codexrelay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process upstream that speaks the protocol of codex-wire.md: Responses SSE, {@code x-codex-*} quota headers,
 * 429 {@code usage_limit_reached} bodies, 5xx, early {@code response.failed}, slow streams, {@code /wham/usage},
 * {@code /models} and the OAuth endpoints (token; authorize as a stand-in for the user's browser sign-in). Behaviour is scripted per bearer token: {@link #enqueue} replies for
 * the next requests carrying that token, else {@link #setDefault} (a plain success).
 *
 * <p>Paths served: {@code /backend-api/codex/responses} (ChatGPT accounts), {@code /v1/responses} (API keys),
 * {@code /backend-api/codex/models}, {@code /v1/models}, {@code /backend-api/wham/usage}, {@code /oauth/token}.
 * Use {@link #chatgptBaseUrl()}, {@link #apiBaseUrl()} and {@link #issuerUrl()} for the relay's config.
 *
 * <p>Both Responses paths also accept a WebSocket upgrade (Responses over WebSocket, as Codex speaks it): script and
 * inspect it through {@link #socket()}. {@link #responsesRequests()} lists every Responses request body that arrived,
 * over HTTP or over a socket.
 */
public final class FakeUpstream implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request the fake received. {@code token} is the bearer token (null if none). */
    public record Received(String method, String path, String query, Map<String, String> headers, byte[] body, String token,
                           long arrivedNanos) {
        public String header(String name) { return headers.get(name.toLowerCase()); }
        public String bodyText() { return new String(body, StandardCharsets.UTF_8); }
        public JsonNode json() {
            try { return JSON.readTree(body); } catch (Exception e) { throw new IllegalStateException(e); }
        }
    }

    /** How a Responses request reached the fake. */
    public enum Transport { HTTP, WEBSOCKET }

    /**
     * One Responses request: an HTTP {@code POST .../responses}, or one {@code response.create} (or other) text frame
     * on a socket. {@code connection} numbers the socket (as in {@link FakeUpstreamSocket.Handshake}), 0 for HTTP;
     * {@code headers} are the POST's headers, or the upgrade request's for a frame.
     */
    public record ResponsesRequest(Transport transport, int connection, String path, Map<String, String> headers, String token,
                                   byte[] body, long arrivedNanos) {
        public String header(String name) { return headers.get(name.toLowerCase()); }
        public String bodyText() { return new String(body, StandardCharsets.UTF_8); }
        public JsonNode json() {
            try { return JSON.readTree(body); } catch (Exception e) { throw new IllegalStateException(e); }
        }
        /** The anchor the request builds on, or null for a full request. */
        public String previousResponseId() { return json().path("previous_response_id").asText(null); }
        /** A {@code generate:false} warm-up that asks for no output. */
        public boolean prewarm() { return json().has("generate") && !json().get("generate").asBoolean(true); }
    }

    /** How the fake answers one request. Build with the static factories. */
    public sealed interface Reply {}

    /** A 200 SSE stream: each event's JSON sent as {@code event:}/{@code data:}, {@code gapMillis} apart. */
    public record Sse(Map<String, String> headers, List<String> events, long gapMillis, boolean closeWithoutCompleted) implements Reply {}

    /** A plain answer with a status, headers and a body. */
    public record Plain(int status, Map<String, String> headers, String contentType, String body, long delayMillis) implements Reply {}

    /** Sends {@code head}'s events (200), then goes silent for {@code millis} with the stream open, then ends it. */
    public record Stall(Sse head, long millis) implements Reply {}

    /** Never answers (until the client gives up or the fake stops). */
    public record Hang(long millis) implements Reply {}

    /** The connection is closed once the request has arrived, with no answer (a kept-alive connection gone stale). */
    public record Drop() implements Reply {}

    private final Server server;
    private final ServerConnector connector;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<ResponsesRequest> responsesRequests = new CopyOnWriteArrayList<>();
    private final FakeUpstreamSocket socket;
    private final FakeProviders providers = new FakeProviders();
    private final Map<String, Queue<Reply>> scripts = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> peakInFlight = new ConcurrentHashMap<>();
    private final Map<String, String> usageJson = new ConcurrentHashMap<>();
    private final Queue<Plain> tokenReplies = new ConcurrentLinkedQueue<>();
    private final Map<String, Queue<Plain>> usageReplies = new ConcurrentHashMap<>();
    private volatile String authorizeCode = "fake-authorization-code";
    private volatile Reply defaultReply = success("Hello from the fake upstream.");
    private volatile Map<String, String> defaultQuotaHeaders = quotaHeaders(10, 5, 1_900_000_000L, 1_900_500_000L);

    public FakeUpstream() throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(2200, 8);
        pool.setName("fake-upstream");
        server = new Server(pool);
        connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.setIdleTimeout(600_000);
        server.addConnector(connector);
        socket = new FakeUpstreamSocket(this, server);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                // Blocking work (sleeps, scripted delays) must not run on a selector thread.
                server.getThreadPool().execute(() -> serve(request, response, callback));
                return true;
            }
        });
        server.start();
    }

    public int port() { return connector.getLocalPort(); }
    public String chatgptBaseUrl() { return "http://127.0.0.1:" + port() + "/backend-api"; }
    public String apiBaseUrl() { return "http://127.0.0.1:" + port() + "/v1"; }
    public String issuerUrl() { return "http://127.0.0.1:" + port(); }

    // ---- scripting ---------------------------------------------------------------------------------------------

    /** The next requests with bearer {@code token} get these replies, in order. */
    public FakeUpstream enqueue(String token, Reply... replies) {
        scripts.computeIfAbsent(token, t -> new ConcurrentLinkedQueue<>()).addAll(List.of(replies));
        return this;
    }

    /** The reply for any request without a scripted one. */
    public FakeUpstream setDefault(Reply reply) { this.defaultReply = reply; return this; }

    private volatile java.util.function.Function<ResponsesRequest, Reply> responder = r -> null;

    /**
     * Chooses the reply of an HTTP Responses request from its content (after the per-token script, before the
     * default; null: the default). For clients that send side requests of their own, e.g. Claude Code.
     */
    public FakeUpstream setResponder(java.util.function.Function<ResponsesRequest, Reply> responder) {
        this.responder = responder;
        return this;
    }

    /** The quota headers added to every default success (override per reply with {@link #success(String, Map)}). */
    public FakeUpstream setDefaultQuotaHeaders(Map<String, String> headers) { this.defaultQuotaHeaders = headers; return this; }

    /** The JSON body {@code /wham/usage} returns for {@code token} (else a generic one). */
    public FakeUpstream setUsage(String token, String json) { usageJson.put(token, json); return this; }

    /** The next {@code /oauth/token} answers, in order (else 400 invalid_grant). */
    public FakeUpstream enqueueTokenReply(int status, String json) {
        return enqueueTokenReply(status, json, 0);
    }

    /** Like {@link #enqueueTokenReply(int, String)}, answered after {@code delayMillis} (to overlap concurrent callers). */
    public FakeUpstream enqueueTokenReply(int status, String json, long delayMillis) {
        tokenReplies.add(new Plain(status, Map.of(), "application/json", json, delayMillis));
        return this;
    }

    /** The next {@code /wham/usage} answers for {@code token}, in order (before {@link #setUsage}). */
    public FakeUpstream enqueueUsageReply(String token, Plain... replies) {
        usageReplies.computeIfAbsent(token, t -> new ConcurrentLinkedQueue<>()).addAll(List.of(replies));
        return this;
    }

    /**
     * The code {@code GET /oauth/authorize} hands out: it plays the user signing in and redirects (302) to the
     * request's {@code redirect_uri} with {@code code} and the request's {@code state}.
     */
    public FakeUpstream setAuthorizeCode(String code) { this.authorizeCode = code; return this; }

    /** The Chat Completions and Anthropic endpoints: scripting and what arrived ({@link FakeProviders}). */
    public FakeProviders providers() { return providers; }

    /** The base URL of the Chat Completions endpoint ({@code {base}/chat/completions}). */
    public String chatBaseUrl() { return "http://127.0.0.1:" + port() + "/chat/v1"; }

    /** The base URL of the Anthropic endpoint ({@code {base}/v1/messages}). */
    public String anthropicBaseUrl() { return "http://127.0.0.1:" + port() + "/anthropic"; }

    /** The WebSocket side: scripting ({@code 426} on demand, error frames, ...) and what arrived on sockets. */
    public FakeUpstreamSocket socket() { return socket; }

    /**
     * Forgets the requests kept so far (their bodies too), as the benchmarks do before each batch: a long run kept
     * every body (gigabytes with Codex-sized ones) and copied the whole list on every request.
     */
    public void forgetReceived() {
        received.clear();
        responsesRequests.clear();
    }

    public void reset() {
        received.clear();
        responsesRequests.clear();
        socket.reset();
        providers.reset();
        scripts.clear();
        inFlight.clear();
        peakInFlight.clear();
        usageJson.clear();
        tokenReplies.clear();
        usageReplies.clear();
    }

    // ---- what happened -----------------------------------------------------------------------------------------

    public List<Received> received() { return Collections.unmodifiableList(received); }

    /** Every Responses request, over HTTP or WebSocket, in arrival order. */
    public List<ResponsesRequest> responsesRequests() { return Collections.unmodifiableList(responsesRequests); }

    /** The Responses requests that came over {@code transport}. */
    public List<ResponsesRequest> responsesRequests(Transport transport) {
        return responsesRequests.stream().filter(r -> r.transport() == transport).toList();
    }

    void recordSocketRequest(int connection, String path, Map<String, String> headers, String token, byte[] body) {
        responsesRequests.add(new ResponsesRequest(Transport.WEBSOCKET, connection, path, headers, token, body, System.nanoTime()));
    }

    static String bearer(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).trim() : null;
    }

    public List<Received> received(String pathSuffix) {
        return received.stream().filter(r -> r.path().endsWith(pathSuffix)).toList();
    }

    /** How many requests with this token are being answered right now. */
    public int inFlight(String token) {
        AtomicInteger n = inFlight.get(token);
        return n == null ? 0 : n.get();
    }

    /** The highest number of requests with this token that were being answered at the same time. */
    public int peakInFlight(String token) {
        AtomicInteger p = peakInFlight.get(token);
        return p == null ? 0 : p.get();
    }

    // ---- reply factories ---------------------------------------------------------------------------------------

    /** A complete, minimal successful stream whose assistant message says {@code text}. */
    public static Sse success(String text) { return success(text, null); }

    public static Sse success(String text, Map<String, String> headers) {
        return new Sse(headers, successEvents(text, 12, 3), 0, false);
    }

    /** A successful stream whose events are sent {@code gapMillis} apart, with {@code deltas} text deltas. */
    public static Sse slowSuccess(String text, int deltas, long gapMillis) {
        List<String> ev = new ArrayList<>();
        String id = "resp_" + Integer.toHexString(text.hashCode());
        ev.add(event("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"" + id + "\",\"status\":\"in_progress\"}}"));
        ev.add(event("response.output_item.added", "{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"type\":\"message\",\"role\":\"assistant\",\"id\":\"msg_1\",\"content\":[]}}"));
        for (int i = 0; i < deltas; i++) {
            ev.add(event("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":" + quote("d" + i + " ") + "}"));
        }
        ev.addAll(finishEvents(id, text, 12, 3));
        return new Sse(null, ev, gapMillis, false);
    }

    /**
     * Placeholder in an event's JSON that is replaced by {@link System#nanoTime()} at the moment the event is written,
     * so a client in the same JVM can tell how long each event took to reach it ({@link #stampedSuccess}).
     */
    public static final String SENT_NANOS = "\"__sent_ns__\"";

    /**
     * Like {@link #slowSuccess}, but every event carries {@code "sent_ns": <System.nanoTime() when written>}
     * (Codex ignores the extra field). For streaming tests and the forwarding-delay benchmark.
     */
    public static Sse stampedSuccess(String text, int deltas, long gapMillis) {
        List<String> ev = new ArrayList<>();
        for (String e : slowSuccess(text, deltas, gapMillis).events()) {
            ev.add(e.replaceFirst("\\{\"type\":", "{\"sent_ns\":" + java.util.regex.Matcher.quoteReplacement(SENT_NANOS) + ",\"type\":"));
        }
        return new Sse(null, ev, gapMillis, false);
    }

    /** The {@code sent_ns} stamp of one event's JSON (see {@link #stampedSuccess}), or -1. */
    public static long sentNanos(String eventJson) {
        int i = eventJson.indexOf("\"sent_ns\":");
        if (i < 0) return -1;
        int b = i + 10, e = b;
        while (e < eventJson.length() && (Character.isDigit(eventJson.charAt(e)) || eventJson.charAt(e) == '-')) e++;
        return e > b ? Long.parseLong(eventJson.substring(b, e)) : -1;
    }

    /** A stream that stops after some output without {@code response.completed}. */
    public static Sse truncated(String partial) {
        List<String> ev = new ArrayList<>();
        ev.add(event("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_t\",\"status\":\"in_progress\"}}"));
        ev.add(event("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":" + quote(partial) + "}"));
        return new Sse(null, ev, 0, true);
    }

    /** 429 usage_limit_reached with the given reset time, as ChatGPT sends it. */
    public static Plain usageLimit(long resetsAtEpochSeconds, String planType) {
        String body = "{\"error\":{\"type\":\"usage_limit_reached\",\"message\":\"The usage limit has been reached\",\"plan_type\":\""
                + planType + "\",\"resets_at\":" + resetsAtEpochSeconds + ",\"resets_in_seconds\":1800}}";
        return new Plain(429, quotaHeaders(100, 40, resetsAtEpochSeconds, resetsAtEpochSeconds + 86_400), "application/json", body, 0);
    }

    /** 429 rate_limit_exceeded with Retry-After. */
    public static Plain rateLimited(int retryAfterSeconds) {
        return new Plain(429, Map.of("retry-after", Integer.toString(retryAfterSeconds)), "application/json",
                "{\"error\":{\"type\":\"rate_limit_exceeded\",\"code\":\"rate_limit_exceeded\",\"message\":\"Rate limit reached\"}}", 0);
    }

    public static Plain status(int status, String jsonBody) {
        return new Plain(status, Map.of(), "application/json", jsonBody, 0);
    }

    /** 400 as the API sends it for a request error. */
    public static Plain badRequest(String code, String message) {
        return status(400, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":" + (code == null ? "null" : quote(code))
                + ",\"message\":" + quote(message) + ",\"param\":null}}");
    }

    /** A Cloudflare-style challenge page. */
    public static Plain challenge() {
        return new Plain(403, Map.of("cf-mitigated", "challenge"), "text/html; charset=UTF-8",
                "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge</body></html>", 0);
    }

    /** HTTP 200 whose stream fails before any output ({@code response.created} then {@code response.failed}). */
    public static Sse failedEarly(String code, String message) {
        return new Sse(null, List.of(
                event("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_f\",\"status\":\"in_progress\"}}"),
                event("response.failed", "{\"type\":\"response.failed\",\"response\":{\"id\":\"resp_f\",\"status\":\"failed\",\"error\":{\"code\":"
                        + quote(code) + ",\"message\":" + quote(message) + "}}}")), 0, false);
    }

    public static Hang hang(long millis) { return new Hang(millis); }

    /** See {@link Drop}. */
    public static Drop drop() { return new Drop(); }

    /** The first {@code events} events of a successful stream, then silence for {@code millis}. */
    public static Stall stallAfter(int events, long millis) {
        List<String> all = successEvents("stalled", 12, 3);
        return new Stall(new Sse(null, all.subList(0, Math.min(events, all.size())), 0, false), millis);
    }

    /** The {@code x-codex-*} headers for the given used percentages and reset times (epoch seconds). */
    public static Map<String, String> quotaHeaders(double primaryUsed, double secondaryUsed, long primaryReset, long secondaryReset) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("x-codex-primary-used-percent", Double.toString(primaryUsed));
        h.put("x-codex-primary-window-minutes", "300");
        h.put("x-codex-primary-reset-at", Long.toString(primaryReset));
        h.put("x-codex-secondary-used-percent", Double.toString(secondaryUsed));
        h.put("x-codex-secondary-window-minutes", "10080");
        h.put("x-codex-secondary-reset-at", Long.toString(secondaryReset));
        h.put("x-codex-credits-has-credits", "false");
        h.put("x-codex-credits-unlimited", "false");
        h.put("x-codex-credits-balance", "0");
        return h;
    }

    public static String usageBody(String plan, double primaryUsed, double secondaryUsed, long primaryReset, long secondaryReset) {
        return "{\"plan_type\":\"" + plan + "\",\"rate_limit\":{\"allowed\":true,\"limit_reached\":" + (primaryUsed >= 100 || secondaryUsed >= 100)
                + ",\"primary_window\":{\"used_percent\":" + primaryUsed + ",\"limit_window_seconds\":18000,\"reset_after_seconds\":3600,\"reset_at\":" + primaryReset + "},"
                + "\"secondary_window\":{\"used_percent\":" + secondaryUsed + ",\"limit_window_seconds\":604800,\"reset_after_seconds\":86400,\"reset_at\":" + secondaryReset + "}},"
                + "\"credits\":{\"has_credits\":false,\"unlimited\":false,\"balance\":\"0\"},\"additional_rate_limits\":[]}";
    }

    /** The events of a complete answer: created, in_progress, item added, deltas, item done, completed with usage. */
    public static List<String> successEvents(String text, long inputTokens, long outputTokens) {
        String id = "resp_" + Integer.toHexString(text.hashCode() & 0x7fffffff);
        List<String> ev = new ArrayList<>();
        ev.add(event("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"" + id + "\",\"status\":\"in_progress\"}}"));
        ev.add(event("response.in_progress", "{\"type\":\"response.in_progress\",\"response\":{\"id\":\"" + id + "\",\"status\":\"in_progress\"}}"));
        ev.add(event("response.output_item.added", "{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"type\":\"message\",\"role\":\"assistant\",\"id\":\"msg_1\",\"status\":\"in_progress\",\"content\":[]}}"));
        ev.add(event("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":" + quote(text) + "}"));
        ev.addAll(finishEvents(id, text, inputTokens, outputTokens));
        return ev;
    }

    private static List<String> finishEvents(String id, String text, long in, long out) {
        return List.of(
                event("response.output_item.done", "{\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"type\":\"message\",\"role\":\"assistant\",\"id\":\"msg_1\",\"status\":\"completed\",\"content\":[{\"type\":\"output_text\",\"text\":" + quote(text) + ",\"annotations\":[]}]}}"),
                event("response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"" + id + "\",\"status\":\"completed\",\"usage\":{\"input_tokens\":" + in
                        + ",\"input_tokens_details\":{\"cached_tokens\":2},\"output_tokens\":" + out + ",\"output_tokens_details\":{\"reasoning_tokens\":1},\"total_tokens\":" + (in + out) + "}}}"));
    }

    /**
     * An answer that ends in one function call ({@code call_id}, {@code name}, JSON {@code arguments}), streamed as the
     * ChatGPT backend does: item added, argument deltas in two pieces, item done, completed. The client runs the tool
     * and sends its output back in the next request.
     */
    public static Sse functionCall(String callId, String name, String argumentsJson) {
        String id = "resp_fc_" + Integer.toHexString(callId.hashCode() & 0x7fffffff);
        String item = "{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":" + quote(callId) + ",\"name\":" + quote(name);
        int half = argumentsJson.length() / 2;
        List<String> ev = new ArrayList<>();
        ev.add(event("response.created", "{\"type\":\"response.created\",\"response\":{\"id\":\"" + id + "\",\"status\":\"in_progress\"}}"));
        ev.add(event("response.output_item.added", "{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":" + item
                + ",\"arguments\":\"\",\"status\":\"in_progress\"}}"));
        ev.add(event("response.function_call_arguments.delta", "{\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_1\",\"output_index\":0,\"delta\":"
                + quote(argumentsJson.substring(0, half)) + "}"));
        ev.add(event("response.function_call_arguments.delta", "{\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_1\",\"output_index\":0,\"delta\":"
                + quote(argumentsJson.substring(half)) + "}"));
        ev.add(event("response.output_item.done", "{\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":" + item
                + ",\"arguments\":" + quote(argumentsJson) + ",\"status\":\"completed\"}}"));
        ev.add(event("response.completed", "{\"type\":\"response.completed\",\"response\":{\"id\":\"" + id + "\",\"status\":\"completed\",\"output\":[],"
                + "\"usage\":{\"input_tokens\":20,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":7,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":27}}}"));
        return new Sse(null, ev, 0, false);
    }

    /** One SSE event as it goes on the wire. */
    public static String event(String type, String json) {
        return "event: " + type + "\ndata: " + json + "\n\n";
    }

    public static String quote(String s) {
        try { return JSON.writeValueAsString(s); } catch (Exception e) { throw new IllegalStateException(e); }
    }

    // ---- serving -----------------------------------------------------------------------------------------------

    private void serve(Request request, Response response, Callback callback) {
        String token = null;
        try {
            if (FakeUpstreamSocket.isUpgrade(request)) {
                socket.upgrade(request, response, callback);
                return;
            }
            ByteBuffer bodyBuffer = Content.Source.asByteBuffer(request);
            byte[] body = new byte[bodyBuffer.remaining()]; // the backing array may be larger than the content
            bodyBuffer.get(body);
            Map<String, String> headers = new LinkedHashMap<>();
            for (HttpField f : request.getHeaders()) headers.merge(f.getLowerCaseName(), f.getValue(), (a, b) -> a + ", " + b);
            String auth = headers.get("authorization");
            token = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : null;
            String path = request.getHttpURI().getPath();
            received.add(new Received(request.getMethod(), path, request.getHttpURI().getQuery(), headers, body, token, System.nanoTime()));

            if (path.endsWith("/oauth/token")) {
                Plain p = tokenReplies.poll();
                if (p == null) p = status(400, "{\"error\":\"invalid_grant\",\"error_description\":\"no scripted reply\"}");
                writePlain(response, p, callback);
                return;
            }
            if (path.endsWith("/oauth/authorize")) {
                Map<String, String> q = new LinkedHashMap<>();
                String raw = request.getHttpURI().getQuery();
                if (raw != null) {
                    for (String part : raw.split("&")) {
                        int eq = part.indexOf('=');
                        if (eq > 0) q.put(java.net.URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
                                java.net.URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
                    }
                }
                String redirect = q.get("redirect_uri");
                if (redirect == null) {
                    writePlain(response, status(400, "{\"error\":\"invalid_request\"}"), callback);
                    return;
                }
                String location = redirect + "?code=" + java.net.URLEncoder.encode(authorizeCode, StandardCharsets.UTF_8)
                        + "&state=" + java.net.URLEncoder.encode(q.getOrDefault("state", ""), StandardCharsets.UTF_8);
                writePlain(response, new Plain(302, Map.of("location", location), "text/plain", "", 0), callback);
                return;
            }
            if (path.endsWith("/wham/usage")) {
                Queue<Plain> uq = token == null ? null : usageReplies.get(token);
                Plain scripted = uq == null ? null : uq.poll();
                if (scripted != null) {
                    writePlain(response, scripted, callback);
                    return;
                }
                String json = token == null ? null : usageJson.get(token);
                if (json == null) json = usageBody("plus", 10, 5, 1_900_000_000L, 1_900_500_000L);
                writePlain(response, new Plain(200, Map.of(), "application/json", json, 0), callback);
                return;
            }
            if (path.endsWith("/models")) {
                writePlain(response, new Plain(200, Map.of(), "application/json", "{\"models\":[],\"object\":\"list\",\"data\":[]}", 0), callback);
                return;
            }
            if (FakeProviders.handles(path)) {
                FakeProviders.Answer a = providers.answer(path, headers, body);
                if (a.contentType().equals("text/event-stream")) {
                    writeSse(response, new Sse(a.headers(), a.frames(), 0, false), callback, 0, () -> { });
                } else {
                    writePlain(response, new Plain(a.status(), a.headers(), a.contentType(), a.frames().get(0), 0), callback);
                }
                return;
            }
            if (!path.endsWith("/responses")) {
                writePlain(response, status(404, "{\"error\":{\"message\":\"fake upstream: no route " + path + "\"}}"), callback);
                return;
            }
            ResponsesRequest asked = new ResponsesRequest(Transport.HTTP, 0, path, headers, token, body, System.nanoTime());
            responsesRequests.add(asked);
            String key = token == null ? "" : token;
            int now = inFlight.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            peakInFlight.computeIfAbsent(key, k -> new AtomicInteger()).accumulateAndGet(now, Math::max);
            // Leave the in-flight count just before the answer's last bytes go out: once the client has seen the end
            // it may start its next request at once, and that one must not be counted together with this one.
            java.util.concurrent.atomic.AtomicBoolean left = new java.util.concurrent.atomic.AtomicBoolean();
            Runnable leave = () -> {
                if (left.compareAndSet(false, true)) inFlight.get(key).decrementAndGet();
            };
            try {
                Queue<Reply> q = scripts.get(key);
                Reply reply = q == null ? null : q.poll();
                if (reply == null) reply = responder.apply(asked);
                if (reply == null) reply = defaultReply;
                if (reply instanceof Plain p) {
                    writePlain(response, p, callback, leave);
                } else if (reply instanceof Drop) {
                    request.getConnectionMetaData().getConnection().getEndPoint().close();
                    callback.failed(new java.io.IOException("fake upstream dropped the connection"));
                } else if (reply instanceof Hang h) {
                    Thread.sleep(h.millis());
                    writePlain(response, status(504, "{\"error\":{\"message\":\"fake upstream hung\"}}"), callback, leave);
                } else if (reply instanceof Sse s) {
                    writeSse(response, s, callback, 0, leave);
                } else if (reply instanceof Stall st) {
                    writeSse(response, st.head(), callback, st.millis(), leave);
                }
            } finally {
                leave.run();
            }
        } catch (Throwable t) {
            callback.failed(t);
        }
    }

    private void writePlain(Response response, Plain p, Callback callback) throws Exception {
        writePlain(response, p, callback, () -> { });
    }

    private void writePlain(Response response, Plain p, Callback callback, Runnable beforeLast) throws Exception {
        if (p.delayMillis() > 0) Thread.sleep(p.delayMillis());
        response.setStatus(p.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, p.contentType());
        p.headers().forEach((k, v) -> response.getHeaders().put(k, v));
        beforeLast.run();
        Content.Sink.write(response, true, p.body(), callback);
    }

    private void writeSse(Response response, Sse s, Callback callback, long stallMillis, Runnable beforeLast) throws Exception {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        Map<String, String> h = s.headers() != null ? s.headers() : defaultQuotaHeaders;
        h.forEach((k, v) -> response.getHeaders().put(k, v));
        List<String> events = s.events();
        for (int i = 0; i < events.size(); i++) {
            if (i > 0 && s.gapMillis() > 0) Thread.sleep(s.gapMillis());
            Callback.Completable done = new Callback.Completable();
            String ev = events.get(i);
            if (ev.contains(SENT_NANOS)) ev = ev.replace(SENT_NANOS, Long.toString(System.nanoTime()));
            response.write(false, ByteBuffer.wrap(ev.getBytes(StandardCharsets.UTF_8)), done);
            done.get();
        }
        if (stallMillis > 0) Thread.sleep(stallMillis);
        beforeLast.run();
        if (s.closeWithoutCompleted()) {
            // Abort the connection: the stream ends without response.completed.
            callback.failed(new java.io.IOException("fake upstream closes the stream early"));
            return;
        }
        response.write(true, null, callback);
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
