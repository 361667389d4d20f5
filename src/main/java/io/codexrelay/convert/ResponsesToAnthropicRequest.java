package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A Responses request (as Codex sends it) to an Anthropic Messages request, for Anthropic-key accounts.
 *
 * <p>{@code instructions} and developer/system messages become {@code system} text blocks. Messages keep their
 * order; tool calls become {@code tool_use} blocks of an assistant turn and their outputs {@code tool_result} blocks
 * of the next user turn; consecutive items of one role are merged because Anthropic wants user and assistant turns
 * to alternate. Reasoning items are dropped (OpenAI-encrypted). {@code reasoning.effort} becomes extended thinking
 * with a budget (minimal: off, low 4k, medium 10k, high 32k) and then temperature/top_p are left out, as Anthropic
 * requires. {@code max_tokens} is mandatory upstream: Codex's {@code max_output_tokens}, else 32k, and always above
 * the thinking budget. Anthropic has no JSON-schema output mode: {@code text.format} is dropped and logged.
 */
public final class ResponsesToAnthropicRequest {
    static final int DEFAULT_MAX_TOKENS = 32_000;
    private static final Set<String> SILENT = Set.of("model", "input", "instructions", "tools", "tool_choice",
            "parallel_tool_calls", "reasoning", "max_output_tokens", "temperature", "top_p", "stream", "store",
            "include", "prompt_cache_key", "client_metadata", "metadata", "service_tier", "truncation", "user");

    public UpstreamRequest translate(JsonNode req) {
        if (req == null || !req.isObject()) throw new ConversionException("the request body must be a JSON object");
        req = CodexTools.hoistToolDeclarations(req);
        List<String> dropped = new ArrayList<>();
        Set<String> customTools = new HashSet<>();
        boolean localShell = false;

        ObjectNode out = Json.object();
        out.set("model", req.get("model"));
        ArrayNode system = Json.array();
        String instructions = Json.text(req, "instructions");
        if (instructions != null && !instructions.isEmpty()) system.addObject().put("type", "text").put("text", instructions);
        ArrayNode messages = Json.array();

        JsonNode input = req.get("input");
        if (input != null && input.isTextual()) {
            turn(messages, "user").addObject().put("type", "text").put("text", input.asText());
        } else if (input != null) {
            int reasoningDropped = 0;
            for (JsonNode item : input) {
                String type = Json.text(item, "type");
                if (type == null && item.has("role")) type = "message";
                switch (String.valueOf(type)) {
                    case "message" -> {
                        String role = String.valueOf(Json.text(item, "role"));
                        if (role.equals("developer") || role.equals("system")) {
                            String t = Json.joinText(item.get("content"));
                            if (!t.isEmpty()) system.addObject().put("type", "text").put("text", t);
                        } else {
                            addContent(turn(messages, role.equals("assistant") ? "assistant" : "user"), item.get("content"));
                        }
                    }
                    case "function_call" -> toolUse(messages, Json.text(item, "call_id"), Json.text(item, "name"),
                            Json.parseArguments(Json.text(item, "arguments")));
                    case "custom_tool_call" -> toolUse(messages, Json.text(item, "call_id"), Json.text(item, "name"),
                            Json.object().put("input", item.path("input").asText("")));
                    case "local_shell_call" -> toolUse(messages, Json.text(item, "call_id") != null ? Json.text(item, "call_id") : Json.text(item, "id"),
                            UpstreamRequest.LOCAL_SHELL, CodexTools.localShellArguments(item));
                    case "function_call_output", "custom_tool_call_output" -> toolResult(messages, item);
                    case "reasoning" -> reasoningDropped++;
                    default -> dropped.add("input[type=" + type + "]");
                }
            }
            if (reasoningDropped > 0) dropped.add("input[type=reasoning] x" + reasoningDropped);
        }
        if (!system.isEmpty()) out.set("system", system);
        out.set("messages", messages);

        JsonNode tools = req.get("tools");
        boolean hasTools = false;
        if (tools != null && tools.isArray()) {
            ArrayNode ts = Json.array();
            for (JsonNode t : tools) {
                String type = String.valueOf(Json.text(t, "type"));
                switch (type) {
                    case "function" -> tool(ts, Json.text(t, "name"), Json.text(t, "description"),
                            t.has("parameters") ? t.get("parameters") : Json.object().put("type", "object"));
                    case "custom" -> {
                        customTools.add(Json.text(t, "name"));
                        tool(ts, Json.text(t, "name"), CodexTools.customDescription(t), CodexTools.customSchema());
                    }
                    case "local_shell" -> {
                        localShell = true;
                        tool(ts, UpstreamRequest.LOCAL_SHELL, CodexTools.LOCAL_SHELL_DESCRIPTION, CodexTools.localShellSchema());
                    }
                    default -> dropped.add("tools[type=" + type + "]");
                }
            }
            if (!ts.isEmpty()) {
                out.set("tools", ts);
                hasTools = true;
            }
        }
        if (hasTools) {
            JsonNode choice = req.get("tool_choice");
            ObjectNode tc = Json.object();
            if (choice != null && choice.isObject() && Json.text(choice, "name") != null) tc.put("type", "tool").put("name", Json.text(choice, "name"));
            else if (choice != null && "required".equals(choice.asText())) tc.put("type", "any");
            else if (choice != null && "none".equals(choice.asText())) tc.put("type", "none");
            else tc.put("type", "auto");
            if (req.has("parallel_tool_calls") && !req.get("parallel_tool_calls").asBoolean(true) && !"none".equals(Json.text(tc, "type")))
                tc.put("disable_parallel_tool_use", true);
            out.set("tool_choice", tc);
        }

        int budget = thinkingBudget(Json.text(req.path("reasoning"), "effort"));
        JsonNode max = req.get("max_output_tokens");
        int maxTokens = max != null && max.isNumber() ? max.asInt() : DEFAULT_MAX_TOKENS;
        if (budget > 0) {
            maxTokens = Math.max(maxTokens, budget + 4096);
            out.putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
        } else {
            if (req.hasNonNull("temperature")) out.set("temperature", req.get("temperature"));
            if (req.hasNonNull("top_p")) out.set("top_p", req.get("top_p"));
        }
        out.put("max_tokens", maxTokens);
        if (req.path("text").has("format") && !"text".equals(Json.text(req.path("text").path("format"), "type")))
            dropped.add("text.format");
        out.put("stream", true);
        req.fieldNames().forEachRemaining(f -> {
            if (!SILENT.contains(f) && !"text".equals(f)) dropped.add(f);
        });
        return new UpstreamRequest(out, customTools, localShell, dropped);
    }

    static int thinkingBudget(String effort) {
        if (effort == null) return 0;
        return switch (effort) {
            case "low" -> 4096;
            case "medium" -> 10_000;
            case "high", "xhigh" -> 32_000;
            default -> 0; // minimal, none
        };
    }

    /** The content array of the last message if it has this role, else of a new message. */
    private static ArrayNode turn(ArrayNode messages, String role) {
        if (!messages.isEmpty()) {
            JsonNode last = messages.get(messages.size() - 1);
            if (role.equals(Json.text(last, "role"))) return (ArrayNode) last.get("content");
        }
        ObjectNode m = messages.addObject().put("role", role);
        return m.putArray("content");
    }

    private static void addContent(ArrayNode blocks, JsonNode content) {
        if (content == null || content.isNull()) return;
        if (content.isTextual()) {
            if (!content.asText().isEmpty()) blocks.addObject().put("type", "text").put("text", content.asText());
            return;
        }
        for (JsonNode p : content) {
            String type = String.valueOf(Json.text(p, "type"));
            if (type.equals("input_image")) blocks.add(image(Json.text(p, "image_url")));
            else if (p.hasNonNull("text") && !p.get("text").asText().isEmpty()) blocks.addObject().put("type", "text").put("text", Json.text(p, "text"));
            else if (type.equals("refusal")) blocks.addObject().put("type", "text").put("text", Json.text(p, "refusal"));
        }
    }

    static ObjectNode image(String url) {
        ObjectNode b = Json.object().put("type", "image");
        ObjectNode s = b.putObject("source");
        if (url != null && url.startsWith("data:")) {
            int semi = url.indexOf(';');
            int comma = url.indexOf(',');
            if (semi < 0 || comma < semi) throw new ConversionException("an image data URL must be base64: data:<type>;base64,<data>");
            s.put("type", "base64").put("media_type", url.substring(5, semi)).put("data", url.substring(comma + 1));
        } else {
            s.put("type", "url").put("url", url);
        }
        return b;
    }

    private static void toolUse(ArrayNode messages, String callId, String name, JsonNode input) {
        ObjectNode b = turn(messages, "assistant").addObject();
        b.put("type", "tool_use").put("id", callId).put("name", name);
        b.set("input", input.isObject() ? input : Json.object().set("value", input));
    }

    private static void toolResult(ArrayNode messages, JsonNode item) {
        ObjectNode b = turn(messages, "user").addObject();
        b.put("type", "tool_result").put("tool_use_id", Json.text(item, "call_id"));
        JsonNode output = item.get("output");
        ArrayNode images = CodexTools.outputImages(output);
        if (images.isEmpty()) {
            b.put("content", CodexTools.outputText(output));
        } else {
            ArrayNode c = b.putArray("content");
            String text = CodexTools.outputText(output);
            if (!text.isEmpty()) c.addObject().put("type", "text").put("text", text);
            for (JsonNode url : images) c.add(image(url.asText()));
        }
        if (output != null && output.isObject() && output.has("success") && !output.path("success").asBoolean(true)) b.put("is_error", true);
    }

    private static void tool(ArrayNode ts, String name, String description, JsonNode schema) {
        ObjectNode t = ts.addObject().put("name", name);
        if (description != null) t.put("description", description);
        t.set("input_schema", schema);
    }
}
