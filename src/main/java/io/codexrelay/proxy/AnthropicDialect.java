package io.codexrelay.proxy;

import io.codexrelay.convert.AnthropicErrors;
import io.codexrelay.convert.AnthropicToResponsesRequest;
import io.codexrelay.convert.ResponsesCollector;
import io.codexrelay.convert.ResponsesToAnthropicMessage;
import io.codexrelay.convert.ResponsesToAnthropicStream;
import io.codexrelay.convert.TranslatedRequest;

import java.time.Clock;

/**
 * Anthropic Messages clients such as Claude Code ({@code POST /v1/messages}, with or without {@code ?beta=true}): the
 * request becomes a Responses request ({@link AnthropicToResponsesRequest}, Claude model names through
 * {@link ClientModels}), the answer goes back as Anthropic events ({@link ResponsesToAnthropicStream}) or one message
 * ({@link ResponsesToAnthropicMessage}); errors as {@code {"type":"error",...}} with the statuses Claude Code acts on
 * ({@link AnthropicErrors}: 429 for usage limits and rate limits, 529 for overload). The {@code anthropic-version} /
 * {@code anthropic-beta} headers are accepted and not sent upstream. One instance per request.
 */
final class AnthropicDialect extends ForeignDialect {
    private final ClientModels models;
    private final Clock clock;
    private TranslatedRequest translated;

    AnthropicDialect(ClientModels models, Clock clock) {
        this.models = models;
        this.clock = clock;
    }

    @Override
    public byte[] toCanonical(byte[] clientBody) {
        translated = new AnthropicToResponsesRequest(models::map).translate(parse(clientBody));
        return bytes(translated.body());
    }

    @Override
    public ClientSink answerTo(ClientSink client) {
        TranslatedRequest tr = translated;
        if (tr == null) return new Errors(client);
        if (tr.clientStream()) {
            ResponsesToAnthropicStream stream = new ResponsesToAnthropicStream(tr.clientModel(), tr.stopSequences(), clock);
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
                    return new Reply(200, ResponsesToAnthropicMessage.convert(collector.response(), tr.clientModel(),
                            tr.stopSequences()).toString());
                }
                if (collector.error() != null) {
                    AnthropicErrors.ErrorReply e = AnthropicErrors.fromResponsesError(collector.error());
                    return new Reply(e.status(), e.json());
                }
                AnthropicErrors.ErrorReply e = AnthropicErrors.error(500, "api_error",
                        "the upstream stream ended before the answer was complete; retry the request");
                return new Reply(e.status(), e.json());
            }
        };
    }

    @Override
    ConvertingSink.Reply refusal(int status, String relayJson) {
        AnthropicErrors.ErrorReply r = AnthropicErrors.fromUpstream(status, relayJson);
        return new ConvertingSink.Reply(r.status(), r.json());
    }

    @Override public String toString() { return "anthropic-messages"; }

    private class Errors extends ConvertingSink {
        Errors(ClientSink client) { super(client); }

        @Override void onEvent(String event, String data) { }
        @Override void onStreamEnd() { }
        @Override boolean clientStreams() { return true; }
        @Override Reply wholeAnswer() { return null; }
        @Override Reply errorReply(int status, String body) { return refusal(status, body); }
    }
}
