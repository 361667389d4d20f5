package io.codexrelay.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * A client request in another dialect, translated to a Responses request.
 *
 * @param body         the Responses request to send upstream (always {@code stream: true}: the relay streams from
 *                     upstream and aggregates for a client that asked for a single JSON answer)
 * @param clientModel  the model the client asked for; every answer names this one, not the mapped one
 * @param clientStream whether the client asked for a stream
 * @param includeUsage Chat Completions {@code stream_options.include_usage}: a last chunk carries usage
 * @param stopSequences the client's stop sequences (Chat {@code stop}, Anthropic {@code stop_sequences}); Responses
 *                      has none, so the answer converters enforce them ({@link StopSequences})
 * @param dropped      request fields the target cannot express and that were left out, for the log (never values)
 */
public record TranslatedRequest(ObjectNode body, String clientModel, boolean clientStream, boolean includeUsage,
                                List<String> stopSequences, List<String> dropped) {
    public TranslatedRequest {
        stopSequences = List.copyOf(stopSequences);
        dropped = List.copyOf(dropped);
    }
}
