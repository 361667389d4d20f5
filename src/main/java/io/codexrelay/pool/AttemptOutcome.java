package io.codexrelay.pool;

import java.time.Instant;

/**
 * How one attempt on a leased account ended: the whole of what the pool learns from it, handed back in one call
 * ({@link Lease#close}). From it the pool updates cooldowns, the quota it tracks (a quota error names its code and
 * plan) and thread affinity.
 *
 * <p>{@code servedThread} is the Codex thread (session) key when this attempt's 2xx answer was committed to the
 * client, else null: the thread then stays with the account that answered it, whatever happened to the stream later.
 */
public sealed interface AttemptOutcome {

    String servedThread();

    /** The account answered (including request errors that are the client's to see). */
    record Answered(String servedThread) implements AttemptOutcome {}

    /**
     * The attempt failed this way. {@code until}: when the upstream said the account comes back (quota reset,
     * Retry-After), null if it did not say; {@code reason}: a short phrase for the user ("usage limit reached");
     * {@code quotaCode} / {@code planType}: what a {@link FailureClass#QUOTA} failure named (each may be null).
     */
    record Failed(FailureClass cause, Instant until, String reason, String quotaCode, String planType,
                  String servedThread) implements AttemptOutcome {
        public Failed(FailureClass cause, Instant until, String reason) {
            this(cause, until, reason, null, null, null);
        }
    }

    /** The attempt ended without a verdict on the account (client went away, relay stopping, failing over). */
    record Abandoned(String servedThread) implements AttemptOutcome {}

    AttemptOutcome ABANDONED = new Abandoned(null);
}
