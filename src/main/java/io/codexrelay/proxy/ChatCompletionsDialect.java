package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.convert.ChatToResponsesRequest;
import io.codexrelay.convert.OpenAiErrors;
import io.codexrelay.convert.ResponsesCollector;
import io.codexrelay.convert.ResponsesToChatCompletion;
import io.codexrelay.convert.ResponsesToChatStream;
import io.codexrelay.convert.TranslatedRequest;

import java.time.Clock;

/**
 * OpenAI Chat Completions clients ({@code POST /v1/chat/completions}): the request becomes a Responses request
 * ({@link ChatToResponsesRequest}), the answer goes back as chunks ({@link ResponsesToChatStream}) or one
 * {@code chat.completion} ({@link ResponsesCollector} + {@link ResponsesToChatCompletion}); errors in OpenAI's shape
 * ({@link OpenAiErrors}). One instance per request: it keeps the translated request for the answer.
 */
final class ChatCompletionsDialect extends ForeignDialect {
    private final ClientModels models;
    private final boolean reasoningContent;
    private final Clock clock;
    private TranslatedRequest translated;

    ChatCompletionsDialect(ClientModels models, boolean reasoningContent, Clock clock) {
        this.models = models;
        this.reasoningContent = reasoningContent;
        this.clock = clock;
    }

    @Override
    public byte[] toCanonical(byte[] clientBody) {
        translated = new ChatToResponsesRequest(models::map, reasoningContent).translate(parse(clientBody));
        return bytes(translated.body());
    }

    @Override
    public ClientSink answerTo(ClientSink client) {
        TranslatedRequest tr = translated;
        if (tr == null) return new Errors(client); // refused before translation: only errors go out
        if (tr.clientStream()) {
            ResponsesToChatStream stream = new ResponsesToChatStream(tr.clientModel(), tr.includeUsage(),
                    reasoningContent, tr.stopSequences(), clock);
            return new Errors(client) {
                @Override void onEvent(String event, String data) { stream.onEvent(event, data, this::emit); }
                @Override void onStreamEnd() { stream.onEnd(this::emit); }
                @Override boolean clientStreams() { return true; }
            };
        }
        ResponsesCollector collector = new ResponsesCollector();
        return new Errors(client) {
            @Override void onEvent(String event, String data) { collector.onEvent(data); }
            @Override boolean clientStreams() { return false; }

            @Override
            Reply wholeAnswer() {
                if (collector.response() != null) {
                    ObjectNode c = ResponsesToChatCompletion.convert(collector.response(), tr.clientModel(),
                            reasoningContent, tr.stopSequences());
                    return new Reply(200, c.toString());
                }
                if (collector.error() != null) {
                    ObjectNode e = OpenAiErrors.fromResponsesError(collector.error());
                    int status = "invalid_request_error".equals(e.path("error").path("type").asText()) ? 400 : 502;
                    return new Reply(status, e.toString());
                }
                return new Reply(502, OpenAiErrors.error("the upstream stream ended before the answer was complete; "
                        + "retry the request", "server_error", "stream_incomplete", null).toString());
            }
        };
    }

    @Override
    ConvertingSink.Reply refusal(int status, String relayJson) {
        OpenAiErrors.ErrorReply r = OpenAiErrors.fromUpstream(status, relayJson);
        var e = (com.fasterxml.jackson.databind.node.ObjectNode) r.body().path("error");
        String type = e.path("type").asText("");
        if (type.startsWith("relay_")) {
            // the relay's own reason stays as the code; the type is one the openai SDKs know
            e.put("code", type);
            e.put("type", switch (status) {
                case 401 -> "authentication_error";
                case 403 -> "permission_error";
                case 429 -> "rate_limit_error";
                default -> status >= 500 ? "server_error" : "invalid_request_error";
            });
        }
        return new ConvertingSink.Reply(r.status(), r.json());
    }

    @Override public String toString() { return "chat-completions"; }

    /** The OpenAI error shape; a sink that only ever sees errors when the request never became canonical. */
    private class Errors extends ConvertingSink {
        Errors(ClientSink client) { super(client); }

        @Override void onEvent(String event, String data) { }
        @Override void onStreamEnd() { }
        @Override boolean clientStreams() { return true; }
        @Override Reply wholeAnswer() { return null; }
        @Override Reply errorReply(int status, String body) { return refusal(status, body); }
    }
}
