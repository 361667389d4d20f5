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
import java.time.Instant;

/**
 * Failover for one {@link Turn}: which account next (the pool, skipping those tried), when to give up, and what to
 * tell the client then (the {@link RelayErrors} wording: no accounts, all out of quota, all busy, the last upstream
 * answer handed on, the relay stopping). A failed attempt's outcome goes back on its lease here, in one call.
 */
final class Failover {
    private static final Logger log = LoggerFactory.getLogger(Failover.class);

    /** What a failed attempt answered, kept in case it is the best thing to hand to the client in the end. */
    record LastFailure(int status, HttpFields headers, byte[] body, FailureClassifier.Verdict verdict) {}

    private final ResponsesForwarder f;
    private final Turn t;

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
        } else if (acq instanceof Acquisition.NoAccounts) {
            t.respond(503, RelayErrors.body("relay_no_accounts", "codex-relay has no enabled account. Add one with "
                    + "`codex-relay accounts import-codex` or `codex-relay accounts add-key`, or enable one in the tray."),
                    null, "no enabled account");
        } else if (acq instanceof Acquisition.AllOut out) {
            // No account comes back by itself and a key was rejected: the client hears about the key, not a usage
            // limit (a key-rejected account has no reset time).
            java.util.List<String> rejected = out.earliestReset() == null ? f.pool.keyRejected() : java.util.List.of();
            if (!rejected.isEmpty()) {
                keyRejected(rejected);
                return;
            }
            if (t.lastVerdict == null || isQuotaLike(t.lastVerdict.cause())) allOut(out.earliestReset());
            else handOnLastFailure();
        } else if (acq instanceof Acquisition.AllBusy) {
            if (t.lastVerdict == null || isQuotaLike(t.lastVerdict.cause())) {
                t.respond(503, RelayErrors.body("relay_busy", "Every codex-relay account that could serve is at its "
                        + "concurrency limit (pool.chatgpt_max_concurrent / pool.api_key_max_concurrent, or the "
                        + "account's --max-concurrent) or its pool.requests_per_minute cap. Try again in a moment, "
                        + "or raise the limit."),
                        FailureClass.RATE_LIMITED, "all accounts busy");
            } else {
                handOnLastFailure();
            }
        }
    }

    private boolean isQuotaLike(FailureClass c) {
        return c == FailureClass.QUOTA || c == FailureClass.RATE_LIMITED;
    }

    /**
     * No account can serve because the upstream rejected API keys: 401 (Codex prints "unexpected status 401
     * Unauthorized: " and the message, after its retries) naming the accounts and what to do.
     */
    void keyRejected(java.util.List<String> accounts) {
        String names = String.join(", ", accounts);
        boolean one = accounts.size() == 1;
        String message = "codex-relay: the upstream rejected the API key of account" + (one ? " " : "s ") + names
                + " (401 invalid_api_key), and no other account can serve. Replace the key: `codex-relay accounts remove "
                + accounts.get(0) + "` then `codex-relay accounts add-key --name " + accounts.get(0)
                + " --key-stdin`, or in the tray's Settings > Accounts.";
        com.fasterxml.jackson.databind.node.ObjectNode root = RelayErrors.JSON.createObjectNode();
        com.fasterxml.jackson.databind.node.ObjectNode err = root.putObject("error");
        err.put("type", "invalid_request_error");
        err.put("code", "invalid_api_key");
        err.put("message", message);
        t.respond(401, root.toString(), FailureClass.KEY_REJECTED, "API key rejected: " + names);
    }

    void allOut(Instant earliest) {
        Instant now = f.clock.instant();
        String when = earliest == null ? "" : " The first one is back in about "
                + humanDuration(earliest.getEpochSecond() - now.getEpochSecond()) + ".";
        f.pool.serving(); // lets the pool notice and announce that it is exhausted
        t.respond(429, RelayErrors.usageLimit("All codex-relay accounts are out of quota or cooling down." + when
                + " `codex-relay status` shows each account.", earliest, now), FailureClass.QUOTA, "no account can serve");
    }

    /** An attempt failed in a way that moves the request on. */
    void failedOver(UpstreamAttempt a, FailureClassifier.Verdict v, LastFailure lf) {
        t.chain.add(a.lease.name() + ":" + v.outcome());
        a.lease.close(new AttemptOutcome.Failed(v.cause(), v.until(), v.reason(), ResponsesForwarder.codeOf(v),
                v.planType(), null));
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
    void handOnLastFailure() {
        LastFailure lf = t.lastFailure;
        if (t.lastVerdict.cause() == FailureClass.CHALLENGE) {
            t.respond(503, RelayErrors.body("relay_upstream_challenge", "The upstream asked for a browser check "
                    + "(Cloudflare challenge) on every account that could serve. codex-relay will try again later; "
                    + "opening chatgpt.com in a browser on this machine may clear it."), FailureClass.CHALLENGE,
                    "upstream challenge");
            return;
        }
        if (lf == null && !t.chain.isEmpty() && timedOut().size() == t.chain.size()) {
            // Every account hung (no answer headers in time): the same final answer as the deadline (Codex's retries
            // would each wait again).
            deadlineAnswer();
            return;
        }
        if (lf == null) {
            t.respond(502, RelayErrors.body("relay_upstream_failed", "No codex-relay account could get an answer from "
                    + "its upstream (" + String.join(", ", t.chain) + "). Check the network and `codex-relay status`, "
                    + "then retry."), t.lastVerdict.cause(), t.lastVerdict.reason());
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
        long perAccount = f.upstream.config().firstByteTimeout().toSeconds();
        java.util.List<String> timedOut = timedOut();
        String accounts = timedOut.isEmpty() ? "" : " Timed out: " + String.join(", ", timedOut) + ".";
        String steps = t.chain.isEmpty() ? "" : " Tried: " + String.join(", ", t.chain) + ".";
        log.warn("No answer within upstream.request_deadline_ms ({} s);{}{}", s, accounts, steps);
        t.respondFinal(504, "relay_upstream_timeout", "codex-relay got no answer from any account's upstream in time "
                + "(upstream.first_byte_timeout_ms = " + perAccount + " s per account, upstream.request_deadline_ms = " + s
                + " s in all)." + accounts + steps + " The upstream may be down or "
                + "unreachable; check the network and `codex-relay status`, then retry.", FailureClass.TRANSIENT,
                "request deadline passed" + (timedOut.isEmpty() ? "" : "; timed out: " + String.join(", ", timedOut)));
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

    static String humanDuration(long seconds) {
        if (seconds < 60) return Math.max(0, seconds) + " s";
        long m = seconds / 60;
        if (m < 60) return m + " min";
        return (m / 60) + " h " + (m % 60) + " min";
    }
}
