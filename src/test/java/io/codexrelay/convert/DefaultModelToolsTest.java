package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Codex's default model (Codex 0.169.0 and 0.171.0 without {@code -m}) declares its tools in an {@code additional_tools}
 * input item of {@code namespace} tools, not in {@code tools}. The fixtures are the requests those CLIs really sent to
 * a recording server; both converters must declare every nested tool upstream (the {@code exec} custom tool as a
 * function with one string argument) and keep the item itself out of the conversation.
 */
class DefaultModelToolsTest {

    private static List<String> names(JsonNode tools, String path) {
        List<String> out = new ArrayList<>();
        for (JsonNode t : tools) out.add(path.isEmpty() ? t.path("name").asText() : t.path(path).path("name").asText());
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.169.0", "0.171.0"})
    void chatUpstreamsGetEveryNestedToolAndTheExecToolAsAStringFunction(String version) {
        JsonNode req = Fixtures.json("responses-request-codex-" + version + "-default-model.json");
        assertThat(req.has("tools")).as("the recorded request has no top-level tools").isFalse();

        UpstreamRequest out = new ResponsesToChatRequest().translate(req);

        JsonNode tools = out.body().path("tools");
        assertThat(names(tools, "function")).contains("exec", "wait", "request_user_input", "sleep", "spawn_agent", "wait_agent");
        assertThat(names(tools, "function")).doesNotHaveDuplicates();
        JsonNode exec = tools.get(names(tools, "function").indexOf("exec")).path("function");
        assertThat(exec.path("parameters").path("required").get(0).asText()).isEqualTo("input");
        assertThat(exec.path("description").asText()).contains("Run JavaScript code").contains("lark grammar");
        assertThat(out.customTools()).containsExactly("exec");
        assertThat(out.dropped()).noneMatch(d -> d.contains("additional_tools") || d.contains("namespace"));
        assertThat(out.body().path("tool_choice").asText()).isEqualTo("auto");
        for (JsonNode m : out.body().path("messages")) assertThat(m.toString()).doesNotContain("\"additional_tools\"");
        // the developer messages and the user's prompt are all there
        assertThat(out.body().path("messages").toString()).contains("run echo hi").contains("You are Codex");
        // the original request is not changed by the translation
        assertThat(req.path("input").get(0).path("type").asText()).isEqualTo("additional_tools");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.169.0", "0.171.0"})
    void anthropicUpstreamsGetTheSameTools(String version) {
        JsonNode req = Fixtures.json("responses-request-codex-" + version + "-default-model.json");

        UpstreamRequest out = new ResponsesToAnthropicRequest().translate(req);

        JsonNode tools = out.body().path("tools");
        assertThat(names(tools, "")).contains("exec", "wait", "sleep", "list_agents");
        assertThat(tools.get(names(tools, "").indexOf("exec")).path("input_schema").path("required").get(0).asText()).isEqualTo("input");
        assertThat(out.customTools()).containsExactly("exec");
        assertThat(out.dropped()).noneMatch(d -> d.contains("additional_tools") || d.contains("namespace"));
        assertThat(out.body().toString()).contains("run echo hi");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.169.0", "0.171.0"})
    void aCallOfTheExecToolComesBackAsTheCustomToolCallCodexRuns(String version) {
        UpstreamRequest out = new ResponsesToChatRequest().translate(Fixtures.json("responses-request-codex-" + version + "-default-model.json"));

        JsonNode item = CodexTools.callItem("fc_1", "call_1", "exec",
                "{\"input\":\"const r = await tools.exec_command({cmd: 'echo hi'}); text(r);\"}", out);

        assertThat(item.path("type").asText()).isEqualTo("custom_tool_call");
        assertThat(item.path("name").asText()).isEqualTo("exec");
        assertThat(item.path("input").asText()).isEqualTo("const r = await tools.exec_command({cmd: 'echo hi'}); text(r);");
        JsonNode wait = CodexTools.callItem("fc_2", "call_2", "wait", "{\"cell_id\":\"1\"}", out);
        assertThat(wait.path("type").asText()).isEqualTo("function_call");
    }
}
