package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class ChatStreamToResponsesTest {
    private static final UpstreamRequest CODEX = new ResponsesToChatRequest().translate(Fixtures.json("codex-request.json"));

    static List<Fixtures.Out> run(StreamConverter c, String fixture) {
        List<Fixtures.Out> out = Fixtures.run(c, fixture);
        long seq = 0;
        for (Fixtures.Out o : out) {
            assertThat(o.event()).isEqualTo(o.type());
            assertThat(o.json().path("sequence_number").asLong()).isEqualTo(seq++);
        }
        return out;
    }

    static List<JsonNode> doneItems(List<Fixtures.Out> out) {
        return out.stream().filter(o -> "response.output_item.done".equals(o.event())).map(o -> o.json().path("item")).toList();
    }

    static String joined(List<Fixtures.Out> out, String type) {
        return out.stream().filter(o -> type.equals(o.event())).map(o -> o.json().path("delta").asText()).collect(Collectors.joining());
    }

    @Test
    void reasoningTextAndParallelToolCallsOfEveryKind() {
        List<Fixtures.Out> out = run(new ChatStreamToResponses(CODEX, "gpt-5-codex", "resp_chat1", Fixtures.CLOCK), "chat-upstream-stream-tools.sse");
        assertThat(out.get(0).event()).isEqualTo("response.created");
        assertThat(out.get(0).json().path("response").path("id").asText()).isEqualTo("resp_chat1");
        assertThat(out.get(0).json().path("response").path("model").asText()).isEqualTo("gpt-5-codex");

        assertThat(joined(out, "response.reasoning_summary_text.delta")).isEqualTo("The tests live in src/test; run them and fix the doc.");
        assertThat(joined(out, "response.output_text.delta")).isEqualTo("Running the tests and patching.");
        assertThat(joined(out, "response.function_call_arguments.delta")).as("only plain functions stream their arguments")
                .isEqualTo("{\"command\":[\"bash\",\"-lc\",\"mvn -q test\"]}");

        List<JsonNode> items = doneItems(out);
        assertThat(items).extracting(i -> i.path("type").asText())
                .containsExactly("reasoning", "message", "function_call", "custom_tool_call", "local_shell_call");
        assertThat(items.get(0).path("summary").get(0).path("text").asText()).isEqualTo("The tests live in src/test; run them and fix the doc.");
        assertThat(items.get(1).path("content").get(0).path("text").asText()).isEqualTo("Running the tests and patching.");
        assertThat(items.get(1).path("role").asText()).isEqualTo("assistant");
        assertThat(items.get(2).path("call_id").asText()).isEqualTo("call_00_shell");
        assertThat(items.get(2).path("name").asText()).isEqualTo("shell");
        assertThat(items.get(2).path("arguments").asText()).isEqualTo("{\"command\":[\"bash\",\"-lc\",\"mvn -q test\"]}");
        assertThat(items.get(3).path("call_id").asText()).isEqualTo("call_01_patch");
        assertThat(items.get(3).path("name").asText()).isEqualTo("apply_patch");
        assertThat(items.get(3).path("input").asText()).isEqualTo("*** Begin Patch\n*** Update File: docs/a.md\n@@\n-old\n+new\n*** End Patch\n");
        JsonNode action = items.get(4).path("action");
        assertThat(items.get(4).path("call_id").asText()).isEqualTo("call_02_local");
        assertThat(action.path("type").asText()).isEqualTo("exec");
        assertThat(action.path("command").get(0).asText()).isEqualTo("git");
        assertThat(action.path("working_directory").asText()).isEqualTo("/home/me/project");

        // every added item is done once, with the same output_index
        List<String> added = out.stream().filter(o -> "response.output_item.added".equals(o.event()))
                .map(o -> o.json().path("output_index").asInt() + ":" + o.json().path("item").path("id").asText()).toList();
        List<String> done = out.stream().filter(o -> "response.output_item.done".equals(o.event()))
                .map(o -> o.json().path("output_index").asInt() + ":" + o.json().path("item").path("id").asText()).toList();
        assertThat(done).isEqualTo(added);
        assertThat(added).extracting(s -> s.substring(0, s.indexOf(':'))).containsExactly("0", "1", "2", "3", "4");

        Fixtures.Out completed = out.get(out.size() - 1);
        assertThat(completed.event()).isEqualTo("response.completed");
        JsonNode response = completed.json().path("response");
        assertThat(response.path("status").asText()).isEqualTo("completed");
        assertThat(response.path("output")).hasSize(5);
        JsonNode usage = response.path("usage");
        assertThat(usage.path("input_tokens").asLong()).isEqualTo(2100);
        assertThat(usage.path("input_tokens_details").path("cached_tokens").asLong()).isEqualTo(1920);
        assertThat(usage.path("output_tokens").asLong()).isEqualTo(95);
        assertThat(usage.path("output_tokens_details").path("reasoning_tokens").asLong()).isEqualTo(20);
        assertThat(usage.path("total_tokens").asLong()).isEqualTo(2195);
    }

    @Test
    void aCutStreamFailsSoCodexRetriesAndNeverCompletes() {
        ChatStreamToResponses c = new ChatStreamToResponses(CODEX, "gpt-5-codex", "resp_cut", Fixtures.CLOCK);
        List<Fixtures.Out> out = run(c, "chat-upstream-stream-cut.sse");
        assertThat(out).noneMatch(o -> "response.completed".equals(o.event()));
        assertThat(out).noneMatch(o -> "response.output_item.done".equals(o.event()) && "function_call".equals(o.json().path("item").path("type").asText()));
        Fixtures.Out last = out.get(out.size() - 1);
        assertThat(last.event()).isEqualTo("response.failed");
        assertThat(last.json().path("response").path("error").path("code").asText()).isEqualTo("server_error");
        assertThat(c.finished()).isTrue();
    }

    @Test
    void anErrorChunkFailsTheResponseAndLengthMakesItIncomplete() {
        List<Fixtures.Out> err = run(new ChatStreamToResponses(CODEX, "gpt-5", "resp_e", Fixtures.CLOCK), "chat-upstream-stream-error.sse");
        JsonNode failed = err.get(err.size() - 1).json();
        assertThat(failed.path("type").asText()).isEqualTo("response.failed");
        assertThat(failed.path("response").path("error").path("code").asText()).isEqualTo("502");
        assertThat(failed.path("response").path("error").path("message").asText()).isEqualTo("Provider returned error");

        List<Fixtures.Out> len = run(new ChatStreamToResponses(CODEX, "gpt-5", "resp_l", Fixtures.CLOCK), "chat-upstream-stream-length.sse");
        JsonNode last = len.get(len.size() - 1).json();
        assertThat(last.path("type").asText()).as("no [DONE] after finish_reason: completed at stream end").isEqualTo("response.incomplete");
        assertThat(last.path("response").path("incomplete_details").path("reason").asText()).isEqualTo("max_output_tokens");
        assertThat(doneItems(len).get(0).path("content").get(0).path("text").asText()).isEqualTo("A very long");
    }

    @Test
    void aToolCallWhoseArgumentsAreNotJsonIsKeptNotLost() {
        UpstreamRequest req = new ResponsesToChatRequest().translate(Fixtures.parse(
                "{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"custom\",\"name\":\"apply_patch\",\"description\":\"d\"}]}"));
        ChatStreamToResponses c = new ChatStreamToResponses(req, "m", "resp_raw", Fixtures.CLOCK);
        List<Fixtures.Out> out = new java.util.ArrayList<>();
        SseSink sink = (e, d) -> out.add(new Fixtures.Out(e, d, Fixtures.parse(d)));
        c.onEvent(null, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"apply_patch\","
                + "\"arguments\":\"*** Begin Patch\\n*** End Patch\"}}]},\"finish_reason\":\"tool_calls\"}]}", sink);
        c.onEvent(null, "[DONE]", sink);
        JsonNode item = doneItems(out).get(0);
        assertThat(item.path("type").asText()).isEqualTo("custom_tool_call");
        assertThat(item.path("input").asText()).isEqualTo("*** Begin Patch\n*** End Patch");
    }
}
