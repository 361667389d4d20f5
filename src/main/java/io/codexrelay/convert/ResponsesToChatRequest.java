package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Responses request (as Codex sends it) to a Chat Completions request, for OpenAI-compatible upstreams
 * (DeepSeek, Qwen, Kimi, OpenRouter, Ollama, vLLM, LM Studio).
 *
 * <p>{@code instructions} and developer/system messages become {@code system} messages (many providers do not know
 * the {@code developer} role). Consecutive tool calls of any kind ({@code function_call}, {@code custom_tool_call},
 * {@code local_shell_call}) join one assistant message's {@code tool_calls}, attached to the assistant text just
 * before them; their outputs become {@code tool} messages. Reasoning items are dropped: they are encrypted for
 * OpenAI and mean nothing to another provider. See {@link CodexTools} for how custom tools and local_shell are
 * declared. {@code max_output_tokens} becomes {@code max_tokens}, the name every compatible server knows.
 */
public final class ResponsesToChatRequest {
    /** Codex's own bookkeeping fields: meaningless upstream, dropped without a log line. */
    private static final Set<String> SILENT = Set.of("model", "input", "instructions", "tools", "tool_choice",
            "parallel_tool_calls", "reasoning", "max_output_tokens", "text", "temperature", "top_p", "stream", "store",
            "include", "prompt_cache_key", "client_metadata", "user", "metadata", "service_tier", "truncation");

    public UpstreamRequest translate(JsonNode req) {
        if (req == null || !req.isObject()) throw new ConversionException("the request body must be a JSON object");
        req = CodexTools.hoistToolDeclarations(req);
        List<String> dropped = new ArrayList<>();
        Set<String> customTools = new HashSet<>();
        boolean localShell = false;

        ObjectNode out = Json.object();
        out.set("model", req.get("model"));
        ArrayNode messages = out.putArray("messages");
        String instructions = Json.text(req, "instructions");
        if (instructions != null && !instructions.isEmpty()) messages.addObject().put("role", "system").put("content", instructions);

        JsonNode input = req.get("input");
        if (input != null && input.isTextual()) {
            messages.addObject().put("role", "user").put("content", input.asText());
        } else if (input != null) {
            int reasoningDropped = 0;
            ArrayNode toolImages = Json.array();
            for (JsonNode item : input) {
                String type = Json.text(item, "type");
                if (type == null && item.has("role")) type = "message";
                boolean toolOutput = "function_call_output".equals(type) || "custom_tool_call_output".equals(type);
                if (!toolOutput && !"reasoning".equals(type)) flushToolImages(toolImages, messages);
                switch (String.valueOf(type)) {
                    case "message" -> addMessage(item, messages);
                    case "function_call" -> addToolCall(messages, Json.text(item, "call_id"), Json.text(item, "name"),
                            item.path("arguments").asText("{}"));
                    case "custom_tool_call" -> addToolCall(messages, Json.text(item, "call_id"), Json.text(item, "name"),
                            Json.write(Json.object().put("input", item.path("input").asText(""))));
                    case "local_shell_call" -> addToolCall(messages, firstNonNull(Json.text(item, "call_id"), Json.text(item, "id")),
                            UpstreamRequest.LOCAL_SHELL, Json.write(CodexTools.localShellArguments(item)));
                    case "function_call_output", "custom_tool_call_output" -> addToolOutput(item, messages, toolImages);
                    case "reasoning" -> reasoningDropped++;
                    default -> dropped.add("input[type=" + type + "]");
                }
            }
            flushToolImages(toolImages, messages);
            if (reasoningDropped > 0) dropped.add("input[type=reasoning] x" + reasoningDropped);
        }

        JsonNode tools = req.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            ArrayNode ts = Json.array();
            for (JsonNode t : tools) {
                String type = String.valueOf(Json.text(t, "type"));
                switch (type) {
                    case "function" -> ts.add(function(Json.text(t, "name"), Json.text(t, "description"),
                            t.has("parameters") ? t.get("parameters") : Json.object().put("type", "object"), t.get("strict")));
                    case "custom" -> {
                        customTools.add(Json.text(t, "name"));
                        ts.add(function(Json.text(t, "name"), CodexTools.customDescription(t), CodexTools.customSchema(), null));
                    }
                    case "local_shell" -> {
                        localShell = true;
                        ts.add(function(UpstreamRequest.LOCAL_SHELL, CodexTools.LOCAL_SHELL_DESCRIPTION, CodexTools.localShellSchema(), null));
                    }
                    default -> dropped.add("tools[type=" + type + "]"); // web_search and other hosted tools
                }
            }
            if (!ts.isEmpty()) {
                out.set("tools", ts);
                JsonNode choice = req.get("tool_choice");
                if (choice != null && choice.isTextual()) out.set("tool_choice", choice);
                else if (choice != null && choice.isObject() && Json.text(choice, "name") != null)
                    out.putObject("tool_choice").put("type", "function").putObject("function").put("name", Json.text(choice, "name"));
                if (req.has("parallel_tool_calls")) out.set("parallel_tool_calls", req.get("parallel_tool_calls"));
            }
        }
        String effort = Json.text(req.path("reasoning"), "effort");
        if (effort != null) out.put("reasoning_effort", effort);
        JsonNode max = req.get("max_output_tokens");
        if (max != null && max.isNumber()) out.put("max_tokens", max.asInt());
        if (req.hasNonNull("temperature")) out.set("temperature", req.get("temperature"));
        if (req.hasNonNull("top_p")) out.set("top_p", req.get("top_p"));
        JsonNode format = req.path("text").path("format");
        if ("json_schema".equals(Json.text(format, "type"))) {
            ObjectNode js = out.putObject("response_format").put("type", "json_schema").putObject("json_schema");
            js.put("name", firstNonNull(Json.text(format, "name"), "response"));
            js.set("schema", format.get("schema"));
            if (format.has("strict")) js.set("strict", format.get("strict"));
        } else if ("json_object".equals(Json.text(format, "type"))) {
            out.putObject("response_format").put("type", "json_object");
        }
        out.put("stream", true);
        out.putObject("stream_options").put("include_usage", true);
        req.fieldNames().forEachRemaining(f -> {
            if (!SILENT.contains(f)) dropped.add(f);
        });
        return new UpstreamRequest(out, customTools, localShell, dropped);
    }

    private static void addMessage(JsonNode item, ArrayNode messages) {
        String role = String.valueOf(Json.text(item, "role"));
        JsonNode content = item.get("content");
        switch (role) {
            case "developer", "system" -> messages.addObject().put("role", "system").put("content", Json.joinText(content));
            case "assistant" -> messages.addObject().put("role", "assistant").put("content", Json.joinText(content));
            default -> {
                ObjectNode m = messages.addObject().put("role", "user");
                if (content == null || content.isTextual()) {
                    m.put("content", content == null ? "" : content.asText());
                    return;
                }
                boolean onlyText = true;
                for (JsonNode p : content) onlyText &= !"input_image".equals(Json.text(p, "type"));
                if (onlyText) {
                    m.put("content", Json.joinText(content));
                    return;
                }
                ArrayNode parts = m.putArray("content");
                for (JsonNode p : content) {
                    if ("input_image".equals(Json.text(p, "type"))) {
                        ObjectNode img = parts.addObject().put("type", "image_url").putObject("image_url");
                        img.put("url", Json.text(p, "image_url"));
                        if (p.hasNonNull("detail")) img.put("detail", Json.text(p, "detail"));
                    } else if (p.hasNonNull("text")) {
                        parts.addObject().put("type", "text").put("text", Json.text(p, "text"));
                    }
                }
            }
        }
    }

    /** Appends a call to the assistant message just before it, or starts one; Chat wants calls grouped. */
    private static void addToolCall(ArrayNode messages, String callId, String name, String arguments) {
        ObjectNode last = messages.isEmpty() ? null : (ObjectNode) messages.get(messages.size() - 1);
        ObjectNode target;
        if (last != null && "assistant".equals(Json.text(last, "role"))) {
            target = last;
            if (Json.joinText(last.get("content")).isEmpty()) target.putNull("content");
        } else {
            target = messages.addObject().put("role", "assistant");
            target.putNull("content");
        }
        ArrayNode calls = target.has("tool_calls") ? (ArrayNode) target.get("tool_calls") : target.putArray("tool_calls");
        ObjectNode c = calls.addObject();
        c.put("id", callId);
        c.put("type", "function");
        c.putObject("function").put("name", name).put("arguments", arguments);
    }

    private static void addToolOutput(JsonNode item, ArrayNode messages, ArrayNode toolImages) {
        JsonNode output = item.get("output");
        messages.addObject().put("role", "tool").put("tool_call_id", Json.text(item, "call_id"))
                .put("content", CodexTools.outputText(output));
        toolImages.addAll(CodexTools.outputImages(output));
    }

    /**
     * Tool messages carry text only, so images a tool returned ({@code view_image}) follow as one user message, after
     * the whole run of tool messages: a user message between them would break "tool messages answer the calls".
     */
    private static void flushToolImages(ArrayNode toolImages, ArrayNode messages) {
        if (toolImages.isEmpty()) return;
        ArrayNode parts = messages.addObject().put("role", "user").putArray("content");
        for (JsonNode url : toolImages) parts.addObject().put("type", "image_url").putObject("image_url").set("url", url);
        toolImages.removeAll();
    }

    private static ObjectNode function(String name, String description, JsonNode parameters, JsonNode strict) {
        ObjectNode t = Json.object().put("type", "function");
        ObjectNode f = t.putObject("function");
        f.put("name", name);
        if (description != null) f.put("description", description);
        f.set("parameters", parameters);
        if (strict != null && strict.asBoolean(false)) f.put("strict", true);
        return t;
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }
}
