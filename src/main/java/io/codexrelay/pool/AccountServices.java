package io.codexrelay.pool;

import io.codexrelay.account.Account;
import io.codexrelay.account.TokenRefreshException;
import io.codexrelay.events.QuotaSnapshot;

import java.util.concurrent.CompletableFuture;

/**
 * What the relay's forwarder asks of the pool's services around one upstream attempt: fresh credentials, a token
 * refresh after a 401, and the quota view Codex should see. What an attempt teaches the pool (quota headers, failures,
 * thread affinity) does not go through here: it goes back on the lease ({@link Lease#answered}, {@link Lease#close}).
 * Every method
 * is called on a request path and must not block; futures complete on other threads. {@link #NONE} does nothing
 * (credentials as stored, no quota tracking) — what the relay does without the pool services.
 */
public interface AccountServices {

    /** The account with the credentials to send now (a ChatGPT token about to expire is refreshed first). */
    default CompletableFuture<Account> prepare(Account account) {
        return CompletableFuture.completedFuture(account);
    }

    /**
     * The upstream answered 401 to {@code sent}'s credentials: the account with refreshed credentials to retry once,
     * or a future failed with a {@link TokenRefreshException} ({@code permanent()}: the login is dead).
     */
    default CompletableFuture<Account> afterUnauthorized(Account sent) {
        return CompletableFuture.failedFuture(new TokenRefreshException("the credentials were refused and cannot be refreshed",
                true, null));
    }

    /**
     * The quota Codex should see on an answer served by {@code serving} (null: the pool's view for the usage
     * endpoints); null when nothing is known, and then the upstream's own headers pass unchanged.
     */
    default QuotaSnapshot codexView(Account serving) { return null; }

    AccountServices NONE = new AccountServices() { };
}
