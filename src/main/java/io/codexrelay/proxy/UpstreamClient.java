package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;
import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayConfig;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.net.URI;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sends attempts to the upstream of an account with that account's credentials (Jetty HttpClient: TLS verified,
 * no cookies kept between accounts, no redirects followed, no content decoding so bytes pass unchanged).
 *
 * <p>ChatGPT accounts: {@code POST <chatgpt_base_url>/codex/responses} with {@code Authorization: Bearer <access
 * token>}, {@code chatgpt-account-id} and {@code version} (when Codex did not send one). API-key accounts:
 * {@code POST <base_url>/responses} with {@code Authorization: Bearer <key>}. Every other header Codex sent passes,
 * except its own credentials, the relay's client key and hop-by-hop headers.
 */
public final class UpstreamClient implements AutoCloseable {
    /** Sent as {@code version} to ChatGPT when Codex did not say (the CLI version the relay was checked against). */
    static final String DEFAULT_CODEX_VERSION = "0.169.0";
    private static final Pattern UA_VERSION = Pattern.compile("^codex[_a-z]*/(\\d+\\.\\d+\\.\\d+[^ ]*)");

    /** Request headers never forwarded (lower case). */
    static final Set<String> DROPPED_REQUEST_HEADERS = Set.of(
            "host", "content-length", "content-type", "authorization", ClientKey.HEADER, "chatgpt-account-id",
            "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te", "trailer",
            "transfer-encoding", "upgrade", "expect", "accept-encoding", "cookie", "origin", "referer");

    /** Response headers never passed back to Codex (lower case). */
    static final Set<String> DROPPED_RESPONSE_HEADERS = Set.of(
            "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "te", "trailer", "transfer-encoding",
            "upgrade", "content-length", "set-cookie", "set-cookie2", "alt-svc");

    private final HttpClient http;
    private volatile RelayConfig.Upstream config;

    private volatile RequestTimers timers;
    /**
     * Upstream addresses already parsed, by their text: a handful (a base URL and route per account), so each is
     * parsed once rather than on every request. Emptied if it ever holds more than {@link #ADDRESSES_KEPT}.
     */
    private final ConcurrentHashMap<String, Address> addresses = new ConcurrentHashMap<>();
    private static final int ADDRESSES_KEPT = 64;

    /**
     * A parsed upstream address and the {@code Host} header Jetty's client writes for it (null when Jetty would take
     * the destination's). Each request carries the header made here: without it, Jetty's client builds the request's
     * URI again from its parts and parses it, on every request, only to read the header off it.
     */
    record Address(URI uri, HttpField host) {}

    /** A thread of the upstream client's pool: it reads the upstreams' answers and writes them to Codex. */
    private static final class UpstreamThread extends Thread {
        UpstreamThread(Runnable job) { super(job); }
    }

    /** Whether the current thread is one of the upstream client's (see {@link RelayServer}'s use of it). */
    static boolean onUpstreamThread() { return Thread.currentThread() instanceof UpstreamThread; }

    public UpstreamClient(RelayConfig.Upstream config) {
        this.config = config;
        var ssl = new SslContextFactory.Client(false);
        ssl.setEndpointIdentificationAlgorithm("HTTPS");
        http = new HttpClient();
        http.setSslContextFactory(ssl);
        QueuedThreadPool threads = new QueuedThreadPool(256, 2) {
            @Override
            public Thread newThread(Runnable job) { // as Jetty's, as a thread that can be told apart
                Thread t = new UpstreamThread(job);
                t.setDaemon(isDaemon());
                t.setPriority(getThreadsPriority());
                t.setName(getName() + "-" + t.getId());
                t.setContextClassLoader(UpstreamClient.class.getClassLoader());
                return t;
            }
        };
        threads.setName("relay-upstream");
        threads.setReservedThreads(0); // as RelayServer's pool: the answers are handled on the selector, not handed off
        // As RelayServer's pool: after a burst, retire idle threads (up to 50 per 10 s) so their stacks are freed.
        threads.setIdleTimeout(10_000);
        threads.setMaxEvictCount(50);
        threads.setDaemon(true);
        http.setExecutor(threads);
        // The answers are handled on the client's selector thread, with no hand-off to a pool thread per read: the
        // relay's response listeners and demand callbacks never block (the gate, SseTap, writes to Codex with
        // callbacks, the pool's in-memory bookkeeping; token refresh and database writes run on their own threads).
        http.getHttpClientTransport().setInvocationType(Invocable.InvocationType.NON_BLOCKING);
        if (http.getHttpClientTransport() instanceof org.eclipse.jetty.client.AbstractConnectorHttpClientTransport t) {
            t.getClientConnector().setSelectors(RelayServer.SELECTORS);
        }
        http.setFollowRedirects(false);
        http.setHttpCookieStore(new HttpCookieStore.Empty());
        http.setUserAgentField(null);
        http.getContentDecoderFactories().clear();
        http.setMaxConnectionsPerDestination(4096);
        http.setMaxRequestsQueuedPerDestination(8192);
        http.setConnectTimeout(config.connectTimeout().toMillis());
        http.setIdleTimeout(config.idleTimeout().toMillis());
    }

    public void start() throws Exception {
        http.start();
        timers = new RequestTimers(http.getScheduler());
        // The relay never answers an HTTP authentication challenge: a 401 is the upstream's verdict on the account's
        // credentials and must reach the relay as the answer it is. Jetty's client (it adds these on start) fails a
        // 401 without WWW-Authenticate as a "protocol violation" after the answer arrived, which made a rejected API
        // key on a socket request's HTTP leg look like a transport error (FaultsE2eTest over WebSocket).
        http.getProtocolHandlers().remove(org.eclipse.jetty.client.WWWAuthenticationProtocolHandler.NAME);
        http.getProtocolHandlers().remove(org.eclipse.jetty.client.ProxyAuthenticationProtocolHandler.NAME);
        // Nor does it ever send "Expect: 100-continue" (the header is dropped from what it forwards, and the dialects
        // build their own), so the 100-continue handler could never apply; it was asked on every answer anyway (and
        // made each request an attribute map to say no).
        http.getProtocolHandlers().remove(org.eclipse.jetty.client.ContinueProtocolHandler.NAME);
    }

    public void applyConfig(RelayConfig.Upstream config) {
        this.config = config;
        http.setConnectTimeout(config.connectTimeout().toMillis());
    }

    public RelayConfig.Upstream config() { return config; }

    /** The timers of requests in flight (deadlines, first-byte timeouts); set once started. */
    RequestTimers timers() { return timers; }

    /** The client's thread pool, for the rare step of a request that may block (never the selector). */
    public java.util.concurrent.Executor executor() { return http.getExecutor(); }

    /** The upstream URL of a route for an account ({@code query} without '?', may be null). */
    public String url(Account account, Route route, String query) {
        String base;
        String path;
        if (account.credentials() instanceof Credentials.ApiKey k) {
            base = k.baseUrl() != null && !k.baseUrl().isBlank() ? k.baseUrl() : config.defaultApiBaseUrl();
            path = route == Route.RESPONSES ? "/responses" : "/models";
        } else {
            base = config.chatgptBaseUrl();
            path = route == Route.RESPONSES ? "/codex/responses" : "/codex/models";
        }
        while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
        String url = base + path;
        if (route == Route.MODELS && query != null && !query.isEmpty()) url += "?" + query;
        return url;
    }

    /**
     * The parsed form of an upstream address and its {@code Host} header, made once per address; a malformed address
     * fails as {@link URI#create} does.
     */
    Address address(String url) {
        Address known = addresses.get(url);
        if (known != null) return known;
        URI parsed = URI.create(url);
        // Jetty's own rule (a default port left out), asked once: a request made and not sent changes nothing.
        URI asJettyWrites = http.newRequest(parsed).getURI();
        String authority = asJettyWrites == null ? null : asJettyWrites.getAuthority();
        Address made = new Address(parsed, authority == null ? null : new HttpField(HttpHeader.HOST, authority));
        if (addresses.size() >= ADDRESSES_KEPT) addresses.clear();
        addresses.put(url, made);
        return made;
    }

    /** How many parsed addresses are kept (for tests). */
    int addressesKept() { return addresses.size(); }

    /** A request to an upstream address, carrying the address's {@code Host} header. */
    private Request request(String url, HttpMethod method) {
        Address address = address(url);
        Request r = http.newRequest(address.uri()).method(method).idleTimeout(config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
        if (address.host() != null) r.headers(h -> h.add(address.host()));
        return r;
    }

    /** A ready-to-send attempt: method, URL, forwarded headers, the account's credentials and the body as is. */
    public Request newRequest(Account account, Route route, String query, HttpFields incoming, byte[] body) {
        Request r = request(url(account, route, query), route == Route.RESPONSES ? HttpMethod.POST : HttpMethod.GET);
        Set<String> connectionListed = connectionTokens(incoming);
        String userAgent = incoming.get(HttpHeader.USER_AGENT);
        boolean hasVersion = incoming.contains("version");
        r.headers(h -> {
            h.remove(HttpHeader.ACCEPT_ENCODING);
            for (HttpField f : incoming) {
                String name = f.getLowerCaseName();
                if (DROPPED_REQUEST_HEADERS.contains(name) || name.startsWith("x-relay-") || connectionListed.contains(name)) continue;
                h.add(f);
            }
            if (account.credentials() instanceof Credentials.ChatGptTokens t) {
                h.put(HttpHeader.AUTHORIZATION, "Bearer " + t.accessToken());
                if (t.accountId() != null) h.put("chatgpt-account-id", t.accountId());
                if (!hasVersion) h.put("version", codexVersion(userAgent));
            } else if (account.credentials() instanceof Credentials.ApiKey k) {
                h.put(HttpHeader.AUTHORIZATION, "Bearer " + k.key());
            }
        });
        if (body != null && route == Route.RESPONSES) {
            String ct = incoming.get(HttpHeader.CONTENT_TYPE);
            r.body(new OneShotContent(ct != null ? ct : "application/json", body));
        }
        return r;
    }

    /**
     * A bare POST to {@code url} on the relay's HTTP client (same TLS, timeouts and no-cookie rules), for upstream
     * dialects that build their own headers (Chat Completions, Anthropic): nothing of Codex's request is copied.
     */
    public Request newPost(String url) {
        return request(url, HttpMethod.POST);
    }

    static String codexVersion(String userAgent) {
        if (userAgent != null) {
            Matcher m = UA_VERSION.matcher(userAgent.trim());
            if (m.find()) return m.group(1);
        }
        return DEFAULT_CODEX_VERSION;
    }

    /** Headers named in {@code Connection} are hop-by-hop too. */
    static Set<String> connectionTokens(HttpFields fields) {
        Set<String> out = null; // most messages have no Connection header: no set per request and answer then
        for (HttpField f : fields) {
            if (f.getHeader() == HttpHeader.CONNECTION || f.getName().equalsIgnoreCase("connection")) {
                if (out == null) out = new HashSet<>();
                for (String t : f.getValue().split(",")) out.add(t.trim().toLowerCase(Locale.ROOT));
            }
        }
        return out == null ? Set.of() : out;
    }

    @Override
    public void close() {
        RequestTimers t = timers;
        if (t != null) t.stop();
        try {
            http.stop();
        } catch (Exception ignored) {
            // stopping anyway
        }
    }
}
