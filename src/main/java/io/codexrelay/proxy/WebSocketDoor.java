package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;
import io.codexrelay.config.RelayConfig;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Codex's Responses over WebSocket, the relay's side (docs/websocket.md): the upgrade on every Responses path (guarded
 * like HTTP by {@link RelayRoutes}; refused with 426 when {@code websocket.enabled} is false, while paused or
 * stopping, so Codex falls back to HTTP at once), one {@link DownstreamSocket} per accepted socket, and the shared
 * client that opens upstream sockets to accounts ({@link UpstreamSocketLink}).
 */
final class WebSocketDoor {
    private static final Logger log = LoggerFactory.getLogger(WebSocketDoor.class);
    /** The Responses WebSocket beta Codex speaks; the upstream needs it on the upgrade. */
    static final String BETA = "responses_websockets=2026-02-06";
    /** Handshake headers that are the transport's own or the relay's: never passed upstream. */
    private static final Set<String> DROPPED = Set.of("host", "connection", "upgrade", "sec-websocket-key",
            "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol", "sec-websocket-accept",
            "authorization", "chatgpt-account-id", "cookie", "accept-encoding", "content-length", "transfer-encoding",
            "keep-alive", "te", "trailer", "proxy-authorization", "proxy-connection", "origin");

    final ResponsesForwarder forwarder;
    private final Supplier<RelayConfig> config;
    private final ServerWebSocketContainer container;
    private final WebSocketClient client = new WebSocketClient();
    private final Set<DownstreamSocket> open = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicLong upgrades = new java.util.concurrent.atomic.AtomicLong();

    WebSocketDoor(Server server, ResponsesForwarder forwarder, Supplier<RelayConfig> config) {
        this.forwarder = forwarder;
        this.config = config;
        this.container = ServerWebSocketContainer.ensure(server);
        // Codex sets no limit of its own (64 MiB): a long history is one big frame.
        container.setMaxTextMessageSize(64L << 20);
        client.setMaxTextMessageSize(64L << 20);
        client.getHttpClient().setUserAgentField(null);
        client.getHttpClient().setFollowRedirects(false);
        applyConfig();
    }

    WebSocketSettings settings() { return WebSocketSettings.of(config.get()); }

    void start() throws Exception { client.start(); }

    void stop() {
        try {
            client.stop();
        } catch (Exception e) {
            log.debug("Stopping the upstream WebSocket client: {}", e.toString());
        }
    }

    /** Live settings: the idle bound of new sockets and the upstream connect timeout. */
    void applyConfig() {
        container.setIdleTimeout(settings().idleTimeout());
        client.setIdleTimeout(settings().idleTimeout());
        client.setConnectTimeout(config.get().upstream().connectTimeout().toMillis());
    }

    static boolean isUpgrade(Request request) {
        String upgrade = request.getHeaders().get(HttpHeader.UPGRADE);
        return "GET".equals(request.getMethod()) && upgrade != null && upgrade.equalsIgnoreCase("websocket");
    }

    /**
     * Answers an upgrade the guard and the client key already let through: 426 when sockets are off (Codex then uses
     * HTTP for the rest of its session, at no cost), else 101 and a {@link DownstreamSocket}.
     */
    void upgrade(Request request, Response response, Callback callback, String path, String refusalReason) {
        upgrades.incrementAndGet();
        if (refusalReason != null || !settings().enabled()) {
            String why = refusalReason != null ? refusalReason : "websocket.enabled is false in the relay's config.toml";
            RelayErrors.write(response, 426, "relay_websocket_off", "codex-relay does not take WebSocket now (" + why
                    + "); use HTTP.", callback);
            return;
        }
        HttpFields headers = request.getHeaders().asImmutable();
        String session = RelayRoutes.threadKey(headers::get, new byte[0]);
        boolean upgraded = container.upgrade((rq, rs, cb) -> new DownstreamSocket(this, path, headers, session), request,
                response, callback);
        if (!upgraded) RelayErrors.write(response, 400, "relay_bad_upgrade", "Not a valid WebSocket upgrade.", callback);
    }

    void opened(DownstreamSocket s) { open.add(s); }

    void closed(DownstreamSocket s) { open.remove(s); }

    /** Upgrade requests that passed the guard, accepted or answered 426 (tests count Codex's handshakes). */
    long upgrades() { return upgrades.get(); }

    /** Codex sockets open now. */
    int openSockets() { return open.size(); }

    /** Requests running on sockets now. */
    int inFlight() {
        int n = 0;
        for (DownstreamSocket s : open) if (s.busy()) n++;
        return n;
    }

    /** The relay is stopping: every socket is closed (1001); Codex reconnects to whatever listens next. */
    void closeAll() {
        for (DownstreamSocket s : open) s.close(1001, "codex-relay is stopping");
    }

    /** Opens an upstream socket to {@code account} with Codex's handshake headers and the account's credentials. */
    CompletableFuture<UpstreamSocketLink> connect(Account account, HttpFields codexHeaders,
                                                  java.util.function.Consumer<UpstreamSocketLink> onClosed) {
        UpstreamSocketLink link = new UpstreamSocketLink(account.name(), onClosed);
        try {
            String http = forwarder.upstream.url(account, Route.RESPONSES, null);
            URI uri = URI.create(http.replaceFirst("^http", "ws"));
            ClientUpgradeRequest up = new ClientUpgradeRequest(uri);
            boolean hasVersion = false;
            for (HttpField f : codexHeaders) {
                String n = f.getLowerCaseName();
                if (DROPPED.contains(n) || n.startsWith("x-relay-")) continue;
                if (n.equals("version")) hasVersion = true;
                up.setHeader(f.getName(), f.getValue());
            }
            String beta = codexHeaders.get("openai-beta");
            if (beta == null || !beta.toLowerCase(Locale.ROOT).contains("responses_websockets=")) {
                up.setHeader("OpenAI-Beta", beta == null || beta.isBlank() ? BETA : beta + "," + BETA);
            }
            if (account.credentials() instanceof Credentials.ChatGptTokens t) {
                up.setHeader("Authorization", "Bearer " + t.accessToken());
                if (t.accountId() != null) up.setHeader("chatgpt-account-id", t.accountId());
                if (!hasVersion) up.setHeader("version", UpstreamClient.codexVersion(codexHeaders.get(HttpHeader.USER_AGENT)));
            } else if (account.credentials() instanceof Credentials.ApiKey k) {
                up.setHeader("Authorization", "Bearer " + k.key());
            }
            return client.connect(link, up).thenApply(s -> link);
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * An HTTP SSE exchange for a socket request whose account has no WebSocket, not yet started (see
     * {@link SseLeg#prepare}): sent through the account's dialect ({@link ResponsesForwarder#upstreamFor}), exactly as
     * an HTTP request to that account would be, so its wire, model rules and the redaction rules apply here too.
     * {@code path} is the socket's (it names the client for the redaction rules' scopes).
     */
    SseLeg sse(Account account, HttpFields codexHeaders, String path, byte[] body, String model, String sessionId,
               UpstreamLeg.Listener l) {
        HttpFields.Mutable h = HttpFields.build();
        for (HttpField f : codexHeaders) {
            String n = f.getLowerCaseName();
            if (DROPPED.contains(n) || n.equals("openai-beta")) continue; // the socket beta means nothing on HTTP
            h.add(f);
        }
        h.put("content-type", "application/json");
        h.put("accept", "text/event-stream");
        var in = new ResponsesForwarder.Incoming(Route.RESPONSES, path, null, h.asImmutable(), body, model, sessionId);
        return SseLeg.prepare(forwarder.upstreamFor(account), account, in, l);
    }
}
