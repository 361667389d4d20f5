package io.codexrelay.pool;

/**
 * Why an attempt on an account did not succeed, and so what the pool does about the account (DESIGN.md, "Failure
 * classes"). {@link #label()} is what the request log and the UI show.
 */
public enum FailureClass {
    /** Usage limit reached / insufficient quota: the account sleeps until its reset. */
    QUOTA("quota"),
    /** A non-usage 429: a short backoff. */
    RATE_LIMITED("rate_limited"),
    /** 401 / expired or revoked credentials. */
    AUTH("auth"),
    /**
     * 401 {@code invalid_api_key}: the upstream rejected an API key. Not a login problem (no refresh, no re-login): the
     * account waits until its key is replaced ("key rejected: replace it").
     */
    KEY_REJECTED("key_rejected"),
    /** 403 with an HTML (Cloudflare) challenge: a long cooldown, the account is not blamed. */
    CHALLENGE("challenge"),
    /** 5xx, connect error, timeout, early server-side {@code response.failed}. */
    TRANSIENT("transient"),
    /** 400 {@code invalid_encrypted_content}: reasoning minted under another account. */
    STALE_REASONING("stale_reasoning"),
    /** Any other 4xx: the request itself is wrong; it goes back to Codex unchanged. */
    REQUEST("request");

    private final String label;

    FailureClass(String label) { this.label = label; }

    public String label() { return label; }

    /** Whether an attempt failing this way moves the request to the next account. */
    public boolean failsOver() {
        return switch (this) {
            case QUOTA, RATE_LIMITED, AUTH, KEY_REJECTED, CHALLENGE, TRANSIENT -> true;
            case STALE_REASONING, REQUEST -> false;
        };
    }
}
