package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How Codex's tools that are not plain functions are expressed to upstreams that only know functions, and how their
 * calls are read back. Shared by the Chat Completions and the Anthropic upstream converters so both agree.
 *
 * <ul>
 *   <li>A custom (freeform) tool such as {@code apply_patch} becomes a function with one required string argument
 *       {@code input}; its grammar, when it has one, is appended to the description so the model knows the
 *       syntax. A call's {@code {"input": "..."}} becomes the {@code custom_tool_call}'s {@code input}.</li>
 *   <li>{@code local_shell} becomes a function {@code local_shell(command: string[], workdir?, timeout_ms?)}; a call
 *       becomes a {@code local_shell_call} item with an {@code exec} action.</li>
 * </ul>
 */
final class CodexTools {
    private CodexTools() {}

    /**
     * The request with every tool declaration where the converters look for it: newer Codex models (the default model
     * of Codex 0.169 / 0.171) send no top-level {@code tools} but an {@code additional_tools} input item holding
     * {@code namespace} tools, each grouping function and custom tools (the {@code functions} namespace holds the
     * {@code exec} custom tool Codex runs JavaScript tool calls through). Those items leave the input, and every
     * namespace's tools join the top-level list under their own names, which is how the model calls them and how
     * Codex dispatches the calls. A tool name declared twice keeps its first declaration. The request itself is
     * returned when there is nothing to move.
     */
    static JsonNode hoistToolDeclarations(JsonNode req) {
        JsonNode input = req.get("input");
        boolean carriers = false;
        if (input != null && input.isArray()) {
            for (JsonNode item : input) carriers |= "additional_tools".equals(Json.text(item, "type"));
        }
        boolean namespaces = false;
        for (JsonNode t : req.path("tools")) namespaces |= "namespace".equals(Json.text(t, "type"));
        if (!carriers && !namespaces) return req;
        ObjectNode out = ((ObjectNode) req).deepCopy();
        ArrayNode tools = Json.array();
        java.util.Set<String> names = new java.util.HashSet<>();
        flatten(req.path("tools"), tools, names);
        if (carriers) {
            ArrayNode kept = out.putArray("input");
            for (JsonNode item : input) {
                if ("additional_tools".equals(Json.text(item, "type"))) flatten(item.path("tools"), tools, names);
                else kept.add(item);
            }
        }
        out.set("tools", tools);
        return out;
    }

    private static void flatten(JsonNode declared, ArrayNode into, java.util.Set<String> names) {
        for (JsonNode t : declared) {
            if ("namespace".equals(Json.text(t, "type"))) {
                flatten(t.path("tools"), into, names);
            } else {
                String name = Json.text(t, "name");
                if (name == null || names.add(name)) into.add(t);
            }
        }
    }

    /** The JSON schema of a custom tool's single argument. */
    static ObjectNode customSchema() {
        ObjectNode s = Json.object().put("type", "object");
        s.putObject("properties").putObject("input").put("type", "string")
                .put("description", "The complete raw input for this tool, exactly as the tool's format requires.");
        s.putArray("required").add("input");
        s.put("additionalProperties", false);
        return s;
    }

    static String customDescription(JsonNode tool) {
        StringBuilder b = new StringBuilder(String.valueOf(Json.text(tool, "description") == null ? "" : Json.text(tool, "description")));
        JsonNode format = tool.path("format");
        String definition = Json.text(format, "definition");
        if (definition != null) {
            b.append("\n\nPass the whole input as the string argument `input`. It must follow this ")
                    .append(String.valueOf(Json.text(format, "syntax"))).append(" grammar:\n").append(definition);
        } else {
            b.append("\n\nPass the whole input as the string argument `input`.");
        }
        return b.toString();
    }

    static ObjectNode localShellSchema() {
        ObjectNode s = Json.object().put("type", "object");
        ObjectNode p = s.putObject("properties");
        p.putObject("command").put("type", "array").put("description", "The command and its arguments, e.g. [\"bash\", \"-lc\", \"ls\"]")
                .putObject("items").put("type", "string");
        p.putObject("workdir").put("type", "string").put("description", "The working directory");
        p.putObject("timeout_ms").put("type", "integer").put("description", "Timeout in milliseconds");
        s.putArray("required").add("command");
        return s;
    }

    static final String LOCAL_SHELL_DESCRIPTION = "Runs a shell command on the user's machine and returns its output.";

    /** The arguments a model would have written for a {@code local_shell_call} item (to replay history upstream). */
    static ObjectNode localShellArguments(JsonNode item) {
        JsonNode action = item.path("action");
        ObjectNode a = Json.object();
        a.set("command", action.has("command") ? action.get("command") : Json.array());
        if (action.hasNonNull("working_directory")) a.put("workdir", Json.text(action, "working_directory"));
        if (action.hasNonNull("timeout_ms")) a.put("timeout_ms", action.get("timeout_ms").asLong());
        return a;
    }

    /** A finished tool call of the given name and arguments, as the Responses item Codex expects. */
    static ObjectNode callItem(String itemId, String callId, String name, String arguments, UpstreamRequest request) {
        ObjectNode item = Json.object();
        if (request.customTools().contains(name)) {
            item.put("type", "custom_tool_call");
            item.put("id", itemId);
            item.put("status", "completed");
            item.put("call_id", callId);
            item.put("name", name);
            JsonNode args = Json.parseArguments(arguments);
            JsonNode input = args.get("input");
            // a model that ignored the schema and wrote the raw text is still understood
            item.put("input", input != null && input.isTextual() ? input.asText() : args.has("_raw_arguments") ? arguments : Json.write(args));
        } else if (request.localShell() && UpstreamRequest.LOCAL_SHELL.equals(name)) {
            item.put("type", "local_shell_call");
            item.put("id", itemId);
            item.put("call_id", callId);
            item.put("status", "completed");
            JsonNode args = Json.parseArguments(arguments);
            ObjectNode action = item.putObject("action");
            action.put("type", "exec");
            JsonNode cmd = args.get("command");
            if (cmd != null && cmd.isTextual()) action.putArray("command").add("bash").add("-lc").add(cmd.asText());
            else action.set("command", cmd != null && cmd.isArray() ? cmd : Json.array());
            if (args.hasNonNull("timeout_ms")) action.put("timeout_ms", args.get("timeout_ms").asLong());
            else action.putNull("timeout_ms");
            action.put("working_directory", Json.text(args, "workdir"));
            action.putNull("env");
            action.putNull("user");
        } else {
            item.put("type", "function_call");
            item.put("id", itemId);
            item.put("status", "completed");
            item.put("call_id", callId);
            item.put("name", name);
            item.put("arguments", arguments == null || arguments.isEmpty() ? "{}" : arguments);
        }
        return item;
    }

    /** A function-call output's text: a string as is, a list of content items by its text parts. */
    static String outputText(JsonNode output) {
        if (output == null || output.isNull()) return "";
        if (output.isTextual()) return output.asText();
        if (output.isObject() && output.has("content")) return outputText(output.get("content"));
        return Json.joinText(output);
    }

    /** Image URLs in a function-call output given as a list of content items. */
    static ArrayNode outputImages(JsonNode output) {
        ArrayNode urls = Json.array();
        if (output != null && output.isArray()) {
            for (JsonNode p : output) if ("input_image".equals(Json.text(p, "type")) && p.hasNonNull("image_url")) urls.add(p.get("image_url"));
        }
        return urls;
    }
}
