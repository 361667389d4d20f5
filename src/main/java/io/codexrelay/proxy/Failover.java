package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.pool.Acquisition;
import io.codexrelay.pool.AttemptOutcome;
import io.codexrelay.pool.FailureClass;
import io.codexrelay.pool.Lease;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;

/**
 * Failover for one {@link Turn}, HTTP's mechanics of the {@link FailoverPolicy} it shares with sockets: the next
 * account (the pool, skipping those tried), a retry on the same lease once the previous exchange has closed, and the
 * policy's answer when no account is left in HTTP's shape (JSON bodies, the last upstream answer handed on, the
 * request deadline, the relay stopping). A failed attempt's outcome goes back on its lease here, in one call.
 */
final class Failover {
    private static final Logger log = LoggerFactory.getLogger(Failover.class);

    /** What a failed attempt answered, kept in case it is the best thing to hand to the client in the end. */
    record LastFailure(int status, HttpFields headers, byte[] body, FailureClassifier.Verdict verdict) {}

    private final ResponsesForwarder f;
    private final Turn t;
    /** When to retry an account, move on or give up, and what the client hears then: shared with sockets. */
    final FailoverPolicy policy = new FailoverPolicy();

    Failover(ResponsesForwarder f, Turn t) {
        this.f = f;
        this.t = t;
    }

    void next() {
        if (t.finished.get()) return;
        if (t.deadlinePassed) {
            deadlineAnswer();
            return;
        }
        f.pool.acquire(t.routeRequest, t.tried).whenComplete((acq, err) -> {
            if (err != null) {
                log.warn("Choosing an account failed", err);
                t.respond(500, RelayErrors.body("relay_error", "codex-relay failed to choose an account: " + err
                        + ". See the relay log."), null, "relay error");
                return;
            }
            onAcquired(acq);
        });
    }

    void onAcquired(Acquisition acq) {
        if (acq instanceof Acquisition.Leased l) {
            if (t.finished.get() || t.cut || t.deadlinePassed) {
                l.lease().close(AttemptOutcome.ABANDONED);
                if (t.cut) stoppingAnswer();
                else if (t.deadlinePassed) deadlineAnswer();
                return;
            }
            if (t.tried.isEmpty()) f.events.publish(new RelayEvent.RequestStarted(l.lease().name(), t.in.sessionId()));
            t.tried.add(l.lease().name());
            t.lastTried = l.lease().name();
            UpstreamAttempt a = new UpstreamAttempt(f, t, l.lease());
            t.current = a;
            a.send();
        } else {
            refuse(policy.noAccountLeft(acq, t.lastVerdict, t.chain, f.pool::keyRejected, f.clock.instant()));
        }
    }

    /** No account is left: the policy's answer, in HTTP's shape. */
    private void refuse(FailoverPolicy.Refusal r) {
        switch (r.why()) {
            case UPSTREAM_FAILED -> handOnLastFailure(r);
            case ALL_OUT -> {
                f.pool.serving(); // lets the pool notice and announce that it is exhausted
                t.respond(429, RelayErrors.usageLimit(r.message(), r.resetsAt(), f.clock.instant()), r.failureClass(),
                        r.logError());
            }
            case KEY_REJECTED -> {
                com.fasterxml.jackson.databind.node.ObjectNode root = RelayErrors.JSON.createObjectNode();
                com.fasterxml.jackson.databind.node.ObjectNode err = root.putObject("error");
                err.put("type", "invalid_request_error");
                err.put("code", r.code());
                err.put("message", r.message());
                t.respond(r.status(), root.toString(), r.failureClass(), r.logError());
            }
            default -> t.respond(r.status(), RelayErrors.body(r.code(), r.message()), r.failureClass(), r.logError());
        }
    }

    /**
     * An attempt failed in a way that moves the request on; one that got no answer ({@code lf} null) may first get
     * the policy's one more try on the same account.
     */
    void failedOver(UpstreamAttempt a, FailureClassifier.Verdict v, LastFailure lf) {
        t.chain.add(a.lease.name() + ":" + v.outcome());
        if (lf == null && !t.deadlinePassed && policy.afterNoAnswer(a.lease.name(), v) instanceof FailoverPolicy.SameAccount) {
            log.debug("Attempt on {} got no answer ({}), trying the same account once more", a.lease.name(), v.outcome());
            retrySameAccount(a.lease, a.sent);
            return;
        }
        a.lease.close(FailoverPolicy.failed(v));
        t.lastVerdict = v;
        if (lf != null) t.lastFailure = lf;
        t.failureClass = v.cause();
        if (t.finished.get()) return;
        if (t.cut) {
            stoppingAnswer();
            return;
        }
        if (t.deadlinePassed) {
            deadlineAnswer();
            return;
        }
        log.debug("Attempt on {} failed ({}), trying the next account", a.lease.name(), v.outcome());
        next();
    }

    /**
     * Runs the request again on the same lease (same account, same permit), once the previous exchange with the
     * upstream has closed: one permit never covers two open exchanges.
     */
    void retrySameAccount(Lease lease, Account withCredentials) {
        lease.idle().whenComplete((v, e) -> {
            if (t.finished.get()) {
                lease.close(AttemptOutcome.ABANDONED);
                return;
            }
            if (t.cut) {
                lease.close(AttemptOutcome.ABANDONED);
                stoppingAnswer();
                return;
            }
            UpstreamAttempt next = new UpstreamAttempt(f, t, lease);
            t.current = next;
            if (withCredentials != null) next.sendWith(withCredentials);
            else next.send();
        });
    }

    /**
     * Every account that could serve failed for a reason that is not quota: hand Codex the last upstream answer
     * as it was (5xx and the like, which Codex may retry), or say what went wrong when there was no answer.
     */
    private void handOnLastFailure(FailoverPolicy.Refusal r) {
        LastFailure lf = t.lastFailure;
        if (lf == null && !t.chain.isEmpty() && timedOut().size() == t.chain.size()) {
            // Every account hung (no answer headers in time): the same final answer as the deadline (Codex's retries
            // would each wait again).
            deadlineAnswer();
            return;
        }
        if (lf == null) {
            t.respond(r.status(), RelayErrors.body(r.code(), r.message()), r.failureClass(), r.logError());
            return;
        }
        if (!t.begin()) return;
        t.sink.status(lf.status());
        f.copyHeadersForCodex(lf.headers(), t.sink, null);
        t.commitMark();
        t.sink.write(true, ByteBuffer.wrap(lf.body()), Callback.from(
                () -> t.finish(lf.status(), null, lf.verdict().reason(), null),
                x -> t.finish(lf.status(), null, "client closed the connection", x)));
    }

    /**
     * {@code upstream.request_deadline_ms} passed with no answer: say which accounts were tried and how each ended
     * (a hung upstream shows as "timeout"). Final for Codex: its retries would each wait the deadline again.
     */
    void deadlineAnswer() {
        long s = f.upstream.config().requestDeadline().toSeconds();
        java.util.List<String> timedOut = timedOut();
        String accounts = timedOut.isEmpty() ? "" : " Timed out: " + String.join(", ", timedOut) + ".";
        String steps = t.chain.isEmpty() ? "" : " Tried: " + String.join(", ", t.chain) + ".";
        log.warn("No answer within upstream.request_deadline_ms ({} s);{}{}", s, accounts, steps);
        t.respondFinal(504, "relay_upstream_timeout", timeoutMessage(f.upstream.config(), timedOut, t.chain), FailureClass.TRANSIENT,
                "request deadline passed" + (timedOut.isEmpty() ? "" : "; timed out: " + String.join(", ", timedOut)));
    }

    /** What the client is told when no upstream answered in time (HTTP and socket requests alike). */
    static String timeoutMessage(io.codexrelay.config.RelayConfig.Upstream config, java.util.List<String> timedOut, java.util.List<String> chain) {
        String accounts = timedOut.isEmpty() ? "" : " Timed out: " + String.join(", ", timedOut) + ".";
        String steps = chain.isEmpty() ? "" : " Tried: " + String.join(", ", chain) + ".";
        return "codex-relay got no answer from any account's upstream in time (upstream.first_byte_timeout_ms = "
                + config.firstByteTimeout().toSeconds() + " s per account, upstream.request_deadline_ms = "
                + config.requestDeadline().toSeconds() + " s in all)." + accounts + steps + " The upstream may be down or "
                + "unreachable; check the network and `codex-relay status`, then retry.";
    }

    /** The accounts whose upstream hung (no answer headers in time) in this request, in the order tried. */
    private java.util.List<String> timedOut() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String step : t.chain) {
            int colon = step.indexOf(':');
            if (colon > 0 && step.substring(colon + 1).contains("timeout") && t.hung.contains(step.substring(0, colon))) {
                out.add(step.substring(0, colon));
            }
        }
        return out;
    }

    void stoppingAnswer() {
        t.respond(503, RelayErrors.body("relay_stopping", "codex-relay is stopping; start it again (`codex-relay serve`) "
                + "and retry."), null, "relay stopping");
    }

}
