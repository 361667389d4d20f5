package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.account.TokenRefreshException;
import io.codexrelay.pool.FailureClass;
import io.codexrelay.pool.AttemptOutcome;
import io.codexrelay.pool.Lease;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One exchange with one account's upstream (P2S / S2P): credentials made fresh, the request sent through the account's
 * {@link UpstreamDialect}, the answer classified ({@link FailureClassifier}) before anything is committed, a 401 refresh
 * or a stale-reasoning repair retried once on the same lease; the outcome goes back on the lease in one call
 * ({@link Lease#close}). What a committed answer does on its way to the client is the {@link StreamGate}'s job.
 */
final class UpstreamAttempt implements org.eclipse.jetty.client.Response.Listener, StreamGate.Ends {
    private static final Logger log = LoggerFactory.getLogger(UpstreamAttempt.class);
    /** Most of a failed (non-2xx) answer kept to classify it and to hand it on. */
    private static final int ERROR_BODY_MAX = 1024 * 1024;

    /** What the answer's first bytes are for: classifying an error, the gate's hold, or a plain 2xx body. */
    private enum Mode { COLLECT, HOLD, STREAM }

    final ResponsesForwarder fwd;
    final Turn x;
    final Lease lease;
    /** The account as sent: its credentials may be fresher than the lease's. */
    volatile Account sent;
    final AtomicBoolean settled = new AtomicBoolean();
    /** The request is being built on a pool thread (see {@link #sendWith}). */
    private boolean dispatched;
    /** {@link #pump} as a non-blocking task: the client runs it on its selector when more of the answer arrives. */
    private final Runnable pumpTask = org.eclipse.jetty.util.thread.Invocable.from(
            org.eclipse.jetty.util.thread.Invocable.InvocationType.NON_BLOCKING, this::pump);
    /** Completes when the exchange with the upstream is over: its answer read to the end, or failed/aborted. */
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** The account's outcome for a committed answer, given once (see {@link #upstreamEnded()}). */
    final AtomicBoolean judged = new AtomicBoolean();
    /** What went wrong with a committed answer that ended, for the request log (null: nothing). */
    volatile String endError;
    /** How this attempt's account is spoken to (set when sending). */
    volatile UpstreamDialect dialect;
    org.eclipse.jetty.client.Request upRequest;
    volatile Scheduler.Task firstByteTimer;
    volatile org.eclipse.jetty.client.Response upResponse;
    volatile Content.Source source;
    volatile boolean streaming;
    Mode mode;
    /** The gate of a 2xx answer (hold, commit, pass through); null for other answers. */
    StreamGate gate;
    /** The gate's tap on the events (null: not an event stream). */
    SseTap tap;
    /** A non-2xx answer's body, kept (up to {@link #ERROR_BODY_MAX}) to classify it and to hand it on. */
    ByteArrayOutputStream errorBody;

    UpstreamAttempt(ResponsesForwarder fwd, Turn x, Lease lease) {
        this.fwd = fwd;
        this.x = x;
        this.lease = lease;
    }

    /** Makes the credentials fresh (a refresh only when the token is about to expire), then sends. */
    void send() {
        CompletableFuture<Account> prepared;
        try {
            prepared = fwd.services.prepare(lease.account());
        } catch (RuntimeException e) {
            prepared = CompletableFuture.failedFuture(e);
        }
        if (prepared.isDone() && !prepared.isCompletedExceptionally()) {
            sendWith(prepared.join());
            return;
        }
        prepared.whenComplete((acc, err) -> {
            if (err != null) credentialsFailed(ResponsesForwarder.unwrap(err), null);
            else sendWith(acc);
        });
    }

    /** No usable credentials: a dead login moves the account to "re-login", a passing problem just moves on. */
    void credentialsFailed(Throwable err, Failover.LastFailure lf) {
        if (!settled.compareAndSet(false, true) && lf == null) return;
        if (x.finished.get()) {
            lease.close(new AttemptOutcome.Abandoned(servedThread()));
            return;
        }
        boolean permanent = err instanceof TokenRefreshException t && t.permanent();
        FailureClassifier.Verdict v = permanent
                ? new FailureClassifier.Verdict(FailureClass.AUTH, null, lf != null ? "401 refresh failed" : "relogin needed",
                        err.getMessage() != null ? err.getMessage() : "the login is no longer valid")
                : new FailureClassifier.Verdict(FailureClass.TRANSIENT, null, "token refresh failed",
                        "the access token could not be refreshed");
        x.failover.failedOver(this, v, lf);
    }

    void sendWith(Account account) {
        byte[] body = x.body;
        if (x.finished.get() || body == null) { // the turn ended, or answered by itself (which let the body go), meanwhile
            lease.close(new AttemptOutcome.Abandoned(servedThread()));
            return;
        }
        sent = account;
        UpstreamDialect d = fwd.upstreamFor(account);
        if (d instanceof ConvertingUpstream && !dispatched) {
            // A converting dialect reads what the account learned from the database while building its request: not on
            // a selector thread (this runs on one, inline with the client's request or the last attempt's answer).
            dispatched = true;
            try {
                fwd.upstream.executor().execute(() -> sendWith(account));
                return;
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping: build it here
            }
        }
        ResponsesForwarder.Incoming in = x.in;
        try {
            dialect = d;
            upRequest = dialect.newRequest(account, in, body);
            x.redacted = dialect.redacted();
        } catch (RuntimeException e) {
            // A bad base URL of this account: it cannot serve; try the next.
            settled.set(true);
            x.failover.failedOver(this, new FailureClassifier.Verdict(FailureClass.TRANSIENT, null, "bad upstream URL",
                    "the account's upstream URL is not usable"), null);
            return;
        }
        if (!lease.use(closed)) return; // the exchange ended meanwhile (Codex left): nothing to send
        long fbt = fwd.upstream.config().firstByteTimeout().toMillis();
        firstByteTimer = fwd.upstream.timers().schedule(
                () -> {
                    x.hung.add(lease.name());
                    upRequest.abort(new TimeoutException("no answer from the upstream within " + fbt + " ms"));
                },
                fbt, TimeUnit.MILLISECONDS);
        upRequest.send(this);
    }

    /** The thread key when this attempt's 2xx answer was committed to the client (it binds the thread), else null. */
    String servedThread() {
        return streaming ? x.in.sessionId() : null;
    }

    void abortUpstream(Throwable why) {
        var r = upRequest;
        if (r != null) r.abort(why);
    }

    @Override
    public void onHeaders(org.eclipse.jetty.client.Response r) {
        cancelTimer();
        upResponse = r;
        int status = r.getStatus();
        lease.answered(r.getHeaders()::get);
        if (status >= 200 && status < 300) {
            String ct = r.getHeaders().get("content-type");
            if (ct != null && ct.toLowerCase(Locale.ROOT).contains("text/event-stream")) {
                mode = Mode.HOLD;
                gate = StreamGate.events();
                tap = gate.tap();
            } else {
                mode = Mode.STREAM;
                gate = StreamGate.passThrough();
            }
        } else {
            mode = Mode.COLLECT;
            errorBody = new ByteArrayOutputStream(1024);
        }
    }

    @Override
    public void onContentSource(org.eclipse.jetty.client.Response r, Content.Source src) {
        source = dialect.canonicalAnswer(src);
        if (mode == Mode.STREAM) {
            if (settled.compareAndSet(false, true)) commit(null);
            return;
        }
        pump();
    }

    /** Reads until a decision (collect / hold mode); never writes to Codex before the commit. */
    void pump() {
        while (!settled.get()) {
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(pumpTask);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                transportFailed(chunk.getFailure());
                return;
            }
            boolean last = chunk.isLast();
            if (last) closed.complete(null);
            ByteBuffer buf = chunk.getByteBuffer();
            String first = null;
            try {
                if (mode == Mode.COLLECT) {
                    int room = ERROR_BODY_MAX - errorBody.size();
                    if (room > 0) StreamGate.copyInto(errorBody, buf, Math.min(room, buf.remaining()));
                } else {
                    first = gate.hold(buf);
                }
            } finally {
                chunk.release();
            }
            if (mode == Mode.COLLECT) {
                if (last) collected();
                continue;
            }
            if (first != null) {
                if (SseTap.FAILED.equals(first)) {
                    FailureClassifier.Verdict v = FailureClassifier.ofEarlyFailure(tap.failureCode(), tap.failureMessage());
                    if (v.cause() == FailureClass.STALE_REASONING && repairable()) {
                        if (!settled.compareAndSet(false, true)) return;
                        abortUpstream(new FailoverAbort());
                        repairAndRetry(v);
                        return;
                    }
                    if (v.failsOver()) {
                        if (!settled.compareAndSet(false, true)) return;
                        abortUpstream(new FailoverAbort());
                        x.failover.failedOver(this, v, new Failover.LastFailure(upResponse.getStatus(),
                                HttpFields.build(upResponse.getHeaders()).asImmutable(), gate.heldBytes(), v));
                        return;
                    }
                    x.failureClass = v.cause();
                }
                if (settled.compareAndSet(false, true)) commit(gate.heldBytes(), last);
                return;
            }
            if (last) {
                if (settled.compareAndSet(false, true)) commit(gate.heldBytes(), true);
                return;
            }
        }
    }

    /** Whether the request still has encrypted reasoning to strip (a repair is tried once per request). */
    boolean repairable() {
        byte[] body = x.body;
        if (x.repaired || body == null) return false;
        var stripped = EncryptedContentRepair.strip(body);
        if (stripped.isEmpty()) return false;
        x.repaired = true;
        x.body = stripped.get();
        return true;
    }

    /** Stale reasoning: the stripped body goes once more to the same account. */
    void repairAndRetry(FailureClassifier.Verdict v) {
        x.chain.add(lease.name() + ":" + v.outcome());
        log.info("Request on {} had reasoning this account cannot verify; retrying once without encrypted reasoning",
                lease.name());
        x.failover.retrySameAccount(lease, sent);
    }

    /** 401: one token refresh (shared with every concurrent request of the account) and one retry. */
    void refreshAndRetry(FailureClassifier.Verdict v, Failover.LastFailure lf) {
        Account used = sent != null ? sent : lease.account();
        CompletableFuture<Account> refreshed;
        try {
            refreshed = fwd.services.afterUnauthorized(used);
        } catch (RuntimeException e) {
            refreshed = CompletableFuture.failedFuture(e);
        }
        refreshed.whenComplete((acc, err) -> {
            if (err != null) {
                Throwable c = ResponsesForwarder.unwrap(err);
                boolean permanent = c instanceof TokenRefreshException t && t.permanent();
                if (permanent) x.failover.failedOver(this, v, lf);
                else credentialsFailed(c, lf);
                return;
            }
            x.chain.add(lease.name() + ":" + v.outcome());
            log.info("Account {}: 401, token refreshed, retrying once", lease.name());
            x.failover.retrySameAccount(lease, acc);
        });
    }

    /** The whole non-2xx answer is in: fail over, or hand it to Codex. */
    void collected() {
        if (!settled.compareAndSet(false, true)) return;
        var r = upResponse;
        byte[] body = errorBody.toByteArray();
        FailureClassifier.Verdict v = FailureClassifier.ofStatus(r.getStatus(), r.getHeaders()::get, body, fwd.clock.instant());
        FailoverPolicy.Step step = x.failover.policy.afterRefusal(lease.name(), v, this::repairable);
        if (step instanceof FailoverPolicy.SameAccount same) {
            if (same.how() == FailoverPolicy.Retry.REFRESH_TOKEN) {
                refreshAndRetry(v, new Failover.LastFailure(r.getStatus(), HttpFields.build(r.getHeaders()).asImmutable(), body, v));
            } else {
                repairAndRetry(v);
            }
            return;
        }
        // A provider refused a parameter it does not support: learned, left out, and the request retried once.
        if (r.getStatus() == 400 && !x.parameterRetried && dialect instanceof ConvertingUpstream c && c.learnFrom(body)) {
            x.parameterRetried = true;
            x.chain.add(lease.name() + ":400 unsupported parameter");
            x.failover.retrySameAccount(lease, sent);
            return;
        }
        if (step instanceof FailoverPolicy.NextAccount) {
            x.failover.failedOver(this, v, new Failover.LastFailure(r.getStatus(), HttpFields.build(r.getHeaders()).asImmutable(), body, v));
            return;
        }
        // A request error: Codex sees it unchanged; the account did nothing wrong.
        x.chain.add(lease.name() + ":" + v.outcome());
        x.failureClass = v.cause();
        x.servedBy = lease.name();
        lease.close(new AttemptOutcome.Answered(servedThread()));
        if (!x.begin()) return;
        x.sink.status(r.getStatus());
        fwd.copyHeadersForCodex(r.getHeaders(), x.sink, lease.account());
        x.commitMark();
        x.sink.write(true, ByteBuffer.wrap(body), Callback.from(
                () -> x.finish(r.getStatus(), null, v.reason(), null),
                err -> x.finish(r.getStatus(), null, "client closed the connection", err)));
    }

    void commit(byte[] heldBytes) { commit(heldBytes, false); }

    /** From here on Codex sees this attempt's answer: headers, held bytes, then every chunk as it comes. */
    void commit(byte[] heldBytes, boolean lastAlready) {
        if (!x.begin()) {
            abortUpstream(new java.io.IOException("client gone"));
            lease.close(new AttemptOutcome.Abandoned(servedThread()));
            return;
        }
        var r = upResponse;
        x.servedBy = lease.name();
        x.chain.add(lease.name() + ":" + r.getStatus());
        x.sink.status(r.getStatus());
        fwd.copyHeadersForCodex(r.getHeaders(), x.sink, lease.account());
        x.commitMark();
        streaming = true;
        if (lastAlready) upstreamEnded();
        gate.open(x.sink, heldBytes, lastAlready, source, this);
    }

    @Override
    public void clientFailed(Throwable err) {
        if (x.clientFailure == null) x.clientFailure = err;
        abortUpstream(err);
    }

    /**
     * The committed answer's last bytes came from the upstream: the exchange is over, and the account's outcome is
     * given now, before those bytes go to Codex (once).
     */
    @Override
    public void upstreamEnded() {
        closed.complete(null);
        if (!judged.compareAndSet(false, true)) return;
        if (tap != null && !tap.completed() && tap.failed()) {
            FailureClassifier.Verdict v = FailureClassifier.ofEarlyFailure(tap.failureCode(), tap.failureMessage());
            if (v.cause() == FailureClass.QUOTA) {
                lease.close(new AttemptOutcome.Failed(v.cause(), v.until(), v.reason(), ResponsesForwarder.codeOf(v),
                        v.planType(), servedThread()));
            } else {
                lease.close(new AttemptOutcome.Answered(servedThread()));
            }
            if (x.failureClass == null) x.failureClass = v.cause();
            endError = "response.failed " + tap.failureCode();
        } else if (tap != null && !tap.completed()) {
            lease.close(new AttemptOutcome.Failed(FailureClass.TRANSIENT, null, "stream ended without response.completed",
                    null, null, servedThread()));
            if (x.failureClass == null) x.failureClass = FailureClass.TRANSIENT;
            endError = "stream ended without response.completed";
        } else {
            lease.close(new AttemptOutcome.Answered(servedThread()));
        }
    }

    /** The committed answer ended: completely (failure null), because Codex left, or because the upstream died. */
    @Override
    public void ended(Throwable failure) {
        int status = upResponse.getStatus();
        if (failure == null) {
            upstreamEnded();
            x.finish(status, tap, endError, null);
            return;
        }
        if (x.clientFailure != null) {
            abortUpstream(failure);
            lease.close(new AttemptOutcome.Abandoned(servedThread()));
            x.finish(status, tap, "client closed the connection", x.clientFailure);
            return;
        }
        // The upstream died mid-stream (or the relay is stopping): end the answer cleanly; Codex sees a stream
        // without response.completed and retries the turn.
        FailureClassifier.Verdict v = failure instanceof ResponsesForwarder.RelayStopping ? null : FailureClassifier.ofTransport(failure);
        if (v != null) {
            lease.close(new AttemptOutcome.Failed(v.cause(), v.until(), v.reason(), null, null, servedThread()));
            if (x.failureClass == null) x.failureClass = v.cause();
        } else {
            lease.close(new AttemptOutcome.Abandoned(servedThread()));
        }
        String error = v == null ? "cut: the relay is stopping" : "stream cut: " + v.outcome();
        if (tap == null) {
            // Not an event stream: end the answer without its terminating chunk, so the client sees a broken body,
            // never a complete one.
            x.finish(status, null, error, failure);
            return;
        }
        // An event stream: a response.failed with a retryable code, so Codex retries the turn and, if the retries
        // fail too, prints what happened (docs/design.md, "Faults the relay answers").
        String message = v == null
                ? "codex-relay is stopping; the answer was cut. Start the relay again (`codex-relay serve`) and retry."
                : "The upstream of account " + lease.name() + " cut the answer mid-stream (" + v.reason()
                        + "); codex-relay ended it as failed so that Codex retries.";
        x.sink.write(true, ByteBuffer.wrap(RelayErrors.streamFailedEvent(message)),
                Callback.from(() -> x.finish(status, tap, error, null), err -> x.finish(status, tap, error, err)));
    }

    @Override
    public void onComplete(Result result) {
        closed.complete(null);
        cancelTimer();
        if (result.isFailed()) {
            Throwable f = result.getFailure();
            if (f instanceof FailoverAbort) return;
            if (source == null || mode != Mode.STREAM) transportFailed(f);
            return;
        }
        // Success without a content source: an answer without a body.
        if (source == null && !settled.get()) {
            if (mode == Mode.COLLECT) collected();
            else if (settled.compareAndSet(false, true)) commit(new byte[0], true);
        }
    }

    /** Nothing usable came back (before commit): fail over, unless the client left or the relay stops. */
    void transportFailed(Throwable f) {
        if (!settled.compareAndSet(false, true)) return;
        cancelTimer();
        if (x.clientFailure != null || x.finished.get()) {
            lease.close(new AttemptOutcome.Abandoned(servedThread()));
            return;
        }
        if (f instanceof ResponsesForwarder.RelayStopping) {
            lease.close(new AttemptOutcome.Abandoned(servedThread()));
            x.failover.stoppingAnswer();
            return;
        }
        FailureClassifier.Verdict v = FailureClassifier.ofTransport(f);
        x.failover.failedOver(this, v, null);
    }

    void cancelTimer() {
        Scheduler.Task t = firstByteTimer;
        if (t != null) t.cancel();
    }

    /** Aborts an attempt the forwarder gave up on itself (no failure to report). */
    private static final class FailoverAbort extends Exception {
        FailoverAbort() { super("failing over", null, false, false); }
    }
}
