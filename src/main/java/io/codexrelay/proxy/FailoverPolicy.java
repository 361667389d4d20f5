package io.codexrelay.proxy;

import io.codexrelay.pool.Acquisition;
import io.codexrelay.pool.AttemptOutcome;
import io.codexrelay.pool.FailureClass;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The failover policy of one client request, the same whatever the transport (an HTTP {@link Turn} through
 * {@link Failover} and {@link UpstreamAttempt}; a Codex socket's {@link SocketRequest}): after an attempt failed before
 * anything reached the client, whether the same account gets the request once more (and after what repair), the next
 * account gets it, or the client gets the upstream's answer; and when the pool has no account left, what the client
 * hears. The transports keep their own mechanics (a new HTTP exchange or a new upstream socket; the answer's bytes or an
 * error frame; the status a client of that transport needs). One instance per request: it remembers the same-account
 * retries already spent, each at most once, so a request never loops on one account.
 */
final class FailoverPolicy {
    /** {@link FailureClassifier#ofTransport}'s outcome for a connection the upstream closed (EOF, closed channel). */
    static final String CONNECTION_CLOSED = "connection closed";

    /** How the same account is tried once more. */
    enum Retry {
        /** 401 with a login: one token refresh (one in flight per account), then the request with the new token. */
        REFRESH_TOKEN,
        /** 400 {@code invalid_encrypted_content}: the request without its encrypted reasoning, once per request. */
        STRIP_REASONING,
        /**
         * The connection closed before any answer: what a kept-alive connection or a bound upstream socket looks like
         * when the upstream dropped it while it sat idle. Once per account, on a new connection; nothing reached the
         * client, so nothing is replayed to it.
         */
        RECONNECT,
        /** The upstream socket lost the request's anchor: the expanded request on a new upstream socket, once. */
        RESEND_FULL
    }

    /** What follows a failed attempt. */
    sealed interface Step permits SameAccount, NextAccount, ToClient {}

    /** The same account (the same lease and permit) once more, after {@code how}. */
    record SameAccount(Retry how) implements Step {}

    /** The next account; the failure goes back on the lease. */
    record NextAccount() implements Step {}

    /** The request itself is wrong (or cannot be repaired): the client gets the upstream's answer as it is. */
    record ToClient() implements Step {}

    private static final Step NEXT = new NextAccount();
    private static final Step TO_CLIENT = new ToClient();

    private final Set<String> refreshed = ConcurrentHashMap.newKeySet();
    private final Set<String> reconnected = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stripped = new AtomicBoolean();
    private final AtomicBoolean resentFull = new AtomicBoolean();

    /**
     * The upstream of {@code account} refused the request before anything was committed (a non-2xx status, an error
     * frame, an early {@code response.failed}). {@code stripReasoning} removes the request's encrypted reasoning and
     * says whether there was any; it runs only when a stale-reasoning retry is still allowed.
     */
    Step afterRefusal(String account, FailureClassifier.Verdict v, BooleanSupplier stripReasoning) {
        FailureClass c = v.cause();
        if (c == FailureClass.AUTH) {
            return refreshed.add(account) ? new SameAccount(Retry.REFRESH_TOKEN) : NEXT;
        }
        if (c == FailureClass.STALE_REASONING) {
            // Another account could not verify that reasoning either; without it to strip, the 400 is the answer.
            return !stripped.get() && stripReasoning.getAsBoolean() && stripped.compareAndSet(false, true)
                    ? new SameAccount(Retry.STRIP_REASONING) : TO_CLIENT;
        }
        return v.failsOver() ? NEXT : TO_CLIENT;
    }

    /**
     * No answer came from {@code account}'s upstream (connect error, timeout, TLS, a closed connection). A connection
     * that closed gets one more try on the same account; everything else (refused, unknown host, timed out) would fail
     * again the same way, so the next account gets the request.
     */
    Step afterNoAnswer(String account, FailureClassifier.Verdict v) {
        if (v.cause() == FailureClass.TRANSIENT && CONNECTION_CLOSED.equals(v.outcome()) && reconnected.add(account)) {
            return new SameAccount(Retry.RECONNECT);
        }
        return NEXT;
    }

    /** The upstream socket does not hold the request's anchor: one resend of the expanded request, then move on. */
    Step afterAnchorMiss() {
        return resentFull.compareAndSet(false, true) ? new SameAccount(Retry.RESEND_FULL) : NEXT;
    }

    /** What the pool learns from an attempt that failed over: class, reset, quota code, plan. */
    static AttemptOutcome.Failed failed(FailureClassifier.Verdict v) {
        return new AttemptOutcome.Failed(v.cause(), v.until(), v.reason(), ResponsesForwarder.codeOf(v), v.planType(), null);
    }

    // ---- giving up ------------------------------------------------------------------------------------------------

    /** Why no account is left, which decides the answer's shape. */
    enum GiveUp { NO_ACCOUNTS, ALL_OUT, KEY_REJECTED, ALL_BUSY, CHALLENGE, UPSTREAM_FAILED }

    /**
     * What the client hears when no account is left: {@code status} as an HTTP client gets it, {@code code} and
     * {@code message} (what happened and what to do), the failure class and the request log's error.
     * {@code resetsAt}: when the first account is back ({@link GiveUp#ALL_OUT}, may be null).
     */
    record Refusal(GiveUp why, int status, String code, String message, FailureClass failureClass, String logError,
                   Instant resetsAt) {}

    /**
     * The pool answered {@code acq} (anything but a lease). {@code last}: the verdict of the last failed attempt (null:
     * none failed); {@code chain}: the attempts so far; {@code keyRejected}: the accounts whose API key the upstream
     * rejected (asked only when no account comes back by itself).
     */
    Refusal noAccountLeft(Acquisition acq, FailureClassifier.Verdict last, List<String> chain,
                          Supplier<List<String>> keyRejected, Instant now) {
        if (acq instanceof Acquisition.NoAccounts) {
            return new Refusal(GiveUp.NO_ACCOUNTS, 503, "relay_no_accounts", "codex-relay has no enabled account. Add one "
                    + "with `codex-relay accounts import-codex` or `codex-relay accounts add-key`, or enable one in the tray.",
                    null, "no enabled account", null);
        }
        if (acq instanceof Acquisition.AllOut out) {
            // No account comes back by itself and a key was rejected: the client hears about the key, not a usage
            // limit (a key-rejected account has no reset time).
            List<String> rejected = out.earliestReset() == null ? keyRejected.get() : List.of();
            if (!rejected.isEmpty()) return keyRejected(rejected);
            if (last == null || quotaLike(last.cause())) {
                Instant earliest = out.earliestReset();
                String when = earliest == null ? "" : " The first one is back in about "
                        + humanDuration(earliest.getEpochSecond() - now.getEpochSecond()) + ".";
                return new Refusal(GiveUp.ALL_OUT, 429, "usage_limit_reached", "All codex-relay accounts are out of quota "
                        + "or cooling down." + when + " `codex-relay status` shows each account.", FailureClass.QUOTA,
                        "no account can serve", earliest);
            }
            return lastFailure(last, chain);
        }
        if (last == null || quotaLike(last.cause())) {
            return new Refusal(GiveUp.ALL_BUSY, 503, "relay_busy", "Every codex-relay account that could serve is at its "
                    + "concurrency limit (pool.chatgpt_max_concurrent / pool.api_key_max_concurrent, or the account's "
                    + "--max-concurrent) or its pool.requests_per_minute cap. Try again in a moment, or raise the limit.",
                    FailureClass.RATE_LIMITED, "all accounts busy", null);
        }
        return lastFailure(last, chain);
    }

    /** Every account that could serve failed for a reason that is not quota. */
    private static Refusal lastFailure(FailureClassifier.Verdict last, List<String> chain) {
        if (last.cause() == FailureClass.CHALLENGE) {
            return new Refusal(GiveUp.CHALLENGE, 503, "relay_upstream_challenge", "The upstream asked for a browser check "
                    + "(Cloudflare challenge) on every account that could serve. codex-relay will try again later; "
                    + "opening chatgpt.com in a browser on this machine may clear it.", FailureClass.CHALLENGE,
                    "upstream challenge", null);
        }
        return new Refusal(GiveUp.UPSTREAM_FAILED, 502, "relay_upstream_failed", "No codex-relay account could get an "
                + "answer from its upstream (" + String.join(", ", chain) + "). Check the network and `codex-relay status`, "
                + "then retry.", last.cause(), last.reason(), null);
    }

    /**
     * No account can serve because the upstream rejected API keys: 401 naming the accounts and what to do (Codex
     * prints "unexpected status 401 Unauthorized: " and the message, after its retries).
     */
    private static Refusal keyRejected(List<String> accounts) {
        String names = String.join(", ", accounts);
        boolean one = accounts.size() == 1;
        String message = "codex-relay: the upstream rejected the API key of account" + (one ? " " : "s ") + names
                + " (401 invalid_api_key), and no other account can serve. Replace the key: `codex-relay accounts remove "
                + accounts.get(0) + "` then `codex-relay accounts add-key --name " + accounts.get(0)
                + " --key-stdin`, or in the tray's Settings > Accounts.";
        return new Refusal(GiveUp.KEY_REJECTED, 401, "invalid_api_key", message, FailureClass.KEY_REJECTED,
                "API key rejected: " + names, null);
    }

    private static boolean quotaLike(FailureClass c) {
        return c == FailureClass.QUOTA || c == FailureClass.RATE_LIMITED;
    }

    static String humanDuration(long seconds) {
        if (seconds < 60) return Math.max(0, seconds) + " s";
        long m = seconds / 60;
        if (m < 60) return m + " min";
        return (m / 60) + " h " + (m % 60) + " min";
    }
}
