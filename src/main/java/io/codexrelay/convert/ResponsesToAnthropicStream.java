package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.util.HashSet;
import java.util.Set;
import java.util.List;

/**
 * Responses SSE events to Anthropic Messages SSE events: {@code message_start}, then for each output item one
 * content block ({@code content_block_start} / {@code _delta} / {@code _stop}: text, thinking from reasoning
 * summaries, tool_use from function calls with {@code input_json_delta}), then {@code message_delta} with the
 * stop reason and usage, and {@code message_stop}.
 *
 * <p>Responses output items arrive one after another, as Anthropic blocks must; at most one block is open. Usage is
 * only known at the end, so {@code message_start} carries zeros and {@code message_delta} the real counts (Claude
 * Code reads both).
 */
public final class ResponsesToAnthropicStream implements StreamConverter {
    private enum Block { NONE, TEXT, THINKING, TOOL }

    private final String clientModel;
    private final Clock clock;
    private final StopSequences stops;
    private boolean started;
    private boolean finished;
    private int nextIndex;
    private Block open = Block.NONE;
    private String openItem;       // item_id the open block belongs to
    private boolean openStreamed;  // the open block got deltas (so its done event must not repeat them)
    private boolean sawToolUse;
    /** Item ids of tool blocks already closed (a few per answer), so a late done event never opens one twice. */
    private final Set<String> closedTools = new HashSet<>(4);

    public ResponsesToAnthropicStream(String clientModel, Clock clock) {
        this(clientModel, List.of(), clock);
    }

    /** @param stopSequences the client's {@code stop_sequences}, enforced here since Responses has none */
    public ResponsesToAnthropicStream(String clientModel, List<String> stopSequences, Clock clock) {
        this.stops = stopSequences.isEmpty() ? StopSequences.none() : new StopSequences(stopSequences);
        this.clientModel = clientModel;
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
            fail(Json.object().put("code", "server_error").put("message", Json.MALFORMED), out);
            return;
        }
        String type = Json.text(e, "type");
        if (type == null) type = event;
        if (type == null) return;
        if (stops.matched() != null && !type.equals("response.completed") && !type.equals("response.incomplete")
                && !type.equals("response.failed") && !type.equals("error")) return; // the client's answer ended at its stop sequence
        switch (type) {
            case "response.created", "response.in_progress" -> start(e.path("response"), out);
            case "response.output_text.delta" -> {
                ensureBlock(Block.TEXT, Json.text(e, "item_id"), null, out);
                openStreamed = true;
                text(Json.text(e, "delta"), out);
            }
            case "response.reasoning_summary_text.delta", "response.reasoning_text.delta" -> {
                ensureBlock(Block.THINKING, Json.text(e, "item_id"), null, out);
                openStreamed = true;
                delta(out, Json.object().put("type", "thinking_delta").put("thinking", Json.text(e, "delta")));
            }
            case "response.reasoning_summary_part.added" -> {
                if (open == Block.THINKING && openStreamed && Json.text(e, "item_id") != null
                        && Json.text(e, "item_id").equals(openItem))
                    delta(out, Json.object().put("type", "thinking_delta").put("thinking", "\n\n"));
            }
            case "response.output_item.added" -> {
                JsonNode item = e.path("item");
                if ("function_call".equals(Json.text(item, "type")) || "custom_tool_call".equals(Json.text(item, "type")))
                    ensureBlock(Block.TOOL, Json.text(item, "id"), item, out);
            }
            case "response.function_call_arguments.delta", "response.custom_tool_call_input.delta" -> {
                if (open != Block.TOOL || !String.valueOf(Json.text(e, "item_id")).equals(openItem)) return;
                openStreamed = true;
                delta(out, Json.object().put("type", "input_json_delta").put("partial_json", Json.text(e, "delta")));
            }
            case "response.output_item.done" -> itemDone(e.path("item"), out);
            case "response.completed" -> finish(e.path("response"), sawToolUse ? "tool_use" : "end_turn", out);
            case "response.incomplete" -> finish(e.path("response"), "max_tokens", out);
            case "response.failed" -> fail(e.path("response").path("error"), out);
            case "error" -> fail(e.has("error") ? e.get("error") : e, out);
            default -> { }
        }
    }

    @Override
    public void onEnd(SseSink out) {
        if (finished) return;
        ObjectNode err = Json.object().put("code", "stream_incomplete")
                .put("message", "The upstream stream ended before the answer was complete; retry the request.");
        fail(err, out);
    }

    private void text(String text, SseSink out) {
        if (stops.active()) text = stops.accept(text);
        if (text != null && !text.isEmpty()) delta(out, Json.object().put("type", "text_delta").put("text", text));
        if (stops.matched() != null) closeBlock(out);
    }

    private void start(JsonNode response, SseSink out) {
        if (started) return;
        started = true;
        String rid = Json.text(response, "id");
        ObjectNode m = Json.object();
        m.put("id", "msg_" + (rid == null ? Long.toHexString(clock.millis()) : rid.startsWith("resp_") ? rid.substring(5) : rid));
        m.put("type", "message");
        m.put("role", "assistant");
        m.put("model", clientModel);
        m.putArray("content");
        m.putNull("stop_reason");
        m.putNull("stop_sequence");
        m.set("usage", TokenUsage.ZERO.toAnthropic());
        ObjectNode ev = Json.object().put("type", "message_start");
        ev.set("message", m);
        send(out, "message_start", ev);
    }

    private void itemDone(JsonNode item, SseSink out) {
        String type = String.valueOf(Json.text(item, "type"));
        String id = Json.text(item, "id");
        switch (type) {
            case "message" -> {
                boolean same = open == Block.TEXT && id != null && id.equals(openItem);
                if (!(same && openStreamed)) {
                    StringBuilder text = new StringBuilder();
                    for (JsonNode p : item.path("content")) {
                        String t = "refusal".equals(Json.text(p, "type")) ? Json.text(p, "refusal") : Json.text(p, "text");
                        if (t != null) text.append(t);
                    }
                    if (text.length() == 0 && !same) return;
                    ensureBlock(Block.TEXT, id, null, out);
                    if (text.length() > 0) text(text.toString(), out);
                }
                if (stops.active() && open == Block.TEXT) {
                    String rest = stops.flush();
                    if (!rest.isEmpty()) delta(out, Json.object().put("type", "text_delta").put("text", rest));
                }
                closeBlock(out);
            }
            case "reasoning" -> {
                boolean same = open == Block.THINKING && id != null && id.equals(openItem);
                if (!(same && openStreamed)) {
                    StringBuilder text = new StringBuilder();
                    for (JsonNode s : item.path("summary")) {
                        if (text.length() > 0) text.append("\n\n");
                        text.append(s.path("text").asText());
                    }
                    if (text.length() == 0 && !same) return; // encrypted-only reasoning: nothing to show
                    ensureBlock(Block.THINKING, id, null, out);
                    if (text.length() > 0) delta(out, Json.object().put("type", "thinking_delta").put("thinking", text.toString()));
                }
                // clients require a signature to close a thinking block; it is never sent back upstream (see docs)
                delta(out, Json.object().put("type", "signature_delta").put("signature", id == null ? "relay" : id));
                closeBlock(out);
            }
            case "function_call", "custom_tool_call" -> {
                boolean same = open == Block.TOOL && id != null && id.equals(openItem);
                // a call whose block another item already closed was sent with its deltas; never open it twice
                if (!same && id != null && closedTools.contains(id)) return;
                if (!same) ensureBlock(Block.TOOL, id, item, out);
                if (!(same && openStreamed)) {
                    String args = "function_call".equals(type) ? item.path("arguments").asText("")
                            : Json.write(Json.object().put("input", item.path("input").asText("")));
                    if (!args.isEmpty()) delta(out, Json.object().put("type", "input_json_delta").put("partial_json", args));
                }
                closeBlock(out);
            }
            default -> { }
        }
    }

    private void ensureBlock(Block kind, String itemId, JsonNode toolItem, SseSink out) {
        if (!started) start(Json.object(), out);
        if (open == kind && itemId != null && itemId.equals(openItem)) return;
        closeBlock(out);
        ObjectNode block = Json.object();
        switch (kind) {
            case TEXT -> block.put("type", "text").put("text", "");
            case THINKING -> block.put("type", "thinking").put("thinking", "").put("signature", "");
            case TOOL -> {
                sawToolUse = true;
                block.put("type", "tool_use");
                block.put("id", Json.text(toolItem, "call_id"));
                block.put("name", Json.text(toolItem, "name"));
                block.putObject("input");
            }
            default -> throw new IllegalStateException();
        }
        ObjectNode ev = Json.object().put("type", "content_block_start").put("index", nextIndex);
        ev.set("content_block", block);
        send(out, "content_block_start", ev);
        open = kind;
        openItem = itemId;
        openStreamed = false;
    }

    private void closeBlock(SseSink out) {
        if (open == Block.NONE) return;
        if (open == Block.TOOL && openItem != null) closedTools.add(openItem);
        send(out, "content_block_stop", Json.object().put("type", "content_block_stop").put("index", nextIndex));
        nextIndex++;
        open = Block.NONE;
        openItem = null;
        openStreamed = false;
    }

    private void delta(SseSink out, ObjectNode delta) {
        ObjectNode ev = Json.object().put("type", "content_block_delta").put("index", nextIndex);
        ev.set("delta", delta);
        send(out, "content_block_delta", ev);
    }

    private void finish(JsonNode response, String stopReason, SseSink out) {
        if (!started) start(response, out);
        closeBlock(out);
        ObjectNode ev = Json.object().put("type", "message_delta");
        if (stops.matched() != null) ev.putObject("delta").put("stop_reason", "stop_sequence").put("stop_sequence", stops.matched());
        else ev.putObject("delta").put("stop_reason", stopReason).putNull("stop_sequence");
        ev.set("usage", TokenUsage.fromResponses(response.get("usage")).toAnthropic());
        send(out, "message_delta", ev);
        send(out, "message_stop", Json.object().put("type", "message_stop"));
        finished = true;
    }

    private void fail(JsonNode error, SseSink out) {
        AnthropicErrors.ErrorReply reply = AnthropicErrors.fromResponsesError(error);
        send(out, "error", reply.body());
        finished = true;
    }

    private static void send(SseSink out, String name, ObjectNode data) {
        out.event(name, Json.write(data));
    }
}
