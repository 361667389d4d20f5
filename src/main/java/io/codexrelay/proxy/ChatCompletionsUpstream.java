package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import io.codexrelay.account.LearnedParameters;
import io.codexrelay.convert.ChatStreamToResponses;
import io.codexrelay.convert.ResponsesToChatRequest;
import io.codexrelay.convert.StreamConverter;
import io.codexrelay.convert.UpstreamRequest;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

import java.time.Clock;

/**
 * An OpenAI-compatible Chat Completions upstream (DeepSeek, Qwen, Kimi, OpenRouter, Ollama, vLLM, LM Studio):
 * {@code POST {base}/chat/completions} with {@code Authorization: Bearer <key>}, always streaming with
 * {@code stream_options.include_usage} (set by {@link ResponsesToChatRequest}); the chunks come back to Codex as
 * Responses events ({@link ChatStreamToResponses}).
 */
final class ChatCompletionsUpstream extends ConvertingUpstream {
    private static final ResponsesToChatRequest REQUESTS = new ResponsesToChatRequest();

    ChatCompletionsUpstream(UpstreamClient upstream, LearnedParameters learned, Clock clock) {
        super(upstream, learned, clock);
    }

    @Override UpstreamRequest translate(JsonNode canonical) { return REQUESTS.translate(canonical); }

    @Override String url(String base) { return base + "/chat/completions"; }

    @Override
    void authenticate(HttpFields.Mutable h, String key) {
        h.put(HttpHeader.AUTHORIZATION, "Bearer " + key);
    }

    @Override
    StreamConverter converter(UpstreamRequest request, String clientModel, String responseId) {
        return new ChatStreamToResponses(request, clientModel, responseId, clock);
    }

    @Override String wireName() { return "chat"; }
}
