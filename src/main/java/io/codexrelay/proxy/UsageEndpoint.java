package io.codexrelay.proxy;

import io.codexrelay.pool.AccountServices;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.time.Clock;
import java.util.Set;

/**
 * The usage endpoint: where Codex versions that ask for usage themselves look (chatgpt_base_url + /wham/usage, or
 * /api/codex/usage), answered with the pool's quota (see {@link PooledUsage}). No client key is needed: Codex sends its
 * own ChatGPT credentials there, and the answer holds only percentages.
 */
final class UsageEndpoint {
    static final Set<String> PATHS = Set.of("/backend-api/wham/usage", "/api/codex/usage");

    private final AccountServices services;
    private final Clock clock;

    UsageEndpoint(AccountServices services, Clock clock) {
        this.services = services;
        this.clock = clock;
    }

    void answer(Response response, Callback callback) {
        String json = PooledUsage.usageJson(services.codexView(null), null, clock.instant());
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Content.Sink.write(response, true, json, callback);
    }
}
