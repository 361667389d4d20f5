package io.codexrelay.convert;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Writes the Responses SSE events Codex reads, for the converters of non-Responses upstreams: one object per
 * stream. It numbers events ({@code sequence_number}) and output items ({@code output_index}), keeps at most one
 * message and one reasoning item open, and builds each finished item for its {@code output_item.done} (the event
 * Codex records). The text of the open message is the only text it holds; {@code response.completed} lists the
 * finished items by reference.
 */
final class ResponsesEventWriter {
    private final String responseId;
    private final String model;
    private final long createdAt;
    private final UpstreamRequest request;
    private final ArrayNode output = Json.array();
    private long sequence;
    private int nextOutputIndex;
    private int nextItem;
    private boolean created;

    private String textItemId;
    private int textOutputIndex;
    private StringBuilder text;

    private String reasoningItemId;
    private int reasoningOutputIndex;
    private StringBuilder reasoning;

    /** A tool call being streamed. */
    static final class ToolCall {
        final String itemId;
        final String callId;
        final String name;
        final int outputIndex;
        final boolean plainFunction;
        final StringBuilder arguments = new StringBuilder();
        boolean done;

        ToolCall(String itemId, String callId, String name, int outputIndex, boolean plainFunction) {
            this.itemId = itemId;
            this.callId = callId;
            this.name = name;
            this.outputIndex = outputIndex;
            this.plainFunction = plainFunction;
        }
    }

    ResponsesEventWriter(String responseId, String model, long createdAt, UpstreamRequest request) {
        this.responseId = responseId;
        this.model = model;
        this.createdAt = createdAt;
        this.request = request;
    }

    boolean started() {
        return created;
    }

    void created(SseSink out) {
        if (created) return;
        created = true;
        ObjectNode r = response("in_progress");
        r.putArray("output");
        ObjectNode e = event("response.created");
        e.set("response", r);
        send(out, e);
    }

    void textDelta(String delta, SseSink out) {
        if (delta == null || delta.isEmpty()) return;
        created(out);
        closeReasoning(out);
        if (textItemId == null) {
            textItemId = itemId("msg");
            textOutputIndex = nextOutputIndex++;
            text = new StringBuilder(256);
            ObjectNode item = messageItem("in_progress", "");
            item.putArray("content");
            added(item, textOutputIndex, out);
            ObjectNode part = event("response.content_part.added");
            part.put("item_id", textItemId).put("output_index", textOutputIndex).put("content_index", 0);
            part.putObject("part").put("type", "output_text").put("text", "").putArray("annotations");
            send(out, part);
        }
        text.append(delta);
        ObjectNode e = event("response.output_text.delta");
        e.put("item_id", textItemId).put("output_index", textOutputIndex).put("content_index", 0).put("delta", delta);
        send(out, e);
    }

    void closeText(SseSink out) {
        if (textItemId == null) return;
        String full = text.toString();
        ObjectNode d = event("response.output_text.done");
        d.put("item_id", textItemId).put("output_index", textOutputIndex).put("content_index", 0).put("text", full);
        send(out, d);
        ObjectNode partDone = event("response.content_part.done");
        partDone.put("item_id", textItemId).put("output_index", textOutputIndex).put("content_index", 0);
        partDone.set("part", outputText(full));
        send(out, partDone);
        ObjectNode item = messageItem("completed", full);
        done(item, textOutputIndex, out);
        textItemId = null;
        text = null;
    }

    void reasoningDelta(String delta, SseSink out) {
        if (delta == null || delta.isEmpty()) return;
        created(out);
        closeText(out);
        if (reasoningItemId == null) {
            reasoningItemId = itemId("rs");
            reasoningOutputIndex = nextOutputIndex++;
            reasoning = new StringBuilder(256);
            ObjectNode item = Json.object().put("id", reasoningItemId).put("type", "reasoning");
            item.putArray("summary");
            added(item, reasoningOutputIndex, out);
            ObjectNode part = event("response.reasoning_summary_part.added");
            part.put("item_id", reasoningItemId).put("output_index", reasoningOutputIndex).put("summary_index", 0);
            part.putObject("part").put("type", "summary_text").put("text", "");
            send(out, part);
        }
        reasoning.append(delta);
        ObjectNode e = event("response.reasoning_summary_text.delta");
        e.put("item_id", reasoningItemId).put("output_index", reasoningOutputIndex).put("summary_index", 0).put("delta", delta);
        send(out, e);
    }

    void closeReasoning(SseSink out) {
        if (reasoningItemId == null) return;
        String full = reasoning.toString();
        ObjectNode d = event("response.reasoning_summary_text.done");
        d.put("item_id", reasoningItemId).put("output_index", reasoningOutputIndex).put("summary_index", 0).put("text", full);
        send(out, d);
        ObjectNode item = Json.object().put("id", reasoningItemId).put("type", "reasoning");
        item.putArray("summary").addObject().put("type", "summary_text").put("text", full);
        done(item, reasoningOutputIndex, out);
        reasoningItemId = null;
        reasoning = null;
    }

    ToolCall startCall(String callId, String name, SseSink out) {
        created(out);
        closeText(out);
        closeReasoning(out);
        boolean custom = request.customTools().contains(name);
        boolean shell = request.localShell() && UpstreamRequest.LOCAL_SHELL.equals(name);
        ToolCall call = new ToolCall(itemId(custom ? "ctc" : shell ? "lsh" : "fc"), callId == null ? itemId("call") : callId,
                name, nextOutputIndex++, !custom && !shell);
        ObjectNode item = Json.object().put("id", call.itemId);
        if (custom) item.put("type", "custom_tool_call").put("status", "in_progress").put("call_id", call.callId).put("name", name).put("input", "");
        else if (shell) item.put("type", "local_shell_call").put("status", "in_progress").put("call_id", call.callId);
        else item.put("type", "function_call").put("status", "in_progress").put("call_id", call.callId).put("name", name).put("arguments", "");
        added(item, call.outputIndex, out);
        return call;
    }

    /** Function arguments stream through; a custom tool's or shell call's JSON wrapper is held until it is whole. */
    void callDelta(ToolCall call, String delta, SseSink out) {
        if (delta == null || delta.isEmpty() || call.done) return;
        call.arguments.append(delta);
        if (!call.plainFunction) return;
        ObjectNode e = event("response.function_call_arguments.delta");
        e.put("item_id", call.itemId).put("output_index", call.outputIndex).put("delta", delta);
        send(out, e);
    }

    void finishCall(ToolCall call, SseSink out) {
        if (call.done) return;
        call.done = true;
        String args = call.arguments.toString();
        ObjectNode item = CodexTools.callItem(call.itemId, call.callId, call.name, args, request);
        if (call.plainFunction) {
            ObjectNode e = event("response.function_call_arguments.done");
            e.put("item_id", call.itemId).put("output_index", call.outputIndex).put("arguments", Json.text(item, "arguments"));
            send(out, e);
        } else if ("custom_tool_call".equals(Json.text(item, "type"))) {
            ObjectNode e = event("response.custom_tool_call_input.done");
            e.put("item_id", call.itemId).put("output_index", call.outputIndex).put("input", Json.text(item, "input"));
            send(out, e);
        }
        done(item, call.outputIndex, out);
    }

    /**
     * Ends the response: {@code response.completed}, or {@code response.incomplete} with the reason when the upstream
     * stopped at its token limit (Codex reports that instead of taking a cut answer as whole).
     */
    void completed(TokenUsage usage, String incompleteReason, SseSink out) {
        created(out);
        closeReasoning(out);
        closeText(out);
        ObjectNode r = response(incompleteReason == null ? "completed" : "incomplete");
        if (incompleteReason != null) r.putObject("incomplete_details").put("reason", incompleteReason);
        r.set("output", output);
        r.set("usage", usage.toResponses());
        ObjectNode e = event(incompleteReason == null ? "response.completed" : "response.incomplete");
        e.set("response", r);
        send(out, e);
    }

    void failed(String code, String message, SseSink out) {
        created(out);
        ObjectNode r = response("failed");
        r.putObject("error").put("code", code).put("message", message);
        r.set("output", output);
        ObjectNode e = event("response.failed");
        e.set("response", r);
        send(out, e);
    }

    private ObjectNode messageItem(String status, String fullText) {
        ObjectNode item = Json.object().put("id", textItemId).put("type", "message").put("status", status).put("role", "assistant");
        if (fullText != null && "completed".equals(status)) item.putArray("content").add(outputText(fullText));
        return item;
    }

    private static ObjectNode outputText(String text) {
        ObjectNode p = Json.object().put("type", "output_text").put("text", text);
        p.putArray("annotations");
        return p;
    }

    private void added(ObjectNode item, int outputIndex, SseSink out) {
        ObjectNode e = event("response.output_item.added");
        e.put("output_index", outputIndex);
        e.set("item", item);
        send(out, e);
    }

    private void done(ObjectNode item, int outputIndex, SseSink out) {
        output.add(item);
        ObjectNode e = event("response.output_item.done");
        e.put("output_index", outputIndex);
        e.set("item", item);
        send(out, e);
    }

    private ObjectNode response(String status) {
        ObjectNode r = Json.object();
        r.put("id", responseId);
        r.put("object", "response");
        r.put("created_at", createdAt);
        r.put("status", status);
        r.put("model", model);
        return r;
    }

    private String itemId(String prefix) {
        return prefix + "_" + responseId.substring(responseId.indexOf('_') + 1) + "_" + (nextItem++);
    }

    private ObjectNode event(String type) {
        return Json.object().put("type", type).put("sequence_number", sequence++);
    }

    private static void send(SseSink out, ObjectNode e) {
        out.event(e.get("type").asText(), Json.write(e));
    }
}
