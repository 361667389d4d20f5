package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ResponsesToChatRequestTest {
    private final UpstreamRequest t = new ResponsesToChatRequest().translate(Fixtures.json("codex-request.json"));
    private final JsonNode body = t.body();

    @Test
    void codexHistoryBecomesChatMessagesWithGroupedToolCalls() {
        List<String> roles = new ArrayList<>();
        for (JsonNode m : body.path("messages")) roles.add(m.path("role").asText());
        assertThat(roles).containsExactly("system", "system", "user", "user", "assistant", "tool", "tool",
                "assistant", "tool", "assistant", "tool", "assistant", "tool", "user", "user");
        JsonNode messages = body.path("messages");
        assertThat(messages.get(0).path("content").asText()).startsWith("You are Codex");
        assertThat(messages.get(1).path("content").asText()).contains("permissions instructions");

        JsonNode image = messages.get(3).path("content");
        assertThat(image.get(0).path("type").asText()).isEqualTo("text");
        assertThat(image.get(1).path("type").asText()).isEqualTo("image_url");
        assertThat(image.get(1).path("image_url").path("url").asText()).startsWith("data:image/png;base64,");

        // assistant text + two parallel shell calls in one message; reasoning item dropped
        JsonNode a = messages.get(4);
        assertThat(a.path("content").asText()).isEqualTo("Searching for the file first.");
        assertThat(a.path("tool_calls")).hasSize(2);
        assertThat(a.path("tool_calls").get(1).path("id").asText()).isEqualTo("call_shell_2");
        assertThat(a.path("tool_calls").get(1).path("function").path("name").asText()).isEqualTo("shell");
        assertThat(messages.get(5).path("tool_call_id").asText()).isEqualTo("call_shell_1");
        assertThat(messages.get(6).path("content").asText()).isEqualTo("README.md\nsrc");

        JsonNode patch = messages.get(7).path("tool_calls").get(0);
        assertThat(messages.get(7).path("content").isNull()).isTrue();
        assertThat(patch.path("function").path("name").asText()).isEqualTo("apply_patch");
        assertThat(Fixtures.parse(patch.path("function").path("arguments").asText()).path("input").asText()).startsWith("*** Begin Patch\n");
        assertThat(messages.get(8).path("content").asText()).startsWith("Success.");

        JsonNode shell = messages.get(9).path("tool_calls").get(0);
        assertThat(shell.path("id").asText()).isEqualTo("call_local_1");
        assertThat(shell.path("function").path("name").asText()).isEqualTo("local_shell");
        JsonNode args = Fixtures.parse(shell.path("function").path("arguments").asText());
        assertThat(args.path("command").get(2).asText()).isEqualTo("git diff --stat");
        assertThat(args.path("workdir").asText()).isEqualTo("/home/me/project");
        assertThat(args.path("timeout_ms").asLong()).isEqualTo(10000);

        // an image a tool returned follows its tool message as a user message
        assertThat(messages.get(12).path("content").asText()).isEqualTo("image attached");
        assertThat(messages.get(13).path("content").get(0).path("image_url").path("url").asText()).isEqualTo("data:image/png;base64,AAAA");
        assertThat(messages.get(14).path("content").asText()).isEqualTo("Now run the tests.");
    }

    @Test
    void toolsIncludingCustomAndLocalShellBecomeFunctions() {
        JsonNode tools = body.path("tools");
        assertThat(tools.findValuesAsText("name")).containsExactly("shell", "apply_patch", "local_shell", "view_image");
        JsonNode patch = tools.get(1).path("function");
        assertThat(patch.path("parameters").path("properties").path("input").path("type").asText()).isEqualTo("string");
        assertThat(patch.path("parameters").path("required").get(0).asText()).isEqualTo("input");
        assertThat(patch.path("description").asText()).contains("FREEFORM").contains("lark grammar").contains("start: begin_patch");
        assertThat(tools.get(2).path("function").path("parameters").path("properties").path("command").path("type").asText()).isEqualTo("array");
        assertThat(t.customTools()).containsExactly("apply_patch");
        assertThat(t.localShell()).isTrue();

        assertThat(body.path("tool_choice").asText()).isEqualTo("auto");
        assertThat(body.path("parallel_tool_calls").asBoolean(true)).isFalse();
        assertThat(body.path("reasoning_effort").asText()).isEqualTo("high");
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(body.has("store")).isFalse();
        assertThat(body.has("include")).isFalse();
        assertThat(t.dropped()).containsExactlyInAnyOrder("tools[type=web_search]", "input[type=reasoning] x1", "previous_response_id");
    }

    @Test
    void imagesFromParallelToolOutputsFollowTheWholeRunOfToolMessages() {
        UpstreamRequest r = new ResponsesToChatRequest().translate(Fixtures.parse("{\"model\":\"m\",\"input\":["
                + "{\"type\":\"function_call\",\"name\":\"view_image\",\"arguments\":\"{}\",\"call_id\":\"a\"},"
                + "{\"type\":\"function_call\",\"name\":\"shell\",\"arguments\":\"{}\",\"call_id\":\"b\"},"
                + "{\"type\":\"function_call_output\",\"call_id\":\"a\",\"output\":[{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,QQ==\"}]},"
                + "{\"type\":\"function_call_output\",\"call_id\":\"b\",\"output\":\"ok\"}]}"));
        List<String> roles = new ArrayList<>();
        for (JsonNode m : r.body().path("messages")) roles.add(m.path("role").asText());
        assertThat(roles).containsExactly("assistant", "tool", "tool", "user");
        assertThat(r.body().path("messages").get(3).path("content").get(0).path("image_url").path("url").asText())
                .isEqualTo("data:image/png;base64,QQ==");
    }

    @Test
    void jsonSchemaOutputAndTokenLimitAreKept() {
        UpstreamRequest r = new ResponsesToChatRequest().translate(Fixtures.parse("{\"model\":\"deepseek-chat\",\"input\":\"hi\","
                + "\"max_output_tokens\":500,\"temperature\":0.1,\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"out\","
                + "\"schema\":{\"type\":\"object\"},\"strict\":true}}}"));
        assertThat(r.body().path("messages").get(0).path("content").asText()).isEqualTo("hi");
        assertThat(r.body().path("max_tokens").asInt()).isEqualTo(500);
        assertThat(r.body().path("temperature").asDouble()).isEqualTo(0.1);
        assertThat(r.body().path("response_format").path("json_schema").path("name").asText()).isEqualTo("out");
        assertThat(r.body().path("response_format").path("json_schema").path("strict").asBoolean()).isTrue();
        assertThat(r.body().has("tools")).isFalse();
    }
}
