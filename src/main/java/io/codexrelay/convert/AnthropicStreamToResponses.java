package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Clock;

/**
 * Anthropic Messages SSE events from an Anthropic upstream to the Responses events Codex needs.
 *
 * <p>Blocks map one to one: a text block to a message item ({@code text_delta} to {@code output_text.delta}), a
 * thinking block to a reasoning item with a summary ({@code thinking_delta}; signatures are dropped, as are
 * redacted thinking blocks), a tool_use block to a function call ({@code input_json_delta} to
 * {@code function_call_arguments.delta}) or, for Codex's custom tools and local_shell, to the items
 * {@link CodexTools} describes. Usage: input and cache-read tokens from {@code message_start}, output tokens from
 * the last {@code message_delta}. {@code message_stop} completes the response; stop reason {@code max_tokens}
 * completes it as incomplete. An {@code error} event becomes {@code response.failed}.
 */
public final class AnthropicStreamToResponses implements StreamConverter {
    private final ResponsesEventWriter writer;
    private ResponsesEventWriter.ToolCall call; // the open tool_use block, if any
    private TokenUsage usage = TokenUsage.ZERO;
    private String stopReason;
    private boolean finished;

    public AnthropicStreamToResponses(UpstreamRequest request, String model, String responseId, Clock clock) {
        this.writer = new ResponsesEventWriter(responseId, model, clock.millis() / 1000, request);
    }

    @Override
    public boolean finished() {
        return finished;
    }

    @Override
    public void onEvent(String event, String data, SseSink out) {
        if (finished) return;
        JsonNode e = Json.parseEvent(data);
        if (e == null) {
            writer.failed("server_error", Json.MALFORMED, out);
            finished = true;
            return;
        }
        String type = Json.text(e, "type");
        if (type == null) type = event;
        if (type == null) return;
        switch (type) {
            case "message_start" -> {
                usage = TokenUsage.fromAnthropic(e.path("message").path("usage"));
                writer.created(out);
            }
            case "content_block_start" -> {
                JsonNode block = e.path("content_block");
                String bt = Json.text(block, "type");
                if ("tool_use".equals(bt)) {
                    call = writer.startCall(Json.text(block, "id"), Json.text(block, "name"), out);
                    JsonNode input = block.get("input");
                    // a block may carry its whole input at once (non-empty object) instead of deltas
                    if (input != null && input.isObject() && !input.isEmpty()) writer.callDelta(call, Json.write(input), out);
                } else if ("text".equals(bt)) {
                    writer.textDelta(Json.text(block, "text"), out);
                } else if ("thinking".equals(bt)) {
                    writer.reasoningDelta(Json.text(block, "thinking"), out);
                }
            }
            case "content_block_delta" -> {
                JsonNode d = e.path("delta");
                switch (String.valueOf(Json.text(d, "type"))) {
                    case "text_delta" -> writer.textDelta(Json.text(d, "text"), out);
                    case "thinking_delta" -> writer.reasoningDelta(Json.text(d, "thinking"), out);
                    case "input_json_delta" -> {
                        if (call != null) writer.callDelta(call, Json.text(d, "partial_json"), out);
                    }
                    default -> { } // signature_delta, citations
                }
            }
            case "content_block_stop" -> {
                if (call != null) {
                    writer.finishCall(call, out);
                    call = null;
                }
                // text and thinking items stay open: the next block of the same kind continues them, another kind closes them
            }
            case "message_delta" -> {
                String sr = Json.text(e.path("delta"), "stop_reason");
                if (sr != null) stopReason = sr;
                JsonNode u = e.get("usage");
                if (u != null && u.has("output_tokens")) usage = usage.withOutput(u.path("output_tokens").asLong());
                if (u != null && u.has("input_tokens")) {
                    TokenUsage later = TokenUsage.fromAnthropic(u);
                    usage = new TokenUsage(later.inputTokens(), later.cachedTokens(), usage.outputTokens(), 0);
                }
            }
            case "message_stop" -> {
                if (call != null) writer.finishCall(call, out);
                writer.completed(usage, "max_tokens".equals(stopReason) ? "max_output_tokens" : null, out);
                finished = true;
            }
            case "error" -> {
                JsonNode err = e.path("error");
                String et = String.valueOf(Json.text(err, "type"));
                String code = switch (et) {
                    case "overloaded_error" -> "server_is_overloaded";
                    case "rate_limit_error" -> "rate_limit_exceeded";
                    case "invalid_request_error" -> "invalid_request_error";
                    default -> "server_error";
                };
                String message = Json.text(err, "message");
                writer.failed(code, message == null ? et : message, out);
                finished = true;
            }
            default -> { } // ping
        }
    }

    @Override
    public void onEnd(SseSink out) {
        if (finished) return;
        writer.failed("server_error", "the upstream stream ended before the answer was complete", out);
        finished = true;
    }
}
