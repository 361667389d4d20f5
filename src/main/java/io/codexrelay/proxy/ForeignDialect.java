package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.convert.ConversionException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * What the non-Codex dialects share: the client's body parsed once (bad JSON is the client's 400), the neutral
 * upstream headers, and an error shape for refusals before the request reaches the forwarder.
 */
abstract class ForeignDialect implements InboundDialect {
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode parse(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ConversionException("the request body is not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (java.io.IOException e) {
            throw new ConversionException("the request body could not be read as JSON");
        }
    }

    static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public HttpFields upstreamHeaders(HttpFields client) {
        HttpFields.Mutable h = HttpFields.build();
        h.put(HttpHeader.CONTENT_TYPE, "application/json");
        h.put(HttpHeader.ACCEPT, "text/event-stream");
        // the upstream sees the relay, not the tool's SDK; the ChatGPT backend's version header is derived from it
        h.put(HttpHeader.USER_AGENT, "codex-relay (" + this + ")");
        return h.asImmutable();
    }

    /** A refusal of the relay's own ({@link RelayErrors#body} JSON) in this dialect's shape. */
    abstract ConvertingSink.Reply refusal(int status, String relayJson);
}
