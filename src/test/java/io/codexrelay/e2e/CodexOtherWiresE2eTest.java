package io.codexrelay.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.RelayApp;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeProviders;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real Codex CLI served by accounts that do not speak Responses (issue 12): a Chat Completions account and an
 * Anthropic account behind the relay, each answering with a shell tool call and then text; failover from an
 * exhausted Responses account to the chat account; a model rule rewriting the upstream model.
 */
@Tag("e2e")
class CodexOtherWiresE2eTest {
    private static final Duration CODEX_TIMEOUT = Duration.ofSeconds(180);
    private static final String KEY_R = "sk-responses-e2e-00000000";
    private static final String KEY_C = "sk-chat-e2e-000000000000";
    private static final String KEY_N = "sk-ant-e2e-0000000000000";

    @TempDir Path tmp;

    private CodexCli codex;
    private FakeUpstream fake;
    private RelayApp app;
    private Path codexHome;

    @BeforeEach
    void start() throws Exception {
        codex = CodexCli.require();
        fake = new FakeUpstream();
        RelayHome relayHome = new RelayHome(RelayHomes.pointedAt(tmp.resolve("relay"), fake));
        Files.writeString(relayHome.configFile(), Files.readString(relayHome.configFile()) + "\n[pool]\nrouting = \"priority\"\n");
        app = RelayApp.start(new RelayApp.Options(relayHome, Clock.systemUTC(), null));
        codexHome = CodexCli.prepareHome(tmp.resolve("codex-home"), "http://127.0.0.1:" + app.port() + "/v1",
                Files.readString(relayHome.clientKeyFile()).trim());
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) app.stop(Duration.ofSeconds(5));
        if (fake != null) fake.close();
    }

    private ControlApi control() { return app.control(); }

    /** Codex's tool result for the fake's call, as the provider received it in the follow-up request. */
    private static String toolResult(FakeProviders.ProviderRequest followUp) {
        StringBuilder out = new StringBuilder();
        for (JsonNode m : followUp.body().path("messages")) {
            if (followUp.api() == FakeProviders.Api.CHAT && m.path("role").asText().equals("tool")) {
                assertThat(m.path("tool_call_id").asText()).isEqualTo("call_fake1");
                out.append(m.path("content").asText());
            }
            if (followUp.api() == FakeProviders.Api.ANTHROPIC) {
                for (JsonNode b : m.path("content")) {
                    if (b.path("type").asText().equals("tool_result")) {
                        assertThat(b.path("tool_use_id").asText()).isEqualTo("toolu_fake01");
                        out.append(b.path("content").toString());
                    }
                }
            }
        }
        return out.toString();
    }

    @Test
    void codexRunsAShellCommandThroughAChatAccountWhoseModelRuleRewritesTheModel() throws Exception {
        control().addApiKey(new ControlApi.NewApiKey("C", KEY_C, fake.chatBaseUrl(), 1, null, "chat", List.of("gpt-5*=deepseek-chat")));
        fake.providers().enqueue(KEY_C, FakeProviders.shell("echo relay-tool-ok"), FakeProviders.text("The command printed relay-tool-ok."));

        var r = codex.run(codexHome, Files.createDirectories(tmp.resolve("work")), CODEX_TIMEOUT,
                List.of("exec", "--skip-git-repo-check", "-m", "gpt-5-codex", "run echo relay-tool-ok"));

        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("The command printed relay-tool-ok.");
        assertThat(r.stdout() + r.stderr()).as("Codex shows its own model").contains("gpt-5-codex").doesNotContain("deepseek-chat");
        var sent = fake.providers().requests(FakeProviders.Api.CHAT);
        assertThat(sent).hasSize(2);
        assertThat(sent).allSatisfy(q -> assertThat(q.body().path("model").asText()).isEqualTo("deepseek-chat"));
        assertThat(toolResult(sent.get(1))).contains("relay-tool-ok");
    }

    @Test
    void codexRunsAShellCommandThroughAnAnthropicAccount() throws Exception {
        control().addApiKey(new ControlApi.NewApiKey("N", KEY_N, fake.anthropicBaseUrl(), 1, null, "anthropic", List.of("*=claude-sonnet-4-5")));
        fake.providers().enqueue(KEY_N, FakeProviders.shell("echo relay-tool-ok"), FakeProviders.text("Claude saw relay-tool-ok."));

        // A model whose tools Codex declares in `tools` (Codex's default model gets its own as an `additional_tools`
        // input item: codexsDefaultModelRunsACommandThroughAChatAccount).
        var r = codex.run(codexHome, Files.createDirectories(tmp.resolve("work")), CODEX_TIMEOUT,
                List.of("exec", "--skip-git-repo-check", "-m", "gpt-5-codex", "run echo relay-tool-ok"));

        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("Claude saw relay-tool-ok.");
        var sent = fake.providers().requests(FakeProviders.Api.ANTHROPIC);
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0).header("x-api-key")).isEqualTo(KEY_N);
        assertThat(toolResult(sent.get(1))).contains("relay-tool-ok");
    }

    @Test
    void withTheResponsesAccountExhaustedTheRequestMovesToTheChatAccount() throws Exception {
        control().addApiKey(new ControlApi.NewApiKey("R", KEY_R, fake.apiBaseUrl(), 1, null, null, null));
        control().addApiKey(new ControlApi.NewApiKey("C", KEY_C, fake.chatBaseUrl(), 2, null, "chat", null));
        long resetsAt = java.time.Instant.now().getEpochSecond() + 3600;
        fake.enqueue(KEY_R, FakeUpstream.usageLimit(resetsAt, "plus"));
        fake.providers().enqueue(KEY_C, FakeProviders.text("Served by the chat account."));

        var r = codex.exec(codexHome, Files.createDirectories(tmp.resolve("work")), "say hello", CODEX_TIMEOUT);

        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("Served by the chat account.");
        // "429" as a number of its own: Codex prints the random temp directory and session id, whose digits can hold it
        assertThat(r.stdout() + r.stderr()).doesNotContainIgnoringCase("usage limit")
                .doesNotContainPattern("(?<![0-9A-Za-z])429(?![0-9A-Za-z])");
        assertThat(fake.received("/v1/responses")).hasSize(1);
        assertThat(fake.providers().requests(FakeProviders.Api.CHAT)).hasSize(1);
    }

    /**
     * Codex's default model (no {@code -m}) declares its tools only in an {@code additional_tools} item: its one way to
     * act is the {@code exec} custom tool, JavaScript that calls {@code tools.exec_command}. Through a chat account the
     * provider must see that tool, its call must reach Codex as the custom tool call Codex runs, and the command's
     * output must come back in the follow-up. Both pinned CLIs.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {CodexCli.VERSION, CodexCli.NEXT_VERSION})
    void codexsDefaultModelRunsACommandThroughAChatAccount(String version) throws Exception {
        CodexCli cli = CodexCli.require(version);
        control().addApiKey(new ControlApi.NewApiKey("C", KEY_C, fake.chatBaseUrl(), 1, null, "chat", List.of("*=deepseek-chat")));
        fake.providers().enqueue(KEY_C,
                FakeProviders.toolCall("exec", "{\"input\":\"const r = await tools.exec_command({cmd: 'echo relay-default-ok'});"
                        + " text(r);\"}"),
                FakeProviders.text("The default model saw relay-default-ok."));

        var r = cli.run(codexHome, Files.createDirectories(tmp.resolve("work")), CODEX_TIMEOUT,
                List.of("exec", "--skip-git-repo-check", "run echo relay-default-ok"));

        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("The default model saw relay-default-ok.");
        var sent = fake.providers().requests(FakeProviders.Api.CHAT);
        assertThat(sent).hasSize(2);
        List<String> declared = new java.util.ArrayList<>();
        for (JsonNode t : sent.get(0).body().path("tools")) declared.add(t.path("function").path("name").asText());
        assertThat(declared).as("the tools of the additional_tools item reach the provider").contains("exec", "wait");
        String followUp = sent.get(1).body().path("messages").toString();
        assertThat(followUp).as("the command's output goes back to the provider").contains("relay-default-ok");
        boolean toolMessage = false;
        for (JsonNode m : sent.get(1).body().path("messages")) {
            if (m.path("role").asText().equals("tool") && m.path("tool_call_id").asText().equals("call_fake1")) {
                toolMessage = true;
                assertThat(m.path("content").asText()).contains("relay-default-ok");
            }
        }
        assertThat(toolMessage).as("a tool message answers the exec call: " + followUp).isTrue();
    }

    /** The same through an Anthropic account: the nested tools become Anthropic tools and the result a tool_result. */
    @Test
    void codexsDefaultModelRunsACommandThroughAnAnthropicAccount() throws Exception {
        control().addApiKey(new ControlApi.NewApiKey("N", KEY_N, fake.anthropicBaseUrl(), 1, null, "anthropic", List.of("*=claude-sonnet-4-5")));
        fake.providers().enqueue(KEY_N,
                FakeProviders.toolCall("exec", "{\"input\":\"const r = await tools.exec_command({cmd: 'echo relay-claude-ok'});"
                        + " text(r);\"}"),
                FakeProviders.text("Claude saw relay-claude-ok."));

        var r = codex.run(codexHome, Files.createDirectories(tmp.resolve("work")), CODEX_TIMEOUT,
                List.of("exec", "--skip-git-repo-check", "run echo relay-claude-ok"));

        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains("Claude saw relay-claude-ok.");
        var sent = fake.providers().requests(FakeProviders.Api.ANTHROPIC);
        assertThat(sent).hasSize(2);
        List<String> declared = new java.util.ArrayList<>();
        for (JsonNode t : sent.get(0).body().path("tools")) declared.add(t.path("name").asText());
        assertThat(declared).contains("exec", "wait");
        assertThat(toolResult(sent.get(1))).contains("relay-claude-ok");
    }
}
