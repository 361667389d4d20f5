package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Chat Completions SSE chunks from an OpenAI-compatible upstream to the Responses events Codex needs.
 *
 * <p>{@code content} deltas stream as {@code output_text.delta} of one message item; {@code reasoning_content}
 * (DeepSeek, Qwen, vLLM; {@code reasoning} on OpenRouter) as a reasoning summary, which Codex shows. Tool calls are
 * tracked by their chunk {@code index}: the first delta of an index (with id and name) opens the item (and finishes
 * the calls before it), later deltas append arguments, and the last call is finished at {@code finish_reason}. The response completes at {@code [DONE]}
 * (or at the end of a stream that had a finish_reason: some servers omit {@code [DONE]}), after the usage chunk that
 * {@code stream_options.include_usage} asks for. A stream that ends before any finish_reason ends in
 * {@code response.failed}, which Codex retries.
 */
public final class ChatStreamToResponses implements StreamConverter {
    private final ResponsesEventWriter writer;
    /** Tool calls by their Chat index (indexes are small and dense, so a list is the map). */
    private final List<ResponsesEventWriter.ToolCall> calls = new ArrayList<>(4);
    private String finishReason;
    private TokenUsage usage = TokenUsage.ZERO;
    private boolean finished;

    /**
     * @param request the translated request (which names are custom tools or local_shell)
     * @param model   the model Codex asked for, named in the events
     */
    public ChatStreamToResponses(UpstreamRequest request, String model, String responseId, Clock clock) {
        this.writer = new ResponsesEventWriter(responseId, model, clock.millis() / 1000, request);
    }

    @Override
    public boolean finished() {
        return finished;
    }

    @Override
    public void onEvent(String event, String data, SseSink out) {
        if (finished) return;
        if ("[DONE]".equals(data.trim())) {
            complete(out);
            return;
        }
        JsonNode chunk = Json.parseEvent(data);
        if (chunk == null) {
            fail("server_error", Json.MALFORMED, out);
            return;
        }
        JsonNode error = chunk.get("error");
        if (error != null && !error.isNull()) {
            String code = Json.text(error, "code");
            if (code == null) code = Json.text(error, "type");
            String message = error.isTextual() ? error.asText() : Json.text(error, "message");
            fail(code == null ? "server_error" : code, message == null ? "the upstream reported an error" : message, out);
            return;
        }
        writer.created(out);
        JsonNode u = chunk.get("usage");
        if (u != null && u.isObject()) usage = TokenUsage.fromChat(u);
        JsonNode choices = chunk.get("choices");
        if (choices == null || !choices.isArray() || choices.isEmpty()) return;
        JsonNode choice = choices.get(0);
        JsonNode delta = choice.path("delta");
        String reasoning = Json.text(delta, "reasoning_content");
        if (reasoning == null) reasoning = Json.text(delta, "reasoning");
        if (reasoning != null) writer.reasoningDelta(reasoning, out);
        String content = Json.text(delta, "content");
        if (content != null) writer.textDelta(content, out);
        JsonNode toolCalls = delta.get("tool_calls");
        if (toolCalls != null && toolCalls.isArray()) for (JsonNode tc : toolCalls) toolCall(tc, out);
        String fr = Json.text(choice, "finish_reason");
        if (fr != null) {
            finishReason = fr;
            for (ResponsesEventWriter.ToolCall c : calls) if (c != null) writer.finishCall(c, out);
        }
    }

    private void toolCall(JsonNode tc, SseSink out) {
        int index = tc.path("index").asInt(calls.size());
        while (calls.size() <= index) calls.add(null);
        ResponsesEventWriter.ToolCall call = calls.get(index);
        JsonNode f = tc.path("function");
        if (call == null) {
            String name = Json.text(f, "name");
            if (name == null) return; // arguments before a name: nothing to attach them to
            // Chat streams parallel calls one after another; a new index means the earlier ones are whole. Finishing
            // them now keeps the Responses items sequential, as OpenAI's own streams are and Anthropic blocks must be.
            for (ResponsesEventWriter.ToolCall earlier : calls) if (earlier != null) writer.finishCall(earlier, out);
            call = writer.startCall(Json.text(tc, "id"), name, out);
            calls.set(index, call);
        }
        String args = Json.text(f, "arguments");
        if (args != null) writer.callDelta(call, args, out);
    }

    @Override
    public void onEnd(SseSink out) {
        if (finished) return;
        if (finishReason != null) complete(out);
        else fail("server_error", "the upstream stream ended before the answer was complete", out);
    }

    private void complete(SseSink out) {
        for (ResponsesEventWriter.ToolCall c : calls) if (c != null) writer.finishCall(c, out);
        writer.completed(usage, "length".equals(finishReason) ? "max_output_tokens"
                : "content_filter".equals(finishReason) ? "content_filter" : null, out);
        finished = true;
    }

    private void fail(String code, String message, SseSink out) {
        writer.failed(code, message, out);
        finished = true;
    }
}
