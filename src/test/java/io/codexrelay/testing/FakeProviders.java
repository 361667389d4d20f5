package io.codexrelay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The fake upstream's other wires: an OpenAI-compatible Chat Completions endpoint ({@code POST .../chat/completions},
 * {@code Authorization: Bearer}) and the Anthropic Messages endpoint ({@code POST .../v1/messages}, {@code x-api-key},
 * {@code anthropic-version}). Streams follow the providers' formats: Chat chunks ({@code chat.completion.chunk}, one
 * {@code id} and {@code created}, role first, tool calls by {@code index} with id/name on the first delta,
 * {@code finish_reason}, the {@code include_usage} chunk with {@code choices: []}, {@code data: [DONE]}); Anthropic
 * events ({@code message_start}, {@code content_block_start/delta/stop} with {@code text_delta} and
 * {@code input_json_delta}, a {@code ping}, {@code message_delta} with {@code stop_reason} and usage,
 * {@code message_stop}). Requests are checked the way the providers check them (a 400 says what is wrong).
 *
 * <p>Scripted per key like the Responses side: {@link #enqueue} replies for the next requests with that key, else a
 * text answer. {@link #rejectParameters} makes a key's requests fail with 400 naming a parameter they carry, as
 * providers that do not support it answer.
 */
public final class FakeProviders {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Which API a request came in on. */
    public enum Api { CHAT, ANTHROPIC }

    /** One request to a provider endpoint: the key it carried and its JSON body. */
    public record ProviderRequest(Api api, String path, String key, Map<String, String> headers, JsonNode body) {
        public String header(String name) { return headers.get(name.toLowerCase()); }
    }

    /** How a provider answers. */
    public sealed interface Reply permits Text, ToolCall, ShellCall, Error {}

    /** A streamed text answer. */
    public record Text(String text) implements Reply {}

    /** A streamed call of the function {@code name} with {@code argumentsJson}. */
    public record ToolCall(String name, String argumentsJson) implements Reply {}

    /**
     * A streamed call of whatever shell tool the request declares ({@code shell}, {@code shell_command},
     * {@code exec_command} or {@code local_shell}), running {@code command}: Codex's tool names differ by version.
     */
    public record ShellCall(String command) implements Reply {}

    /** A non-2xx answer in the provider's error format; {@code type} is the error type. */
    public record Error(int status, String type, String message, Map<String, String> headers) implements Reply {}

    public static Text text(String t) { return new Text(t); }
    public static ToolCall toolCall(String name, String argumentsJson) { return new ToolCall(name, argumentsJson); }
    public static ShellCall shell(String command) { return new ShellCall(command); }

    /** 429 as a provider sends it (Chat: {@code rate_limit_exceeded}; Anthropic: {@code rate_limit_error}). */
    public static Error rateLimited(int retryAfterSeconds) {
        return new Error(429, "rate_limit", "Rate limit reached", Map.of("retry-after", Integer.toString(retryAfterSeconds)));
    }

    /** Anthropic's 529 {@code overloaded_error} (a 503 on Chat). */
    public static Error overloaded() { return new Error(529, "overloaded", "Overloaded", Map.of()); }

    public static Error unauthorized() { return new Error(401, "authentication", "invalid x-api-key", Map.of()); }

    private final List<ProviderRequest> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Queue<Reply>> scripts = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> rejected = new ConcurrentHashMap<>();

    /** The next requests with {@code key} get these replies, in order. */
    public FakeProviders enqueue(String key, Reply... replies) {
        scripts.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).addAll(List.of(replies));
        return this;
    }

    /** Requests with {@code key} that carry any of {@code params} (top-level) get a 400 naming the first one. */
    public FakeProviders rejectParameters(String key, String... params) {
        rejected.put(key, Set.of(params));
        return this;
    }

    public List<ProviderRequest> requests() { return List.copyOf(requests); }

    public List<ProviderRequest> requests(Api api) { return requests.stream().filter(r -> r.api() == api).toList(); }

    public void reset() {
        requests.clear();
        scripts.clear();
        rejected.clear();
    }

    static boolean handles(String path) {
        return path.endsWith("/chat/completions") || path.endsWith("/v1/messages");
    }

    /** What the fake writes back: a status, headers, a content type and the body (SSE text for streams). */
    record Answer(int status, Map<String, String> headers, String contentType, List<String> frames) {}

    Answer answer(String path, Map<String, String> headers, byte[] body) {
        Api api = path.endsWith("/chat/completions") ? Api.CHAT : Api.ANTHROPIC;
        String key = api == Api.CHAT ? FakeUpstream.bearer(headers.get("authorization")) : headers.get("x-api-key");
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (Exception e) {
            return error(api, new Error(400, "invalid_request", "the body is not valid JSON", Map.of()));
        }
        requests.add(new ProviderRequest(api, path, key, headers, req));
        if (key == null || key.isBlank()) return error(api, unauthorized());
        String problem = api == Api.CHAT ? checkChat(req) : checkAnthropic(req, headers);
        if (problem != null) return error(api, new Error(400, "invalid_request", problem, Map.of()));
        Set<String> refuse = rejected.getOrDefault(key, Set.of());
        for (Iterator<String> it = req.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (refuse.contains(f)) {
                return error(api, new Error(400, "invalid_request", api == Api.CHAT
                        ? "Unrecognized request argument supplied: " + f
                        : f + ": Extra inputs are not permitted", Map.of()));
            }
        }
        Queue<Reply> q = scripts.get(key);
        Reply reply = q == null ? null : q.poll();
        if (reply == null) reply = text("Hello from the fake " + (api == Api.CHAT ? "chat" : "anthropic") + " provider.");
        if (reply instanceof Error e) return error(api, e);
        if (reply instanceof ShellCall s) reply = shellCall(req, api, s.command());
        String model = req.path("model").asText();
        return new Answer(200, Map.of("cache-control", "no-cache"), "text/event-stream",
                api == Api.CHAT ? chatStream(model, reply, req.path("stream_options").path("include_usage").asBoolean(false))
                        : anthropicStream(model, reply));
    }

    private static String checkChat(JsonNode req) {
        if (!req.path("model").isTextual()) return "you must provide a model parameter";
        if (!req.path("messages").isArray() || req.path("messages").isEmpty()) return "messages: must be a non-empty array";
        for (JsonNode m : req.path("messages")) {
            String role = m.path("role").asText();
            if (!Set.of("system", "user", "assistant", "tool", "developer").contains(role)) return "messages: invalid role '" + role + "'";
            if (role.equals("tool") && !m.path("tool_call_id").isTextual()) return "messages: a tool message needs tool_call_id";
        }
        for (JsonNode t : req.path("tools")) {
            if (!"function".equals(t.path("type").asText()) || !t.path("function").path("name").isTextual())
                return "tools: each tool must be {type: function, function: {name, ...}}";
        }
        return null;
    }

    private static String checkAnthropic(JsonNode req, Map<String, String> headers) {
        if (headers.get("anthropic-version") == null) return "anthropic-version: header is required";
        if (!req.path("model").isTextual()) return "model: Field required";
        if (!req.path("max_tokens").isInt()) return "max_tokens: Field required";
        JsonNode msgs = req.path("messages");
        if (!msgs.isArray() || msgs.isEmpty()) return "messages: Field required";
        String prev = null;
        for (JsonNode m : msgs) {
            String role = m.path("role").asText();
            if (!role.equals("user") && !role.equals("assistant")) return "messages: Unexpected role \"" + role + "\"";
            if (role.equals(prev)) return "messages: roles must alternate between \"user\" and \"assistant\"";
            prev = role;
        }
        if (!"user".equals(msgs.get(0).path("role").asText())) return "messages: first message must use the \"user\" role";
        for (JsonNode t : req.path("tools")) {
            if (!t.path("name").isTextual() || !t.has("input_schema")) return "tools: each tool needs name and input_schema";
        }
        return null;
    }

    /** The shell call for whichever shell tool the request declares. */
    private static Reply shellCall(JsonNode req, Api api, String command) {
        List<String> declared = new ArrayList<>();
        for (JsonNode t : req.path("tools")) declared.add(api == Api.CHAT ? t.path("function").path("name").asText() : t.path("name").asText());
        ObjectNode args = JSON.createObjectNode();
        String name;
        if (declared.contains("shell_command")) {
            name = "shell_command";
            args.put("command", command);
        } else if (declared.contains("shell")) {
            name = "shell";
            args.putArray("command").add("bash").add("-lc").add(command);
        } else if (declared.contains("exec_command")) {
            name = "exec_command";
            args.put("cmd", command);
        } else if (declared.contains("local_shell")) {
            name = "local_shell";
            args.putArray("command").add("bash").add("-lc").add(command);
        } else {
            return text("No shell tool was declared (tools: " + declared + ").");
        }
        return toolCall(name, args.toString());
    }

    private static List<String> chatStream(String model, Reply reply, boolean includeUsage) {
        List<String> f = new ArrayList<>();
        String id = "chatcmpl-fake" + Integer.toHexString(System.identityHashCode(reply));
        long created = 1_900_000_000L;
        f.add(chunk(id, created, model, delta(d -> d.put("role", "assistant").put("content", "")), null));
        String finish;
        if (reply instanceof Text t) {
            // Two deltas, so the client sees text arrive in parts.
            int half = t.text().length() / 2;
            f.add(chunk(id, created, model, delta(d -> d.put("content", t.text().substring(0, half))), null));
            f.add(chunk(id, created, model, delta(d -> d.put("content", t.text().substring(half))), null));
            finish = "stop";
        } else {
            ToolCall c = (ToolCall) reply;
            f.add(chunk(id, created, model, delta(d -> {
                ObjectNode call = d.putArray("tool_calls").addObject();
                call.put("index", 0).put("id", "call_fake1").put("type", "function");
                call.putObject("function").put("name", c.name()).put("arguments", "");
            }), null));
            String a = c.argumentsJson();
            int half = a.length() / 2;
            for (String part : List.of(a.substring(0, half), a.substring(half))) {
                f.add(chunk(id, created, model, delta(d -> d.putArray("tool_calls").addObject().put("index", 0)
                        .putObject("function").put("arguments", part)), null));
            }
            finish = "tool_calls";
        }
        f.add(chunk(id, created, model, delta(d -> { }), finish));
        if (includeUsage) {
            ObjectNode u = JSON.createObjectNode();
            u.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
            u.putArray("choices");
            u.putObject("usage").put("prompt_tokens", 21).put("completion_tokens", 7).put("total_tokens", 28);
            f.add("data: " + u + "\n\n");
        }
        f.add("data: [DONE]\n\n");
        return f;
    }

    private interface DeltaFill { void fill(ObjectNode d); }

    private static ObjectNode delta(DeltaFill fill) {
        ObjectNode d = JSON.createObjectNode();
        fill.fill(d);
        return d;
    }

    private static String chunk(String id, long created, String model, ObjectNode delta, String finish) {
        ObjectNode c = JSON.createObjectNode();
        c.put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
        ArrayNode choices = c.putArray("choices");
        ObjectNode ch = choices.addObject();
        ch.put("index", 0);
        ch.set("delta", delta);
        ch.putNull("logprobs");
        if (finish == null) ch.putNull("finish_reason"); else ch.put("finish_reason", finish);
        return "data: " + c + "\n\n";
    }

    private static List<String> anthropicStream(String model, Reply reply) {
        List<String> f = new ArrayList<>();
        ObjectNode start = JSON.createObjectNode().put("type", "message_start");
        ObjectNode msg = start.putObject("message");
        msg.put("id", "msg_fake01").put("type", "message").put("role", "assistant").put("model", model);
        msg.putArray("content");
        msg.putNull("stop_reason");
        msg.putNull("stop_sequence");
        msg.putObject("usage").put("input_tokens", 21).put("cache_read_input_tokens", 0).put("output_tokens", 1);
        f.add(ev("message_start", start));
        String stop;
        if (reply instanceof Text t) {
            ObjectNode bs = JSON.createObjectNode().put("type", "content_block_start").put("index", 0);
            bs.putObject("content_block").put("type", "text").put("text", "");
            f.add(ev("content_block_start", bs));
            f.add(ev("ping", JSON.createObjectNode().put("type", "ping")));
            int half = t.text().length() / 2;
            for (String part : List.of(t.text().substring(0, half), t.text().substring(half))) {
                ObjectNode d = JSON.createObjectNode().put("type", "content_block_delta").put("index", 0);
                d.putObject("delta").put("type", "text_delta").put("text", part);
                f.add(ev("content_block_delta", d));
            }
            f.add(ev("content_block_stop", JSON.createObjectNode().put("type", "content_block_stop").put("index", 0)));
            stop = "end_turn";
        } else {
            ToolCall c = (ToolCall) reply;
            // A short text block first, as Claude models usually say what they are about to do.
            ObjectNode bs = JSON.createObjectNode().put("type", "content_block_start").put("index", 0);
            bs.putObject("content_block").put("type", "text").put("text", "");
            f.add(ev("content_block_start", bs));
            ObjectNode td = JSON.createObjectNode().put("type", "content_block_delta").put("index", 0);
            td.putObject("delta").put("type", "text_delta").put("text", "Running it.");
            f.add(ev("content_block_delta", td));
            f.add(ev("content_block_stop", JSON.createObjectNode().put("type", "content_block_stop").put("index", 0)));
            ObjectNode ts = JSON.createObjectNode().put("type", "content_block_start").put("index", 1);
            ts.putObject("content_block").put("type", "tool_use").put("id", "toolu_fake01").put("name", c.name()).putObject("input");
            f.add(ev("content_block_start", ts));
            String a = c.argumentsJson();
            int half = a.length() / 2;
            for (String part : List.of("", a.substring(0, half), a.substring(half))) {
                ObjectNode d = JSON.createObjectNode().put("type", "content_block_delta").put("index", 1);
                d.putObject("delta").put("type", "input_json_delta").put("partial_json", part);
                f.add(ev("content_block_delta", d));
            }
            f.add(ev("content_block_stop", JSON.createObjectNode().put("type", "content_block_stop").put("index", 1)));
            stop = "tool_use";
        }
        ObjectNode md = JSON.createObjectNode().put("type", "message_delta");
        md.putObject("delta").put("stop_reason", stop).putNull("stop_sequence");
        md.putObject("usage").put("output_tokens", 7);
        f.add(ev("message_delta", md));
        f.add(ev("message_stop", JSON.createObjectNode().put("type", "message_stop")));
        return f;
    }

    private static String ev(String name, ObjectNode data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    private static Answer error(Api api, Error e) {
        ObjectNode body = JSON.createObjectNode();
        int status = e.status();
        if (api == Api.CHAT) {
            if (status == 529) status = 503;
            ObjectNode err = body.putObject("error");
            err.put("message", e.message());
            err.put("type", switch (e.type()) {
                case "rate_limit" -> "rate_limit_exceeded";
                case "authentication" -> "authentication_error";
                case "overloaded" -> "server_error";
                default -> "invalid_request_error";
            });
            err.putNull("param");
            err.putNull("code");
        } else {
            body.put("type", "error");
            body.putObject("error").put("type", switch (e.type()) {
                case "rate_limit" -> "rate_limit_error";
                case "authentication" -> "authentication_error";
                case "overloaded" -> "overloaded_error";
                default -> "invalid_request_error";
            }).put("message", e.message());
        }
        return new Answer(status, e.headers(), "application/json", List.of(body.toString()));
    }
}
