package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Responses SSE events to Chat Completions chunks ({@code data: {...}} lines, then {@code data: [DONE]}).
 *
 * <p>Every chunk carries the same {@code id}, {@code object}, {@code created} and the model the client asked for.
 * Text deltas become {@code content} deltas; a message whose text arrived only in its {@code output_item.done} is
 * sent once from there (never both). Each function call gets the next {@code tool_calls} index, in the order the
 * upstream started them, and keeps it and its {@code id} for all its deltas. Reasoning summary deltas become
 * {@code reasoning_content} when enabled. The last chunk has the {@code finish_reason}; a usage chunk with empty
 * {@code choices} follows when the client asked for {@code include_usage}.
 */
public final class ResponsesToChatStream implements StreamConverter {
    private final String clientModel;
    private final boolean includeUsage;
    private final boolean reasoningContent;
    private final Clock clock;
    private final StopSequences stops;

    private String id;
    private long created;
    private boolean roleSent;
    private boolean finished;
    private int nextToolIndex;
    private boolean sawToolCall;
    /** item_id -> state of that output item (tool index or "text was streamed"); a handful of entries per answer. */
    private final Map<String, ItemState> items = new HashMap<>(8);
    private String lastReasoningKey;

    private static final class ItemState {
        int toolIndex = -1;
        boolean streamed;
    }

    public ResponsesToChatStream(String clientModel, boolean includeUsage, boolean reasoningContent, Clock clock) {
        this(clientModel, includeUsage, reasoningContent, List.of(), clock);
    }

    /** @param stopSequences the client's {@code stop}, enforced here since Responses has no such parameter */
    public ResponsesToChatStream(String clientModel, boolean includeUsage, boolean reasoningContent,
                                 List<String> stopSequences, Clock clock) {
        this.stops = stopSequences.isEmpty() ? StopSequences.none() : new StopSequences(stopSequences);
        this.clientModel = clientModel;
        this.includeUsage = includeUsage;
        this.reasoningContent = reasoningContent;
        this.clock = clock;
    }

    @Override
    public boolean finished() {
        return finished;
    }

    @Override
    public void onEvent(String event, String data, SseSink out) {
        if (finished || (event != null && ResponsesEvents.carriesNothingNew(event))) return;
        if (Json.isDoneMarker(data)) return; // some Responses-compatible servers end with [DONE] too
        JsonNode e = Json.parseEvent(data);
        if (e == null) {
            fail(OpenAiErrors.error(Json.MALFORMED, "server_error", "upstream_malformed", null), out);
            return;
        }
        String type = Json.text(e, "type");
        if (type == null) type = event;
        if (type == null) return;
        switch (type) {
            case "response.created", "response.in_progress" -> start(e.path("response"), out);
            case "response.output_text.delta" -> {
                state(e).streamed = true;
                content(Json.text(e, "delta"), out);
            }
            case "response.refusal.delta" -> {
                state(e).streamed = true;
                emit(out, delta("refusal", Json.text(e, "delta")), null);
            }
            case "response.reasoning_summary_text.delta", "response.reasoning_text.delta" -> reasoning(e, out);
            case "response.output_item.added" -> itemAdded(e, out);
            case "response.function_call_arguments.delta", "response.custom_tool_call_input.delta" -> {
                if (stops.matched() != null) return;
                ItemState s = state(e);
                if (s.toolIndex < 0) return; // an added event was missing: the done event sends the arguments whole
                s.streamed = true;
                emit(out, toolDelta(s.toolIndex, null, null, Json.text(e, "delta")), null);
            }
            case "response.output_item.done" -> itemDone(e, out);
            case "response.completed" -> finish(e.path("response"), sawToolCall ? "tool_calls" : "stop", out);
            case "response.incomplete" -> {
                String reason = Json.text(e.path("response").path("incomplete_details"), "reason");
                finish(e.path("response"), "content_filter".equals(reason) ? "content_filter" : "length", out);
            }
            case "response.failed" -> fail(OpenAiErrors.fromResponsesError(e.path("response").path("error")), out);
            case "error" -> fail(OpenAiErrors.fromResponsesError(e.has("error") ? e.get("error") : e), out);
            default -> { } // content_part.*, *.done with full text we already streamed, rate limit notices
        }
    }

    @Override
    public void onEnd(SseSink out) {
        if (finished) return;
        fail(OpenAiErrors.error("the upstream stream ended before the answer was complete; retry the request",
                "server_error", "stream_incomplete", null), out);
    }

    private void content(String text, SseSink out) {
        if (stops.active()) text = stops.accept(text);
        if (text != null && !text.isEmpty()) emit(out, delta("content", text), null);
    }

    /** Text held back by the stop-sequence check is let out when its item ends. */
    private void flushContent(SseSink out) {
        if (!stops.active()) return;
        String rest = stops.flush();
        if (!rest.isEmpty()) emit(out, delta("content", rest), null);
    }

    private void start(JsonNode response, SseSink out) {
        if (id == null) {
            String rid = Json.text(response, "id");
            id = "chatcmpl-" + (rid == null ? Long.toHexString(clock.millis()) : rid.startsWith("resp_") ? rid.substring(5) : rid);
            created = response.path("created_at").asLong(clock.millis() / 1000);
        }
        ensureRole(out);
    }

    private void ensureRole(SseSink out) {
        if (roleSent) return;
        if (id == null) {
            id = "chatcmpl-" + Long.toHexString(clock.millis());
            created = clock.millis() / 1000;
        }
        roleSent = true;
        ObjectNode d = Json.object();
        d.put("role", "assistant");
        d.put("content", "");
        emitRaw(out, d, null);
    }

    private void reasoning(JsonNode e, SseSink out) {
        if (!reasoningContent) return;
        String delta = Json.text(e, "delta");
        if (delta == null || delta.isEmpty()) return;
        // summaries come in parts; a blank line between parts keeps them readable as one text
        String key = Json.text(e, "item_id") + '/' + e.path("summary_index").asInt(e.path("content_index").asInt());
        if (lastReasoningKey != null && !lastReasoningKey.equals(key)) delta = "\n\n" + delta;
        lastReasoningKey = key;
        emit(out, delta("reasoning_content", delta), null);
    }

    private void itemAdded(JsonNode e, SseSink out) {
        if (stops.matched() != null) return; // after a stop sequence the answer is over for the client
        JsonNode item = e.path("item");
        String type = Json.text(item, "type");
        if (!"function_call".equals(type) && !"custom_tool_call".equals(type)) return;
        ItemState s = items.computeIfAbsent(itemKey(e, item), k -> new ItemState());
        s.toolIndex = nextToolIndex++;
        sawToolCall = true;
        emit(out, toolDelta(s.toolIndex, Json.text(item, "call_id"), Json.text(item, "name"), ""), null);
    }

    private void itemDone(JsonNode e, SseSink out) {
        if (stops.matched() != null) return;
        JsonNode item = e.path("item");
        String type = Json.text(item, "type");
        if ("function_call".equals(type) || "custom_tool_call".equals(type)) {
            String args = "function_call".equals(type) ? Json.text(item, "arguments") : customInputAsArguments(item);
            ItemState s = items.get(itemKey(e, item));
            if (s == null || s.toolIndex < 0) {
                s = new ItemState();
                s.toolIndex = nextToolIndex++;
                sawToolCall = true;
                emit(out, toolDelta(s.toolIndex, Json.text(item, "call_id"), Json.text(item, "name"), args), null);
            } else if (!s.streamed && args != null && !args.isEmpty()) {
                emit(out, toolDelta(s.toolIndex, null, null, args), null);
            }
        } else if ("message".equals(type)) {
            ItemState s = items.get(itemKey(e, item));
            if (s != null && s.streamed) {
                flushContent(out);
                return;
            }
            for (JsonNode part : item.path("content")) {
                String pt = Json.text(part, "type");
                if ("output_text".equals(pt)) {
                    content(Json.text(part, "text"), out);
                    flushContent(out);
                }
                else if ("refusal".equals(pt)) emit(out, delta("refusal", Json.text(part, "refusal")), null);
            }
        } else if ("reasoning".equals(type) && reasoningContent && lastReasoningKey == null) {
            // a reasoning item that arrived whole (no deltas): send its summary once
            StringBuilder b = new StringBuilder();
            for (JsonNode s : item.path("summary")) {
                if (b.length() > 0) b.append("\n\n");
                b.append(s.path("text").asText());
            }
            if (b.length() > 0) emit(out, delta("reasoning_content", b.toString()), null);
        }
    }

    /** A custom tool's free text, as the arguments of the single-string function a Chat client can declare. */
    private static String customInputAsArguments(JsonNode item) {
        return Json.write(Json.object().put("input", item.path("input").asText("")));
    }

    private void finish(JsonNode response, String finishReason, SseSink out) {
        ensureRole(out);
        if (stops.matched() != null) finishReason = "stop";
        else flushContent(out);
        ObjectNode chunk = chunk(Json.object(), finishReason);
        out.event(null, Json.write(chunk));
        if (includeUsage) {
            ObjectNode u = base();
            u.putArray("choices");
            u.set("usage", TokenUsage.fromResponses(response.get("usage")).toChat());
            out.event(null, Json.write(u));
        }
        out.event(null, "[DONE]");
        finished = true;
    }

    private void fail(ObjectNode error, SseSink out) {
        // the openai SDKs raise an APIError for a data line that carries "error"
        out.event(null, Json.write(error));
        finished = true;
    }

    private ItemState state(JsonNode e) {
        return items.computeIfAbsent(Json.text(e, "item_id") + "", k -> new ItemState());
    }

    private static String itemKey(JsonNode e, JsonNode item) {
        String id = Json.text(item, "id");
        return id != null ? id : Json.text(e, "item_id") + "";
    }

    private static ObjectNode delta(String field, String value) {
        ObjectNode d = Json.object();
        d.put(field, value == null ? "" : value);
        return d;
    }

    private static ObjectNode toolDelta(int index, String callId, String name, String args) {
        ObjectNode d = Json.object();
        ArrayNode calls = d.putArray("tool_calls");
        ObjectNode c = calls.addObject();
        c.put("index", index);
        if (callId != null) {
            c.put("id", callId);
            c.put("type", "function");
        }
        ObjectNode f = c.putObject("function");
        if (name != null) f.put("name", name);
        f.put("arguments", args == null ? "" : args);
        return d;
    }

    private void emit(SseSink out, ObjectNode delta, String finishReason) {
        ensureRole(out);
        emitRaw(out, delta, finishReason);
    }

    private void emitRaw(SseSink out, ObjectNode delta, String finishReason) {
        out.event(null, Json.write(chunk(delta, finishReason)));
    }

    private ObjectNode chunk(ObjectNode delta, String finishReason) {
        ObjectNode c = base();
        ObjectNode choice = c.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        if (includeUsage) c.putNull("usage");
        return c;
    }

    private ObjectNode base() {
        ObjectNode c = Json.object();
        c.put("id", id);
        c.put("object", "chat.completion.chunk");
        c.put("created", created);
        c.put("model", clientModel);
        c.putNull("system_fingerprint");
        return c;
    }
}
