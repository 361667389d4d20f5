package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.account.Account;
import io.codexrelay.account.TokenRefreshException;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.pool.Acquisition;
import io.codexrelay.pool.AttemptOutcome;
import io.codexrelay.pool.FailureClass;
import io.codexrelay.pool.Lease;
import io.codexrelay.pool.RouteRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One {@code response.create} on a Codex socket, across however many accounts it takes: what a {@link Turn} is for
 * HTTP. Per attempt a {@link Lease} (credentials made fresh, the permit held exactly while the upstream exchange runs),
 * sent over the account's upstream socket (anchored as Codex sent it when that socket issued the anchor, else expanded
 * by the socket's {@link AnchorBook} into a full request) or over HTTP SSE. The first events that decide nothing
 * ({@code codex.rate_limits}, {@code response.created}, metadata) are held; an error, a refusal or a close before the
 * first other event moves the request to the next account, and Codex sees none of it. After that first event every
 * event is passed on as it comes, and nothing is ever replayed. Ends exactly once: the lease's outcome, the
 * RequestFinished event (request log, usage, tray) and the socket's next request.
 */
final class SocketRequest implements UpstreamLeg.Listener {
    private static final Logger log = LoggerFactory.getLogger(SocketRequest.class);
    /** Events that come before the answer and decide nothing: held until the first that does. */
    private static final Set<String> PRELUDE = Set.of("codex.rate_limits", "response.created", "response.in_progress",
            "response.metadata", "codex.response.metadata", "responsesapi.websocket_timing");

    private final DownstreamSocket sock;
    private final ResponsesForwarder f;
    private final ObjectNode frame;
    private final String raw;
    /** When to retry an account, move on or give up, and what Codex hears then: the same policy as HTTP's. */
    private final FailoverPolicy policy = new FailoverPolicy();
    private final String anchor;
    private final boolean prewarm;
    private final String model;
    private final RouteRequest route;
    /** The key on the socket's upgrade request: names the request in the log, may choose its account. */
    private final ClientKeys.Key client;
    private final Instant startedAt;
    private final long t0 = System.nanoTime();
    private final Set<String> tried = new HashSet<>();
    private final List<String> chain = new ArrayList<>();
    /** The full input (anchor expanded); null when the anchor is not one this socket can expand. */
    private volatile ArrayNode fullInput;
    /** The full input was changed (encrypted reasoning stripped): Codex's frame as it came is no longer the request. */
    private volatile boolean rewritten;
    /** Redaction matches replaced in the last HTTP attempt's body; the request log's chain ends with "redacted:N". */
    private volatile int redacted;
    /** A 400 naming an unsupported parameter got its one retry (as over HTTP). */
    private boolean parameterRetried;

    // The attempt running now; changed only between attempts.
    private volatile Lease lease;
    private volatile UpstreamLeg leg;
    private volatile UpstreamSocketLink link;
    private volatile CompletableFuture<Void> exchange;
    /** The account as last sent (its credentials may be fresher than the lease's). */
    private volatile Account sentAs;
    private final List<String> held = new ArrayList<>();
    private volatile boolean committed;
    private volatile boolean ended;
    private volatile org.eclipse.jetty.util.thread.Scheduler.Task deadlineTimer;
    private volatile FailureClassifier.Verdict lastVerdict;
    private FailureClass failureClass;
    private Long ttfbMs;
    private JsonNode usage;
    private String servedBy;

    SocketRequest(DownstreamSocket sock, String text) {
        this.sock = sock;
        this.f = sock.door.forwarder;
        this.raw = text;
        JsonNode n = SocketFrames.tree(text);
        this.frame = n instanceof ObjectNode o ? o : SocketFrames.JSON.createObjectNode();
        this.anchor = frame.path("previous_response_id").isTextual() ? frame.get("previous_response_id").asText() : null;
        this.prewarm = frame.has("generate") && !frame.get("generate").asBoolean(true);
        this.model = frame.path("model").isTextual() ? frame.get("model").asText() : null;
        this.client = f.clients.forCodex(sock.handshake);
        this.route = client.route(sock.sessionId, model, sock.path);
        this.startedAt = f.clock.instant();
    }

    void start() {
        if (!"response.create".equals(frame.path("type").asText())) {
            // response.processed and the like: fire and forget, nothing to answer.
            ended = true;
            sock.ended(this);
            return;
        }
        fullInput = sock.book.fullInput(anchor, frame.path("input"));
        if (fullInput == null) {
            // Codex then drops the socket and resends the whole conversation (both pinned CLIs; docs/websocket.md).
            relayAnswer(SocketFrames.error(409, "invalid_request_error", "previous_response_not_found",
                    "codex-relay does not know response '" + anchor + "' on this socket; resend the full input."),
                    409, null, "unknown previous_response_id");
            return;
        }
        sock.book.begin(fullInput);
        long deadline = f.upstream.config().requestDeadline().toMillis();
        if (deadline > 0) {
            deadlineTimer = f.upstream.timers().schedule(this::deadlinePassed, deadline, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        next();
    }

    /**
     * {@code upstream.request_deadline_ms} passed before anything reached Codex (as over HTTP, {@link Failover}): the
     * attempt in flight is abandoned (its permit goes back, no cool-down) and Codex gets a final error naming the
     * accounts that timed out, instead of one first-byte timeout after another across every account.
     */
    private void deadlinePassed() {
        if (ended || committed) return;
        Lease l = lease;
        CompletableFuture<Void> ex = exchange;
        boolean inFlight = l != null && ex != null && !ex.isDone();
        if (inFlight) chain.add(l.name() + ":timeout");
        List<String> timedOut = timedOut();
        log.warn("Socket request: no answer within upstream.request_deadline_ms; timed out: {}", timedOut);
        relayAnswer(SocketFrames.error(400, "server_error", "relay_upstream_timeout",
                Failover.timeoutMessage(f.upstream.config(), timedOut, chain)), 504, FailureClass.TRANSIENT,
                "request deadline passed" + (timedOut.isEmpty() ? "" : "; timed out: " + String.join(", ", timedOut)));
        if (inFlight) {
            releaseLink();
            ex.complete(null);
            l.close(AttemptOutcome.ABANDONED);
        }
    }

    // ---- choosing an account ----------------------------------------------------------------------------------

    private void next() {
        if (ended) return;
        f.pool.acquire(route, tried).whenComplete((acq, err) -> {
            if (err != null) {
                log.warn("Choosing an account failed", err);
                relayAnswer(SocketFrames.error(500, "server_error", "relay_error", "codex-relay failed to choose an account: "
                        + err + ". See the relay log."), 500, null, "relay error");
                return;
            }
            acquired(acq);
        });
    }

    private void acquired(Acquisition acq) {
        if (acq instanceof Acquisition.Leased l) {
            if (ended) {
                l.lease().close(AttemptOutcome.ABANDONED);
                return;
            }
            if (tried.isEmpty()) f.events.publish(new RelayEvent.RequestStarted(l.lease().name(), sock.sessionId));
            tried.add(l.lease().name());
            lease = l.lease();
            prepareAndSend(false);
        } else {
            refuse(policy.noAccountLeft(acq, lastVerdict, chain, f.pool::keyRejected, f.clock.instant()));
        }
    }

    /**
     * No account is left: the policy's answer as an error frame, always with a status (one without makes Codex wait
     * 300 s), chosen from what Codex does with it on a socket (docs/websocket.md): 429 usage limit and 400 end the
     * turn, 502/503 make Codex resend the request on a new socket.
     */
    private void refuse(FailoverPolicy.Refusal r) {
        switch (r.why()) {
            case ALL_OUT -> {
                f.pool.serving(); // lets the pool notice and announce that it is exhausted
                relayAnswer(SocketFrames.usageLimit(r.message(), r.resetsAt(), f.clock.instant()), r.status(),
                        r.failureClass(), r.logError());
            }
            // Not transient: Codex shows the message and stops (a retried status would only delay it).
            case NO_ACCOUNTS -> relayAnswer(SocketFrames.error(400, "invalid_request_error", r.code(), r.message()),
                    r.status(), r.failureClass(), r.logError());
            // 400, not the HTTP path's 401: on a socket Codex retries a 401 frame like a 500 and then, its retries
            // spent, showed "usage limit" (checked with the real CLI, FaultsE2eTest); 400 shows this message at once.
            case KEY_REJECTED -> relayAnswer(SocketFrames.error(400, "invalid_request_error", r.code(), r.message()),
                    r.status(), r.failureClass(), r.logError());
            default -> {
                List<String> timedOut = timedOutAccounts();
                if (!timedOut.isEmpty()) {
                    // Every account hung: final, as over HTTP (each of Codex's resends would wait as long again, and
                    // the accounts' cool-down then read as "usage limit").
                    relayAnswer(SocketFrames.error(400, "server_error", "relay_upstream_timeout",
                            Failover.timeoutMessage(f.upstream.config(), timedOut, chain)), 504, FailureClass.TRANSIENT,
                            "no answer in time; timed out: " + String.join(", ", timedOut));
                    return;
                }
                // 503 without server_is_overloaded and 502: Codex resends on a new socket (overloaded would end the turn).
                relayAnswer(SocketFrames.error(r.status(), "server_error", r.code(), r.message()), r.status(),
                        r.failureClass(), r.logError());
            }
        }
    }

    /** The accounts tried, when every attempt of this request timed out before an answer (else empty). */
    private List<String> timedOutAccounts() {
        for (String step : chain) {
            int colon = step.indexOf(':');
            if (colon <= 0) return List.of();
            String what = step.substring(colon + 1);
            if (!what.equals("prewarm") && !what.equals("timeout")) return List.of();
        }
        return timedOut();
    }

    /** The accounts whose attempt in this request timed out before an answer, in the order tried. */
    private List<String> timedOut() {
        List<String> out = new ArrayList<>();
        for (String step : chain) {
            int colon = step.indexOf(':');
            if (colon > 0 && step.substring(colon + 1).equals("timeout") && !out.contains(step.substring(0, colon))) {
                out.add(step.substring(0, colon));
            }
        }
        return out;
    }

    private void prepareAndSend(boolean forceFull) {
        Lease l = lease;
        CompletableFuture<Account> prepared;
        try {
            prepared = f.services.prepare(l.account());
        } catch (RuntimeException e) {
            prepared = CompletableFuture.failedFuture(e);
        }
        prepared.whenComplete((acc, err) -> {
            if (err != null) {
                Throwable c = ResponsesForwarder.unwrap(err);
                boolean permanent = c instanceof TokenRefreshException t && t.permanent();
                failedOver(permanent
                        ? new FailureClassifier.Verdict(FailureClass.AUTH, null, "relogin needed",
                                c.getMessage() != null ? c.getMessage() : "the login is no longer valid")
                        : new FailureClassifier.Verdict(FailureClass.TRANSIENT, null, "token refresh failed",
                                "the access token could not be refreshed"));
                return;
            }
            send(acc, forceFull);
        });
    }

    // ---- one attempt ------------------------------------------------------------------------------------------

    private void send(Account account, boolean forceFull) {
        if (ended) {
            lease.close(AttemptOutcome.ABANDONED);
            return;
        }
        sentAs = account;
        redacted = 0;
        CompletableFuture<Void> ex = new CompletableFuture<>();
        exchange = ex;
        if (!lease.use(ex)) return;
        held.clear();
        if (!sock.door.settings().upstreamSocketFor(account)) {
            link = null;
            if (prewarm) {
                prewarmHere();
                return;
            }
            SseLeg sse;
            try {
                sse = sock.door.sse(account, sock.handshake, sock.path, httpBody(), model, sock.sessionId, this);
            } catch (RuntimeException e) {
                // As over HTTP: an account whose upstream cannot be addressed cannot serve; try the next.
                log.info("Account {} cannot be sent this socket request: {}", lease.name(), e.toString());
                failedOver(new FailureClassifier.Verdict(FailureClass.TRANSIENT, null, "bad upstream URL",
                        "the account's upstream URL is not usable"));
                return;
            }
            redacted = sse.dialect().redacted();
            // Kept before it starts: the upstream may answer on another thread before start() returns.
            leg = sse;
            sse.start(f.upstream.timers(), f.upstream.config().firstByteTimeout().toMillis());
            return;
        }
        UpstreamSocketLink bound = forceFull ? null : sock.linkFor(account.name());
        if (forceFull) sock.dropLink();
        if (bound != null) {
            link = bound;
            leg = bound;
            bound.send(redact(account, !rewritten && (anchor == null || sock.book.heldBy(bound, anchor)) ? raw : fullFrame()), this);
            return;
        }
        sock.door.connect(account, sock.handshake, sock::linkClosed).whenComplete((l, err) -> {
            if (err != null) {
                connectFailed(ResponsesForwarder.unwrap(err));
                return;
            }
            if (ended) {
                l.close(1000, "codex-relay: request ended");
                ex.complete(null);
                return;
            }
            sock.bind(l);
            link = l;
            leg = l;
            l.send(redact(account, anchor == null && !rewritten ? raw : fullFrame()), this); // a new socket holds no anchor
        });
    }

    /**
     * A frame for an upstream socket with the {@code [[redact]]} rules for {@code account} applied (the HTTP leg's
     * dialect applies them itself); the socket's {@link AnchorBook} keeps Codex's own text.
     */
    private String redact(Account account, String frameText) {
        if (!f.redactions.active()) return frameText;
        var r = f.redactions.apply(account, sock.path, frameText.getBytes(StandardCharsets.UTF_8));
        redacted = r.replacements();
        return r.replacements() == 0 ? frameText : new String(r.body(), StandardCharsets.UTF_8);
    }

    /** The request with the anchor expanded: the full input, no {@code previous_response_id}. */
    private String fullFrame() {
        ObjectNode copy = frame.deepCopy();
        copy.remove("previous_response_id");
        copy.set("input", fullInput);
        return copy.toString();
    }

    /** The HTTP body: the full request without the socket's own fields. */
    private byte[] httpBody() {
        ObjectNode copy = frame.deepCopy();
        copy.remove("type");
        copy.remove("generate");
        copy.remove("previous_response_id");
        copy.set("input", fullInput);
        copy.put("stream", true);
        return copy.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A prewarm for an account spoken to over HTTP: answered here (there is no upstream state to warm), with an id
     * this socket's {@link AnchorBook} will expand when Codex anchors its turn on it.
     */
    private void prewarmHere() {
        String id = "resp_relay_" + UUID.randomUUID().toString().replace("-", "");
        servedBy = lease.name();
        chain.add(lease.name() + ":prewarm");
        committed = true;
        ttfbMs = 0L;
        String created = "{\"type\":\"response.created\",\"response\":{\"id\":\"" + id + "\",\"status\":\"in_progress\"}}";
        String completed = "{\"type\":\"response.completed\",\"response\":{\"id\":\"" + id + "\",\"status\":\"completed\",\"output\":[]}}";
        sock.send(created, () -> sock.send(completed, () -> { }));
        sock.book.completed(id, null);
        end(200, new AttemptOutcome.Abandoned(sock.sessionId), null);
    }

    private void connectFailed(Throwable err) {
        log.info("Opening an upstream socket for account {} failed: {}", lease.name(), err.toString());
        if (ended) {
            exchange.complete(null);
            lease.close(AttemptOutcome.ABANDONED);
            return;
        }
        exchange.complete(null);
        if (err instanceof org.eclipse.jetty.websocket.api.exceptions.UpgradeException u && u.getResponseStatusCode() > 0) {
            FailureClassifier.Verdict v = FailureClassifier.ofStatus(u.getResponseStatusCode(), h -> null, new byte[0],
                    f.clock.instant());
            FailoverPolicy.Step step = policy.afterRefusal(lease.name(), v, () -> false);
            if (step instanceof FailoverPolicy.SameAccount same) sameAccount(same.how(), v);
            else if (step instanceof FailoverPolicy.NextAccount) failedOver(v);
            // A refused upgrade says nothing about the request itself: another account may take it.
            else failedOver(new FailureClassifier.Verdict(FailureClass.TRANSIENT, null, v.outcome(),
                    "the upstream refused the WebSocket upgrade (" + u.getResponseStatusCode() + ")"));
            return;
        }
        noAnswer(FailureClassifier.ofTransport(err));
    }

    // ---- what the upstream says -------------------------------------------------------------------------------

    @Override
    public void onHeaders(Function<String, String> headers) {
        Lease l = lease;
        if (l != null) l.answered(headers);
    }

    @Override
    public void onEvent(String json) {
        if (ended) {
            leg.demand();
            return;
        }
        String type = SocketFrames.type(json);
        if ("codex.rate_limits".equals(type)) {
            Map<String, String> h = SocketFrames.rateLimitHeaders(SocketFrames.tree(json));
            lease.answered(h::get);
        }
        if (!committed) {
            if (type != null && PRELUDE.contains(type)) {
                held.add(json);
                leg.demand();
                return;
            }
            if (decidesFailover(type, json)) return;
            commit();
        }
        pass(type, json);
    }

    /** Before the commit: whether this first significant event moves the request on (then it was handled). */
    private boolean decidesFailover(String type, String json) {
        if ("error".equals(type)) {
            JsonNode n = SocketFrames.tree(json);
            int status = SocketFrames.status(n);
            String code = n.path("error").path("code").asText(null);
            if ("previous_response_not_found".equals(code)
                    && policy.afterAnchorMiss() instanceof FailoverPolicy.SameAccount same) {
                // The upstream lost the anchor: the expanded request once more, on a new socket to the same account.
                sameAccount(same.how(), new FailureClassifier.Verdict(FailureClass.REQUEST, null, "anchor miss",
                        "the upstream socket lost the anchor"));
                return true;
            }
            FailureClassifier.Verdict v = FailureClassifier.ofStatus(status == 0 ? 500 : status, SocketFrames.headers(n),
                    json.getBytes(StandardCharsets.UTF_8), f.clock.instant());
            return refused(v);
        }
        if ("response.failed".equals(type)) {
            JsonNode e = SocketFrames.tree(json).path("response").path("error");
            return refused(FailureClassifier.ofEarlyFailure(e.path("code").asText(null), e.path("message").asText(null)));
        }
        return false;
    }

    /**
     * The upstream refused the request before anything reached Codex: the policy says whether the same account tries
     * again, the next one does (both handled here: true), or Codex gets the refusal as it came (false).
     */
    private boolean refused(FailureClassifier.Verdict v) {
        FailoverPolicy.Step step = policy.afterRefusal(lease.name(), v, this::stripReasoning);
        if (step instanceof FailoverPolicy.SameAccount same) {
            sameAccount(same.how(), v);
            return true;
        }
        if (step instanceof FailoverPolicy.NextAccount) {
            exchange.complete(null);
            releaseLink();
            failedOver(v);
            return true;
        }
        failureClass = v.cause();
        return false;
    }

    /** Strips encrypted reasoning from the request (the policy's stale-reasoning repair); false when it had none. */
    private boolean stripReasoning() {
        ObjectNode body = SocketFrames.JSON.createObjectNode();
        body.set("input", fullInput);
        var stripped = EncryptedContentRepair.strip(body.toString().getBytes(StandardCharsets.UTF_8));
        if (stripped.isEmpty()) return false;
        JsonNode input = SocketFrames.tree(new String(stripped.get(), StandardCharsets.UTF_8)).path("input");
        if (!(input instanceof ArrayNode a)) return false;
        fullInput = a;
        rewritten = true;
        sock.book.begin(a); // a later anchor on this request expands without the reasoning too
        return true;
    }

    /**
     * The policy's one more try on the same account (same lease, same permit), once this attempt's exchange is over:
     * always as a full request on a new upstream exchange (the old socket's state and anchors are unknown).
     */
    private void sameAccount(FailoverPolicy.Retry how, FailureClassifier.Verdict v) {
        Lease l = lease;
        chain.add(l.name() + ":" + v.outcome());
        exchange.complete(null);
        releaseLink();
        log.info("Socket request on {}: {}; trying the same account once more ({})", l.name(), v.outcome(), how);
        if (how != FailoverPolicy.Retry.REFRESH_TOKEN) {
            l.idle().whenComplete((x, e) -> prepareAndSend(true));
            return;
        }
        Account used = sentAs != null ? sentAs : l.account();
        CompletableFuture<Account> refreshed;
        try {
            refreshed = f.services.afterUnauthorized(used);
        } catch (RuntimeException e) {
            refreshed = CompletableFuture.failedFuture(e);
        }
        refreshed.whenComplete((acc, err) -> {
            if (err != null) {
                Throwable c = ResponsesForwarder.unwrap(err);
                boolean permanent = c instanceof TokenRefreshException t && t.permanent();
                failedOver(permanent ? v : new FailureClassifier.Verdict(FailureClass.TRANSIENT, null,
                        "token refresh failed", "the access token could not be refreshed"));
                return;
            }
            l.idle().whenComplete((x, e) -> send(acc, true));
        });
    }

    /**
     * The link is not reused after a failure on it: its state (and any anchor on it) is unknown. An HTTP leg is
     * aborted, so the rest of its answer is never taken for the next attempt's.
     */
    private void releaseLink() {
        if (leg instanceof SseLeg sse) sse.abort(new java.io.IOException("codex-relay moved the request on"));
        UpstreamSocketLink l = link;
        if (l != null) {
            l.release(this);
            sock.dropLink();
        }
    }

    private void commit() {
        committed = true;
        servedBy = lease.name();
        chain.add(lease.name() + (link != null ? ":ws" : ":sse"));
        ttfbMs = (System.nanoTime() - t0) / 1_000_000;
        List<String> h = new ArrayList<>(held);
        held.clear();
        for (String ev : h) sock.send(ev, () -> { });
    }

    /** After the commit: to Codex as it came (an error frame without a status gets one), tracking the anchor. */
    private void pass(String type, String json) {
        String out = json;
        boolean terminal = false;
        int status = 200;
        String error = null;
        AttemptOutcome outcome = new AttemptOutcome.Answered(sock.sessionId);
        if ("response.output_item.done".equals(type)) {
            sock.book.output(SocketFrames.tree(json).path("item"));
        } else if ("response.completed".equals(type)) {
            JsonNode resp = SocketFrames.tree(json).path("response");
            usage = resp.path("usage");
            sock.book.completed(resp.path("id").asText(null), link);
            terminal = true;
        } else if ("response.failed".equals(type) || "response.incomplete".equals(type)) {
            JsonNode e = SocketFrames.tree(json).path("response").path("error");
            error = type + (e.has("code") ? " " + e.get("code").asText() : "");
            FailureClassifier.Verdict v = FailureClassifier.ofEarlyFailure(e.path("code").asText(null), e.path("message").asText(null));
            if (v.cause() == FailureClass.QUOTA) {
                outcome = new AttemptOutcome.Failed(v.cause(), v.until(), v.reason(), ResponsesForwarder.codeOf(v), v.planType(), sock.sessionId);
            }
            if (failureClass == null) failureClass = v.cause();
            terminal = true;
        } else if ("error".equals(type)) {
            JsonNode n = SocketFrames.tree(json);
            out = SocketFrames.withStatus(json, n);
            status = SocketFrames.status(n) == 0 ? 500 : SocketFrames.status(n);
            error = "error frame " + status + " " + n.path("error").path("code").asText("");
            FailureClassifier.Verdict v = FailureClassifier.ofStatus(status, SocketFrames.headers(n), json.getBytes(StandardCharsets.UTF_8), f.clock.instant());
            if (v.cause() == FailureClass.QUOTA) {
                outcome = new AttemptOutcome.Failed(v.cause(), v.until(), v.reason(), ResponsesForwarder.codeOf(v), v.planType(), sock.sessionId);
            }
            if (failureClass == null) failureClass = v.cause();
            terminal = true;
        }
        if (!terminal) {
            UpstreamLeg l = leg;
            sock.send(out, l::demand);
            return;
        }
        if (link != null) link.release(this);
        if (!"response.completed".equals(type)) sock.book.abandoned();
        UpstreamLeg l = leg;
        int st = status;
        String err = error;
        AttemptOutcome o = outcome;
        // The outcome and the permit go back before Codex sees the end, so its next request finds the slot free.
        end(st, o, err);
        sock.send(out, l::demand);
    }

    @Override
    public void onRefused(int status, Function<String, String> headers, byte[] body) {
        if (ended) return;
        exchange.complete(null);
        FailureClassifier.Verdict v = FailureClassifier.ofStatus(status, headers, body, f.clock.instant());
        FailoverPolicy.Step step = policy.afterRefusal(lease.name(), v, this::stripReasoning);
        if (step instanceof FailoverPolicy.SameAccount same) {
            sameAccount(same.how(), v);
            return;
        }
        // A provider refused a parameter it does not support: learned, left out, and the request retried once (as
        // UpstreamAttempt does over HTTP).
        if (status == 400 && !parameterRetried && !committed && leg instanceof SseLeg sse
                && sse.dialect() instanceof ConvertingUpstream c && c.learnFrom(body)) {
            parameterRetried = true;
            Lease l = lease;
            chain.add(l.name() + ":400 unsupported parameter");
            l.idle().whenComplete((x, e) -> prepareAndSend(true));
            return;
        }
        if (step instanceof FailoverPolicy.NextAccount || committed) {
            failedOver(v);
            return;
        }
        // A request error: Codex sees it as an error frame with that status (fatal for 400, as over HTTP).
        JsonNode n = SocketFrames.tree(new String(body, StandardCharsets.UTF_8));
        ObjectNode out = SocketFrames.JSON.createObjectNode();
        out.put("type", "error");
        out.put("status", status);
        out.set("error", n.path("error").isObject() ? n.path("error") : SocketFrames.JSON.createObjectNode().put("message", "upstream answered " + status));
        chain.add(lease.name() + ":" + v.outcome());
        failureClass = v.cause();
        servedBy = lease.name();
        committed = true;
        ttfbMs = (System.nanoTime() - t0) / 1_000_000;
        end(status, new AttemptOutcome.Answered(null), v.reason());
        sock.send(out.toString(), () -> { });
    }

    @Override
    public void onGone(Throwable cause) {
        if (ended) return;
        exchange.complete(null);
        if (!committed) {
            if (cause == null) cause = new java.io.IOException("the upstream ended the stream before any event");
            noAnswer(FailureClassifier.ofTransport(cause));
            return;
        }
        // Mid-stream: never replay. Closing Codex's socket makes Codex resend the whole request on a new one.
        sock.book.abandoned();
        releaseLink();
        if (failureClass == null) failureClass = FailureClass.TRANSIENT;
        end(200, new AttemptOutcome.Failed(FailureClass.TRANSIENT, null, "stream ended without response.completed", null, null,
                sock.sessionId), "stream cut: " + (cause == null ? "ended without response.completed" : cause.getMessage()));
        sock.close(1011, "codex-relay: the upstream stream was cut");
    }

    /**
     * No answer came (connect error, the upstream socket or HTTP connection closed before any event): the policy's one
     * more try on the same account for a closed connection, else the next account.
     */
    private void noAnswer(FailureClassifier.Verdict v) {
        if (policy.afterNoAnswer(lease.name(), v) instanceof FailoverPolicy.SameAccount same) {
            sameAccount(same.how(), v);
            return;
        }
        releaseLink();
        failedOver(v);
    }

    /** An attempt failed before anything reached Codex: its outcome goes back on its lease, then the next account. */
    private void failedOver(FailureClassifier.Verdict v) {
        Lease l = lease;
        chain.add(l.name() + ":" + v.outcome());
        CompletableFuture<Void> ex = exchange;
        if (ex != null) ex.complete(null);
        l.close(FailoverPolicy.failed(v));
        lastVerdict = v;
        failureClass = v.cause();
        log.debug("Socket request on {} failed ({}), trying the next account", l.name(), v.outcome());
        next();
    }

    // ---- ending -----------------------------------------------------------------------------------------------

    /** Codex went away (or the relay closed its socket) while this request ran. */
    void clientGone(Throwable cause) {
        if (ended) return;
        UpstreamLeg l = leg;
        if (l != null) l.abort(cause != null ? cause : new java.io.IOException("Codex closed the socket"));
        sock.book.abandoned();
        Lease le = lease;
        CompletableFuture<Void> ex = exchange;
        if (ex != null) ex.complete(null);
        if (le != null) end(200, new AttemptOutcome.Abandoned(committed ? sock.sessionId : null), "client closed the connection");
        else {
            ended = true;
            publish(499, "client closed the connection");
        }
    }

    /** An answer of the relay's own (an error frame); the request ends with it. */
    private void relayAnswer(String json, int status, FailureClass cls, String error) {
        if (ended) return;
        ended = true;
        cancelDeadline();
        if (cls != null && failureClass == null) failureClass = cls;
        sock.book.abandoned();
        ttfbMs = (System.nanoTime() - t0) / 1_000_000;
        publish(status, error);
        sock.send(json, () -> sock.ended(this));
    }

    private void end(int status, AttemptOutcome outcome, String error) {
        if (ended) return;
        ended = true;
        cancelDeadline();
        CompletableFuture<Void> ex = exchange;
        if (ex != null) ex.complete(null);
        lease.close(outcome);
        publish(status, error);
        sock.ended(this);
    }

    private void cancelDeadline() {
        var t = deadlineTimer;
        if (t != null) t.cancel();
    }

    private void publish(int status, String error) {
        long duration = (System.nanoTime() - t0) / 1_000_000;
        JsonNode u = usage;
        Long in = u != null && u.has("input_tokens") ? u.get("input_tokens").asLong() : null;
        Long cached = u != null && u.path("input_tokens_details").has("cached_tokens") ? u.path("input_tokens_details").get("cached_tokens").asLong() : null;
        Long out = u != null && u.has("output_tokens") ? u.get("output_tokens").asLong() : null;
        Long reasoning = u != null && u.path("output_tokens_details").has("reasoning_tokens") ? u.path("output_tokens_details").get("reasoning_tokens").asLong() : null;
        Lease l = lease;
        String account = servedBy != null ? servedBy : l != null ? l.name() : null;
        f.events.publish(new RelayEvent.RequestFinished(new FinishedRequest(startedAt, account, model, sock.path,
                status, ttfbMs, duration, in, cached, out, reasoning, chainForLog(),
                failureClass == null ? null : failureClass.label(), sock.sessionId, error, client.name())));
    }

    /** The failover chain, ending with the last HTTP attempt's redaction count (never the text), as {@link Turn}'s. */
    private List<String> chainForLog() {
        if (redacted == 0) return List.copyOf(chain);
        List<String> out = new ArrayList<>(chain);
        out.add("redacted:" + redacted);
        return List.copyOf(out);
    }

    /** For tests: the request as Codex sent it. */
    @Override public String toString() { return "SocketRequest[" + (prewarm ? "prewarm" : "request") + ", anchor=" + anchor + "]"; }
}
