package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Anthropic Messages request ({@code POST /v1/messages}, as Claude Code sends it) to a Responses request.
 *
 * <p>{@code system} (string or text blocks, joined by blank lines) becomes {@code instructions}. Content blocks map in order:
 * text and images to input parts, {@code tool_use} to {@code function_call} items, {@code tool_result} to
 * {@code function_call_output} items (placed where they stood, so a result directly follows its call). Thinking blocks
 * the client replays are dropped: their signatures are Anthropic's and mean nothing upstream. {@code thinking} becomes
 * {@code reasoning.effort} by budget; {@code stop_sequences} are enforced on the answer ({@link StopSequences});
 * {@code top_k} has no Responses equivalent and is dropped (named in {@link TranslatedRequest#dropped()}). The model name goes through the caller's mapping.
 */
public final class AnthropicToResponsesRequest {
    /** Fields this converter reads; anything else a client sends is named in {@code dropped}. */
    private static final Set<String> KNOWN = Set.of("model", "messages", "system", "tools", "tool_choice",
            "max_tokens", "thinking", "temperature", "top_p", "top_k", "metadata", "stop_sequences", "stream",
            "output_config");

    private final UnaryOperator<String> modelMapping;

    public AnthropicToResponsesRequest(UnaryOperator<String> modelMapping) {
        this.modelMapping = modelMapping;
    }

    public TranslatedRequest translate(JsonNode req) {
        if (req == null || !req.isObject()) throw new ConversionException("the request body must be a JSON object");
        String model = Json.text(req, "model");
        if (model == null || model.isBlank()) throw new ConversionException("model: field required");
        JsonNode messages = req.get("messages");
        if (messages == null || !messages.isArray()) throw new ConversionException("messages: field required (an array)");

        List<String> dropped = new ArrayList<>();
        ObjectNode out = Json.object();
        out.put("model", modelMapping.apply(model));
        // The ChatGPT backend refuses a request without top-level instructions, so the system prompt travels there.
        JsonNode system = req.get("system");
        StringBuilder instructions = new StringBuilder();
        if (system != null && system.isTextual()) instructions.append(system.asText());
        else if (system != null) for (JsonNode b : system) {
            String t = Json.text(b, "text");
            // Claude Code's first system block is a billing line for Anthropic, not an instruction for the model
            if (t == null || t.isEmpty() || t.startsWith("x-anthropic-billing-header:")) continue;
            if (instructions.length() > 0) instructions.append("\n\n");
            instructions.append(t);
        }
        out.put("instructions", instructions.length() > 0 ? instructions.toString() : ChatToResponsesRequest.DEFAULT_INSTRUCTIONS);
        ArrayNode input = out.putArray("input");
        for (JsonNode m : messages) addMessage(m, input);

        JsonNode tools = req.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            ArrayNode ts = out.putArray("tools");
            for (JsonNode t : tools) {
                String type = Json.text(t, "type");
                if (type != null && !"custom".equals(type)) {
                    dropped.add("tools[type=" + type + "]"); // server tools (web_search_*, bash_*) run at Anthropic
                    continue;
                }
                ObjectNode f = ts.addObject();
                f.put("type", "function");
                f.put("name", Json.text(t, "name"));
                if (t.hasNonNull("description")) f.put("description", Json.text(t, "description"));
                JsonNode schema = t.get("input_schema");
                f.set("parameters", schema == null || schema.isNull() ? Json.object().put("type", "object") : schema);
                f.put("strict", false); // Claude Code's schemas are not written for strict mode
            }
        }
        JsonNode choice = req.get("tool_choice");
        if (choice != null && choice.isObject()) {
            String type = Json.text(choice, "type");
            switch (String.valueOf(type)) {
                case "any" -> out.put("tool_choice", "required");
                case "none" -> out.put("tool_choice", "none");
                case "tool" -> out.putObject("tool_choice").put("type", "function").put("name", Json.text(choice, "name"));
                default -> out.put("tool_choice", "auto");
            }
            if (choice.path("disable_parallel_tool_use").asBoolean(false)) out.put("parallel_tool_calls", false);
        }
        JsonNode max = req.get("max_tokens");
        if (max != null && max.isNumber()) out.put("max_output_tokens", max.asInt());
        JsonNode thinking = req.get("thinking");
        boolean thinkingOn = thinking != null && thinking.isObject() && !"disabled".equals(Json.text(thinking, "type"));
        // Claude Code 2.x sends thinking {type: adaptive} plus output_config.effort; older clients a token budget
        String effort = effortName(Json.text(req.path("output_config"), "effort"));
        if (thinkingOn || effort != null) {
            ObjectNode r = out.putObject("reasoning");
            r.put("effort", effort != null ? effort : effortFor(thinking));
            // "display": "omitted" means the client will not show thinking: do not pay for summaries
            if (thinkingOn && !"omitted".equals(Json.text(thinking, "display"))) r.put("summary", "auto");
        }
        JsonNode format = req.path("output_config").get("format");
        if (format != null && "json_schema".equals(Json.text(format, "type"))) {
            ObjectNode f = out.putObject("text").putObject("format");
            f.put("type", "json_schema");
            f.put("name", "output");
            f.set("schema", format.get("schema"));
            f.put("strict", false);
        }
        // Anthropic requires temperature 1 with thinking; with Responses reasoning models it must be absent
        if (thinking == null || "disabled".equals(Json.text(thinking, "type"))) {
            if (req.hasNonNull("temperature")) out.set("temperature", req.get("temperature"));
            if (req.hasNonNull("top_p")) out.set("top_p", req.get("top_p"));
        }
        String userId = Json.text(req.path("metadata"), "user_id");
        if (userId != null) {
            out.putObject("metadata").put("user_id", userId.length() > 512 ? userId.substring(0, 512) : userId);
        }
        if (req.hasNonNull("top_k")) dropped.add("top_k");
        req.fieldNames().forEachRemaining(f -> {
            if (!KNOWN.contains(f)) dropped.add(f); // e.g. context_management: nothing upstream can honour it
        });
        out.put("stream", true);
        out.put("store", false);
        List<String> stops = new ArrayList<>();
        req.path("stop_sequences").forEach(s -> stops.add(s.asText()));
        return new TranslatedRequest(out, model, req.path("stream").asBoolean(false), false, stops, dropped);
    }

    /** Anthropic's effort levels; "max" has no portable Responses equivalent above "high". */
    static String effortName(String anthropicEffort) {
        if (anthropicEffort == null) return null;
        return switch (anthropicEffort) {
            case "low", "medium", "high" -> anthropicEffort;
            case "max", "xhigh" -> "high";
            default -> null;
        };
    }

    /** Thinking budget to effort: Claude Code asks 4k ("think"), ~10k ("think hard") and 32k ("ultrathink"). */
    static String effortFor(JsonNode thinking) {
        if (!"enabled".equals(Json.text(thinking, "type"))) return "medium"; // "adaptive": let the model decide
        int budget = thinking.path("budget_tokens").asInt(8192);
        if (budget < 4096) return "low";
        if (budget < 16384) return "medium";
        return "high";
    }

    private static void addMessage(JsonNode m, ArrayNode input) {
        String role = Json.text(m, "role");
        if ("system".equals(role)) {
            // Claude Code 2.x puts late system notes (environment, reminders) among the messages
            String t = Json.joinText(m.get("content"));
            if (!t.isEmpty()) {
                ArrayNode parts = Json.array();
                parts.addObject().put("type", "input_text").put("text", t);
                input.add(message("developer", parts));
            }
            return;
        }
        if (!"user".equals(role) && !"assistant".equals(role))
            throw new ConversionException("messages: role must be 'user', 'assistant' or 'system', not '" + role + "'");
        boolean assistant = "assistant".equals(role);
        JsonNode content = m.get("content");
        if (content == null || content.isNull()) return;
        if (content.isTextual()) {
            ArrayNode parts = Json.array();
            parts.add(textPart(assistant, content.asText()));
            input.add(message(role, parts));
            return;
        }
        ArrayNode parts = Json.array();
        for (JsonNode b : content) {
            String type = String.valueOf(Json.text(b, "type"));
            switch (type) {
                case "text" -> parts.add(textPart(assistant, Json.text(b, "text")));
                case "image" -> {
                    if (assistant) continue;
                    parts.add(image(b.path("source")));
                }
                case "document" -> {
                    if (assistant) continue;
                    parts.add(document(b));
                }
                case "tool_use", "server_tool_use" -> {
                    flush(role, parts, input);
                    ObjectNode o = input.addObject();
                    o.put("type", "function_call");
                    o.put("call_id", Json.text(b, "id"));
                    o.put("name", Json.text(b, "name"));
                    JsonNode in = b.get("input");
                    o.put("arguments", in == null || in.isNull() ? "{}" : Json.write(in));
                }
                case "tool_result" -> {
                    flush(role, parts, input);
                    ObjectNode o = input.addObject();
                    o.put("type", "function_call_output");
                    o.put("call_id", Json.text(b, "tool_use_id"));
                    o.set("output", toolOutput(b));
                }
                case "thinking", "redacted_thinking" -> { } // Anthropic signatures cannot be replayed upstream
                default -> throw new ConversionException("messages: content block type '" + type + "' is not supported");
            }
        }
        flush(role, parts, input);
    }

    private static JsonNode toolOutput(JsonNode b) {
        JsonNode c = b.get("content");
        String prefix = b.path("is_error").asBoolean(false) ? "Error: " : "";
        if (c == null || c.isNull()) return Json.NODES.textNode(prefix);
        if (c.isTextual()) return Json.NODES.textNode(prefix + c.asText());
        boolean hasImage = false;
        for (JsonNode p : c) hasImage |= "image".equals(Json.text(p, "type"));
        if (!hasImage) return Json.NODES.textNode(prefix + Json.joinText(c));
        // Responses accepts a list of input parts as a tool's output: keep screenshots the tool returned
        ArrayNode parts = Json.array();
        if (!prefix.isEmpty()) parts.addObject().put("type", "input_text").put("text", prefix);
        for (JsonNode p : c) {
            if ("image".equals(Json.text(p, "type"))) parts.add(image(p.path("source")));
            else if (p.hasNonNull("text")) parts.addObject().put("type", "input_text").put("text", Json.text(p, "text"));
        }
        return parts;
    }

    private static void flush(String role, ArrayNode parts, ArrayNode input) {
        if (parts.isEmpty()) return;
        input.add(message(role, parts.deepCopy()));
        parts.removeAll();
    }

    private static ObjectNode textPart(boolean assistant, String text) {
        return Json.object().put("type", assistant ? "output_text" : "input_text").put("text", text == null ? "" : text);
    }

    static ObjectNode image(JsonNode source) {
        String type = Json.text(source, "type");
        String url;
        if ("base64".equals(type)) url = "data:" + Json.text(source, "media_type") + ";base64," + Json.text(source, "data");
        else if ("url".equals(type)) url = Json.text(source, "url");
        else throw new ConversionException("image source type '" + type + "' is not supported: send base64 or url");
        return Json.object().put("type", "input_image").put("image_url", url).put("detail", "auto");
    }

    private static ObjectNode document(JsonNode b) {
        JsonNode s = b.path("source");
        String type = Json.text(s, "type");
        if ("text".equals(type)) return Json.object().put("type", "input_text").put("text", Json.text(s, "data"));
        if (!"base64".equals(type)) throw new ConversionException("document source type '" + type + "' is not supported");
        ObjectNode o = Json.object().put("type", "input_file");
        o.put("filename", b.hasNonNull("title") ? Json.text(b, "title") : "document.pdf");
        o.put("file_data", "data:" + Json.text(s, "media_type") + ";base64," + Json.text(s, "data"));
        return o;
    }

    private static ObjectNode message(String role, ArrayNode content) {
        ObjectNode o = Json.object();
        o.put("type", "message");
        o.put("role", role);
        o.set("content", content);
        return o;
    }
}
