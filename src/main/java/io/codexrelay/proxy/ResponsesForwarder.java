package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.AccountServices;
import io.codexrelay.pool.QuotaHeaders;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sends one client request through the pool and streams the answer back: the entry to a request's named parts
 * (docs/design.md, "The forwarder's parts and the seam for new protocols"): a {@link Turn} per request, its {@link Failover}, one
 * {@link UpstreamAttempt} per account tried (sent through the account's {@link UpstreamDialect}), the answer to the
 * client through a {@link ClientSink} wrapped by the request's {@link InboundDialect}. This class holds what the
 * parts share (pool, services, upstream client, events, clock) and the requests in flight.
 *
 * <p>Before anything is committed to Codex, the upstream's status and first events decide: fail over to the next
 * account (quota, rate limit, auth, challenge, 5xx, connect error, timeout, a {@code response.failed} before any
 * output), or hand the answer to Codex unchanged (request errors). Only {@code response.created} /
 * {@code response.in_progress} are held back, and only until the next event arrives. After the commit every chunk is
 * written (and so flushed) as it arrives, and the next one is read only when that write completed: backpressure
 * from Codex reaches the upstream, nothing is buffered, no thread waits.
 *
 * <p>With the pool's {@link AccountServices}: credentials are made fresh before sending (token refresh), a 401 gets one
 * token refresh and one retry on the same account, a 400 {@code invalid_encrypted_content} gets its encrypted
 * reasoning stripped ({@link EncryptedContentRepair}) and one retry on the same account, and the {@code x-codex-*} headers Codex sees carry the pool's view ({@link PooledUsage}).
 */
final class ResponsesForwarder {
    private static final Logger log = LoggerFactory.getLogger(ResponsesForwarder.class);

    /**
     * Everything about the incoming request the forwarder needs; the body has been read once, completely, and is the
     * canonical Responses request ({@link InboundDialect#toCanonical}). {@code client}: the key the request came with,
     * which names it in the log and may choose its account. {@code bodyDone}: run once the body will never be sent
     * again (the answer committed, or the request ended); it gives the body's bytes back to the relay's body budget,
     * and must do so once however often it runs.
     */
    record Incoming(Route route, String path, String query, HttpFields headers, byte[] body,
                    String model, String sessionId, ClientKeys.Key client, Runnable bodyDone) {
        /** What a request runs when nothing holds memory for its body. */
        static final Runnable NOTHING_HELD = () -> {};

        /** A request with no client key and no body memory held for it (a WebSocket leg's HTTP request). */
        Incoming(Route route, String path, String query, HttpFields headers, byte[] body, String model, String sessionId) {
            this(route, path, query, headers, body, model, sessionId, null, NOTHING_HELD);
        }

        /** The same request without its body (the turn keeps the one copy it may send again, and lets it go). */
        Incoming withoutBody() {
            return new Incoming(route, path, query, headers, null, model, sessionId, client, bodyDone);
        }
    }

    /** Stopping: the relay cut an exchange that outlived the stop grace. */
    static final class RelayStopping extends Exception {
        RelayStopping() { super("the relay is stopping", null, false, false); }
    }

    final AccountPool pool;
    final UpstreamClient upstream;
    final EventBus events;
    final Clock clock;
    final AccountServices services;
    private final UpstreamDialect responsesOverHttp;
    /** Parameters upstreams refused, per account and model (null: nothing is learned, e.g. without a database). */
    final io.codexrelay.account.LearnedParameters learned;
    private final Set<Turn> active = ConcurrentHashMap.newKeySet();
    /** Who a Codex request is (its key's name and account), for the turn and the WebSocket requests alike. */
    final ClientKeys clients;

    ResponsesForwarder(AccountPool pool, AccountServices services, UpstreamClient upstream, EventBus events, Clock clock) {
        this(pool, services, upstream, events, clock, new ClientKeys(null));
    }

    ResponsesForwarder(AccountPool pool, AccountServices services, UpstreamClient upstream, EventBus events, Clock clock,
                       ClientKeys clients) {
        this.clients = clients;
        this.pool = pool;
        this.services = services == null ? AccountServices.NONE : services;
        this.upstream = upstream;
        this.events = events;
        this.clock = clock;
        this.responsesOverHttp = new ResponsesOverHttp(upstream, redactions);
        this.learned = pool == null || pool.accounts() == null ? null
                : new io.codexrelay.account.LearnedParameters(pool.accounts().database(), clock);
    }

    /**
     * Runs one request: {@code in} is already in the canonical (Responses) form, {@code client} is where the canonical
     * answer goes (the transport's sink, wrapped by the request's inbound dialect).
     */
    void forward(Incoming in, ClientSink client, Callback callback) {
        Turn t = new Turn(this, in, client, callback);
        active.add(t);
        t.start();
    }

    /**
     * How an attempt on {@code account} is sent, by the account's wire. Converting dialects keep per-attempt state
     * (the translated request), so each attempt gets its own.
     */
    UpstreamDialect upstreamFor(Account account) {
        if (account.credentials() instanceof io.codexrelay.account.Credentials.ApiKey k) {
            switch (k.wire()) {
                case CHAT: return redacting(new ChatCompletionsUpstream(upstream, learned, clock));
                case ANTHROPIC: return redacting(new AnthropicUpstream(upstream, learned, clock));
                default: break;
            }
        }
        // with redaction rules each attempt counts its own replacements; without, one shared instance does
        return redactions.active() ? new ResponsesOverHttp(upstream, redactions) : responsesOverHttp;
    }

    private ConvertingUpstream redacting(ConvertingUpstream u) {
        u.redactions = redactions;
        return u;
    }

    /** The {@code [[redact]]} rules in force; {@link RelayServer} replaces them on a config change. */
    final Redactions redactions = new Redactions();

    /** Requests in flight: from the body read until the transport's callback for the answer completed. */
    int inFlight() { return active.size(); }

    /** A turn ended (its callback completed). */
    void finished(Turn t) { active.remove(t); }

    static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** The code at the end of a verdict's outcome ("429 usage_limit_reached" -> "usage_limit_reached"), or null. */
    static String codeOf(FailureClassifier.Verdict v) {
        String o = v.outcome();
        if (o == null) return null;
        int sp = o.lastIndexOf(' ');
        String c = sp < 0 ? o : o.substring(sp + 1);
        return c.isEmpty() || Character.isDigit(c.charAt(0)) ? null : c;
    }

    /** Copies an upstream answer's headers for the client, with the pool's quota view in the {@code x-codex-*} headers. */
    void copyHeadersForCodex(HttpFields from, ClientSink to, Account served) {
        QuotaSnapshot view;
        try {
            view = services.codexView(served);
        } catch (RuntimeException e) {
            log.debug("No pool view for the quota headers: {}", e.toString());
            view = null;
        }
        var h = to.headers();
        if (view == null) {
            copyHeaders(from, h, false); // the upstream's own quota headers go through
            return;
        }
        // The pool's view replaces every quota header: any already set (rarely: the sink starts empty), and the
        // upstream's, left out as they are copied (one pass; this runs for every answer). Their names are then
        // absent, so the pool's are added, not put (a put looks each one up again).
        if (h.size() > 0) {
            List<String> drop = new ArrayList<>();
            for (HttpField f : h) if (QuotaHeaders.isQuotaHeader(f.getName())) drop.add(f.getName());
            for (String n : drop) h.remove(n);
        }
        copyHeaders(from, h, true);
        for (HttpField f : PooledUsage.fields(view, clock.instant())) h.add(f);
    }

    /** Ends every request still running: pending ones get a 503, streaming ones are ended cleanly. */
    void cutAll() {
        for (Turn t : List.copyOf(active)) t.cut();
    }

    static void copyHeaders(HttpFields from, HttpFields.Mutable h) {
        copyHeaders(from, h, false);
    }

    /** With {@code withoutQuota}, the {@code x-codex-*} quota headers are left out too. */
    private static void copyHeaders(HttpFields from, HttpFields.Mutable h, boolean withoutQuota) {
        Set<String> connectionListed = UpstreamClient.connectionTokens(from);
        for (HttpField f : from) {
            String n = f.getLowerCaseName();
            if (UpstreamClient.DROPPED_RESPONSE_HEADERS.contains(n) || connectionListed.contains(n)) continue;
            if (withoutQuota && QuotaHeaders.isQuotaHeader(n)) continue;
            h.add(f);
        }
    }
}
