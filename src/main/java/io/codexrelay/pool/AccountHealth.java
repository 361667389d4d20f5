package io.codexrelay.pool;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the health probes know (issue 12): accounts whose last probe failed are unhealthy, and routing skips them
 * until a probe succeeds. Only {@link HealthProbes} writes it; the pool reads it on every choice (a map lookup).
 */
public final class AccountHealth {

    /** Why an account is unhealthy and since when. */
    public record Unhealthy(String reason, Instant since, int failures) {}

    private final Map<String, Unhealthy> unhealthy = new ConcurrentHashMap<>();

    /** The account's failure, or null when it is healthy (or never probed). */
    public Unhealthy get(String account) { return unhealthy.get(account); }

    public boolean isUnhealthy(String account) { return unhealthy.containsKey(account); }

    /** Records a failed probe; returns true when this is news (the account was healthy before). */
    boolean failed(String account, String reason, Instant now) {
        Unhealthy before = unhealthy.get(account);
        unhealthy.put(account, new Unhealthy(reason, before == null ? now : before.since(),
                before == null ? 1 : before.failures() + 1));
        return before == null;
    }

    /** Records a good probe; returns true when the account was unhealthy before. */
    boolean passed(String account) {
        return unhealthy.remove(account) != null;
    }

    void forget(String account) { unhealthy.remove(account); }
}
