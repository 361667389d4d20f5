package io.codexrelay.proxy;

import io.codexrelay.events.FinishedRequest;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.pool.AttemptOutcome;
import io.codexrelay.pool.FailureClass;
import io.codexrelay.pool.RouteRequest;
import org.eclipse.jetty.util.Callback;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The turn: one client request, across however many attempts it takes. It holds what does not depend on the wire
 * format (the canonical body, the thread key, the model, the accounts tried, the failover chain) and ends exactly once
 * ({@link #finish}: the RequestFinished event and the transport's callback). Which account comes next and what the
 * client hears when none can serve is {@link Failover}'s job; one exchange with one account is an
 * {@link UpstreamAttempt}; the answer goes out through the turn's {@link ClientSink}.
 */
final class Turn {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Turn.class);
    final ResponsesForwarder f;
    /** The request, without its body: {@link #body} is the one copy the turn keeps. */
    final ResponsesForwarder.Incoming in;
    /** Where the answer goes (the inbound dialect's view of the transport's sink). */
    final ClientSink sink;
    final Callback callback;
    final Failover failover;
    final RouteRequest routeRequest;
    /** The key the request came with: its name goes to the log, its account (if any) is tried first. */
    final ClientKeys.Key client;
    final Instant startedAt;
    final long t0 = System.nanoTime();
    final Set<String> tried = new HashSet<>();
    final List<String> chain = new ArrayList<>();
    final AtomicBoolean finished = new AtomicBoolean();

    volatile UpstreamAttempt current;
    volatile boolean committed;
    volatile boolean cut;
    volatile Throwable clientFailure;
    Long ttfbMs;
    Failover.LastFailure lastFailure;
    FailureClassifier.Verdict lastVerdict;
    FailureClass failureClass;
    String servedBy;
    volatile String lastTried;
    /**
     * The canonical body sent upstream: the client's, or after a stale-reasoning repair the stripped one. Null once the
     * answer is committed: no attempt follows, and a long answer should not keep the whole conversation in memory.
     */
    volatile byte[] body;
    volatile boolean repaired;
    /** A parameter an upstream refused was learned and the request retried without it (once per request). */
    volatile boolean parameterRetried;
    /** Redaction matches replaced in the last attempt's body; the request log's chain ends with "redacted:N". */
    volatile int redacted;

    Turn(ResponsesForwarder f, ResponsesForwarder.Incoming in, ClientSink sink, Callback callback) {
        this.f = f;
        this.in = in.withoutBody();
        this.body = in.body();
        this.sink = sink;
        this.callback = callback;
        this.startedAt = f.clock.instant();
        this.client = in.client() != null ? in.client() : f.clients.forCodex(in.headers());
        this.routeRequest = client.route(in.sessionId(), in.model(), in.path());
        this.failover = new Failover(f, this);
    }

    /** Set when {@code upstream.request_deadline_ms} passed before an answer was committed: no more accounts are tried. */
    volatile boolean deadlinePassed;
    /** Accounts whose upstream sent no answer headers in time during this request (hung), for what the client hears. */
    final Set<String> hung = ConcurrentHashMap.newKeySet();
    private volatile org.eclipse.jetty.util.thread.Scheduler.Task deadlineTimer;

    void start() {
        sink.onClientGone(this::clientGone);
        long deadlineMs = f.upstream.config().requestDeadline().toMillis();
        deadlineTimer = f.upstream.timers().schedule(this::deadlineReached, deadlineMs,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        failover.next();
    }

    /**
     * The request's whole wait is bounded (all upstreams hanging would otherwise cost accounts x first-byte timeout):
     * the attempt waiting now is cut, and the failover answers instead of trying the next account.
     */
    private void deadlineReached() {
        if (finished.get() || committed) return;
        deadlinePassed = true;
        UpstreamAttempt a = current;
        if (a != null && !a.streaming) {
            if (a.upResponse == null) hung.add(a.lease.name());
            a.abortUpstream(new java.util.concurrent.TimeoutException("request deadline reached"));
        }
    }

    /**
     * A refusal the client should not retry ({@link RelayErrors#writeFinal}): Codex gets 400 with the message as plain
     * text (printed at once), other clients {@code status} with the relay's JSON error.
     */
    void respondFinal(int status, String type, String message, FailureClass cls, String error) {
        if (!RelayErrors.fromCodex(in.headers())) {
            respond(status, RelayErrors.body(type, message), cls, error);
            return;
        }
        if (!begin()) return;
        if (cls != null && failureClass == null) failureClass = cls;
        commitMark();
        sink.status(400);
        sink.headers().put("Content-Type", "text/plain; charset=utf-8");
        sink.headers().put("Cache-Control", "no-store");
        sink.headers().put("x-relay-error", type);
        sink.write(true, java.nio.ByteBuffer.wrap(message.getBytes(java.nio.charset.StandardCharsets.UTF_8)), Callback.from(
                () -> finish(400, null, error, null),
                x -> finish(400, null, error, x)));
    }

    /** A whole answer of the relay's own. */
    void respond(int status, String json, FailureClass cls, String error) {
        if (!begin()) return;
        if (cls != null && failureClass == null) failureClass = cls;
        commitMark();
        sink.writeJson(status, json, Callback.from(
                () -> finish(status, null, error, null),
                x -> finish(status, null, error, x)));
    }

    /** Claims the response for writing; false when the exchange already ended (e.g. the client left). */
    private final AtomicBoolean writing = new AtomicBoolean();

    boolean begin() {
        return !finished.get() && writing.compareAndSet(false, true);
    }

    void commitMark() {
        committed = true;
        ttfbMs = (System.nanoTime() - t0) / 1_000_000;
        // Nothing sends the body again once the answer is committed: let it go, and give its bytes back to the budget
        // now rather than when the answer ends (minutes later for a long one).
        body = null;
        in.bodyDone().run();
    }

    void clientGone(Throwable x) {
        if (finished.get()) return;
        clientFailure = x;
        UpstreamAttempt a = current;
        log.info("The client closed its connection {} the answer began{}; the upstream exchange is cancelled and the "
                + "request is not tried on another account", committed ? "after" : "before",
                a == null ? "" : " (account " + a.lease.name() + ")");
        if (a != null) a.abortUpstream(x);
        // A streaming attempt ends itself through its copy callback; otherwise end here.
        if (a == null || !a.streaming) {
            if (a != null) a.lease.close(AttemptOutcome.ABANDONED);
            finish(499, null, "client closed the connection", x);
        }
    }

    void cut() {
        cut = true;
        UpstreamAttempt a = current;
        if (a != null) a.abortUpstream(new ResponsesForwarder.RelayStopping());
        else if (!committed) failover.stoppingAnswer();
    }

    /** The failover chain, ending with how many redaction matches the last attempt's body had (the count, never the text). */
    private List<String> chainForLog() {
        if (redacted == 0) return List.copyOf(chain);
        List<String> out = new ArrayList<>(chain);
        out.add("redacted:" + redacted);
        return List.copyOf(out);
    }

    /** Records the request and completes the Jetty callback, exactly once. */
    void finish(int status, SseTap tap, String error, Throwable failure) {
        if (!finished.compareAndSet(false, true)) return;
        var timer = deadlineTimer;
        if (timer != null) timer.cancel();
        long duration = (System.nanoTime() - t0) / 1_000_000;
        SseTap.Usage u = tap == null ? null : tap.usage();
        String account = servedBy != null ? servedBy : lastTried;
        FinishedRequest r = new FinishedRequest(startedAt, account, in.model(), in.path(), status, ttfbMs, duration,
                u == null ? null : u.inputTokens(), u == null ? null : u.cachedTokens(),
                u == null ? null : u.outputTokens(), u == null ? null : u.reasoningTokens(), chainForLog(),
                failureClass == null ? null : failureClass.label(), in.sessionId(), error, client.name());
        f.events.publish(new RelayEvent.RequestFinished(r));
        try {
            if (failure != null) callback.failed(failure);
            else callback.succeeded();
        } finally {
            f.finished(this);
        }
    }
}
