package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.codexrelay.account.LearnedParameters;
import io.codexrelay.convert.AnthropicStreamToResponses;
import io.codexrelay.convert.ResponsesToAnthropicRequest;
import io.codexrelay.convert.StreamConverter;
import io.codexrelay.convert.UpstreamRequest;
import org.eclipse.jetty.http.HttpFields;

import java.time.Clock;

/**
 * An Anthropic Messages upstream: {@code POST {base}/v1/messages} with {@code x-api-key} and
 * {@code anthropic-version}, always streaming; its events come back to Codex as Responses events
 * ({@link AnthropicStreamToResponses}). A 529 (overloaded) is a 5xx to the {@link FailureClassifier}: the request
 * moves to the next account.
 */
final class AnthropicUpstream extends ConvertingUpstream {
    /** The API version the converters follow (Anthropic's current and only stable one). */
    static final String ANTHROPIC_VERSION = "2023-06-01";
    private static final ResponsesToAnthropicRequest REQUESTS = new ResponsesToAnthropicRequest();

    AnthropicUpstream(UpstreamClient upstream, LearnedParameters learned, Clock clock) {
        super(upstream, learned, clock);
    }

    @Override UpstreamRequest translate(JsonNode canonical) { return REQUESTS.translate(canonical); }

    /** The base is the API root ({@code https://api.anthropic.com}); a base that already ends in /v1 is taken as is. */
    @Override String url(String base) { return base.endsWith("/v1") ? base + "/messages" : base + "/v1/messages"; }

    @Override
    void authenticate(HttpFields.Mutable h, String key) {
        h.put("x-api-key", key);
        h.put("anthropic-version", ANTHROPIC_VERSION);
    }

    @Override
    StreamConverter converter(UpstreamRequest request, String clientModel, String responseId) {
        return new AnthropicStreamToResponses(request, clientModel, responseId, clock);
    }

    @Override String wireName() { return "anthropic"; }
}
