package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;
import io.codexrelay.account.LearnedParameters;
import io.codexrelay.account.ModelRule;
import io.codexrelay.account.Wire;
import io.codexrelay.convert.SseFrames;
import io.codexrelay.testing.FakeProviders;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Codex's Responses requests served by Chat Completions and Anthropic accounts (issue 12), through the fake providers. */
class OtherWiresTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;
    RelayHarness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new RelayHarness(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    private Account account(String name, int priority, Wire wire, List<ModelRule> rules) throws Exception {
        String base = wire == Wire.CHAT ? h.fake.chatBaseUrl() : wire == Wire.ANTHROPIC ? h.fake.anthropicBaseUrl() : h.fake.apiBaseUrl();
        return h.repo.insert(new Account(0, name, Account.Kind.API_KEY, true, priority, null,
                new Credentials.ApiKey("sk-" + name, base, wire, rules), null, null, null, null, null));
    }

    /** The Responses events of an answer: (event name, parsed data). */
    private static List<JsonNode> events(String sse) {
        List<JsonNode> out = new ArrayList<>();
        SseFrames.Reader r = new SseFrames.Reader((name, data) -> {
            try {
                JsonNode n = JSON.readTree(data);
                assertThat(n.path("type").asText()).isEqualTo(name);
                out.add(n);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + data, e);
            }
        });
        r.feed(sse);
        r.end();
        return out;
    }

    private static String codexRequest(String model) {
        return "{\"model\":\"" + model + "\",\"instructions\":\"You are Codex.\",\"stream\":true,\"store\":false,"
                + "\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"list files\"}]}],"
                + "\"tools\":[{\"type\":\"function\",\"name\":\"shell\",\"description\":\"Runs a command\",\"parameters\":{\"type\":\"object\","
                + "\"properties\":{\"command\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"command\"]}}],"
                + "\"tool_choice\":\"auto\",\"parallel_tool_calls\":false,\"reasoning\":{\"effort\":\"medium\"}}";
    }

    @Test
    void aChatAccountAnswersCodexWithResponsesEventsInTheModelCodexAskedFor() throws Exception {
        account("C", 1, Wire.CHAT, List.of());
        h.fake.providers().enqueue("sk-C", FakeProviders.text("Hello from chat."));
        h.startServer();

        HttpResponse<String> r = h.post(codexRequest("gpt-5-codex"));

        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> ev = events(r.body());
        assertThat(ev.get(0).path("type").asText()).isEqualTo("response.created");
        JsonNode done = ev.get(ev.size() - 1);
        assertThat(done.path("type").asText()).isEqualTo("response.completed");
        assertThat(done.path("response").path("model").asText()).isEqualTo("gpt-5-codex");
        assertThat(done.path("response").path("usage").path("input_tokens").asInt()).isEqualTo(21);
        assertThat(r.body()).contains("Hello from chat.".substring(0, 8));
        var sent = h.fake.providers().requests(FakeProviders.Api.CHAT);
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).path()).isEqualTo("/chat/v1/chat/completions");
        assertThat(sent.get(0).header("authorization")).isEqualTo("Bearer sk-C");
        assertThat(sent.get(0).header("x-relay-key")).isNull();
        assertThat(sent.get(0).header("session-id")).as("Codex's own headers stay home").isNull();
        assertThat(sent.get(0).body().path("stream").asBoolean()).isTrue();
        assertThat(sent.get(0).body().path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(sent.get(0).body().path("messages").get(0).path("role").asText()).isEqualTo("system");
        assertThat(h.awaitRecords(1).get(0).account()).isEqualTo("C");
    }

    @Test
    void aToolCallFromAnAnthropicAccountReachesCodexAsAFunctionCall() throws Exception {
        account("N", 1, Wire.ANTHROPIC, List.of());
        h.fake.providers().enqueue("sk-N", FakeProviders.shell("ls -la"));
        h.startServer();

        HttpResponse<String> r = h.post(codexRequest("gpt-5-codex"));

        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> ev = events(r.body());
        JsonNode call = ev.stream().filter(e -> e.path("type").asText().equals("response.output_item.done")
                && e.path("item").path("type").asText().equals("function_call")).findFirst().orElseThrow().path("item");
        assertThat(call.path("name").asText()).isEqualTo("shell");
        assertThat(call.path("call_id").asText()).isEqualTo("toolu_fake01");
        assertThat(JSON.readTree(call.path("arguments").asText()).path("command").get(2).asText()).isEqualTo("ls -la");
        assertThat(ev.get(ev.size() - 1).path("type").asText()).isEqualTo("response.completed");
        var sent = h.fake.providers().requests(FakeProviders.Api.ANTHROPIC).get(0);
        assertThat(sent.path()).isEqualTo("/anthropic/v1/messages");
        assertThat(sent.header("x-api-key")).isEqualTo("sk-N");
        assertThat(sent.header("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(sent.header("authorization")).isNull();
        assertThat(sent.body().path("max_tokens").asInt()).isPositive();
    }

    @Test
    void aRateLimitedChatAccountFailsOverToTheAnthropicAccount() throws Exception {
        account("C", 1, Wire.CHAT, List.of());
        account("N", 2, Wire.ANTHROPIC, List.of());
        h.fake.providers().enqueue("sk-C", FakeProviders.rateLimited(30));
        h.fake.providers().enqueue("sk-N", FakeProviders.text("Served by Anthropic."));
        h.startServer();

        HttpResponse<String> r = h.post(codexRequest("gpt-5-codex"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(events(r.body()).get(events(r.body()).size() - 1).path("type").asText()).isEqualTo("response.completed");
        assertThat(h.fake.providers().requests()).extracting(FakeProviders.ProviderRequest::key).containsExactly("sk-C", "sk-N");
        assertThat(h.awaitRecords(1).get(0).account()).isEqualTo("N");
    }

    @Test
    void anOverloadedAnthropicAccountFailsOverToTheResponsesAccount() throws Exception {
        account("N", 1, Wire.ANTHROPIC, List.of());
        account("R", 2, Wire.RESPONSES, List.of());
        h.fake.providers().enqueue("sk-N", FakeProviders.overloaded());
        h.startServer();

        HttpResponse<String> r = h.post(codexRequest("gpt-5-codex"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("Hello from the fake upstream.");
        assertThat(h.fake.received("/v1/responses")).hasSize(1);
    }

    @Test
    void modelRulesRewriteTheUpstreamModelAndAccountsWithoutAMatchingRuleAreSkipped() throws Exception {
        account("D", 1, Wire.CHAT, List.of(ModelRule.parse("gpt-5*=deepseek-chat")));
        account("Q", 2, Wire.CHAT, List.of(ModelRule.parse("o3*=qwen-max")));
        h.startServer();

        HttpResponse<String> r = h.post(codexRequest("gpt-5-codex"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(events(r.body()).get(events(r.body()).size() - 1).path("response").path("model").asText()).isEqualTo("gpt-5-codex");

        HttpResponse<String> r2 = h.post(codexRequest("o3-mini"));
        assertThat(r2.statusCode()).isEqualTo(200);

        var sent = h.fake.providers().requests();
        assertThat(sent).extracting(FakeProviders.ProviderRequest::key).containsExactly("sk-D", "sk-Q");
        assertThat(sent.get(0).body().path("model").asText()).isEqualTo("deepseek-chat");
        assertThat(sent.get(1).body().path("model").asText()).isEqualTo("qwen-max");
        // D was skipped for o3-mini, not failed: nothing cools it down.
        assertThat(h.pool.candidates(new io.codexrelay.pool.RouteRequest(null, "gpt-5", null))).extracting(Account::name).containsExactly("D");
    }

    @Test
    void aRefusedParameterIsDroppedRetriedRememberedAndSentAgainAfterReset() throws Exception {
        Account c = account("C", 1, Wire.CHAT, List.of(ModelRule.parse("*=deepseek-chat")));
        h.fake.providers().rejectParameters("sk-C", "reasoning_effort");
        h.startServer();

        HttpResponse<String> first = h.post(codexRequest("gpt-5-codex"));
        assertThat(first.statusCode()).isEqualTo(200);
        var sent = h.fake.providers().requests();
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0).body().has("reasoning_effort")).isTrue();
        assertThat(sent.get(1).body().has("reasoning_effort")).isFalse();
        assertThat(sent.get(1).body().has("tools")).as("only the refused parameter goes").isTrue();
        LearnedParameters learned = new LearnedParameters(h.db, h.clock);
        assertThat(learned.list(c.id())).extracting(LearnedParameters.Learned::model, LearnedParameters.Learned::param)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("deepseek-chat", "reasoning_effort"));

        HttpResponse<String> second = h.post(codexRequest("gpt-5-codex"));
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(h.fake.providers().requests()).hasSize(3);
        assertThat(h.fake.providers().requests().get(2).body().has("reasoning_effort")).isFalse();

        assertThat(learned.reset(c.id())).isEqualTo(1);
        h.fake.providers().rejectParameters("sk-C");
        HttpResponse<String> third = h.post(codexRequest("gpt-5-codex"));
        assertThat(third.statusCode()).isEqualTo(200);
        assertThat(h.fake.providers().requests()).hasSize(4);
        assertThat(h.fake.providers().requests().get(3).body().has("reasoning_effort")).isTrue();
    }

    @Test
    void aRefusedParameterOnAnAnthropicAccountIsLearnedFromItsMessage() throws Exception {
        Account n = account("N", 1, Wire.ANTHROPIC, List.of());
        h.fake.providers().rejectParameters("sk-N", "thinking");
        h.startServer();

        HttpResponse<String> r = h.post(codexRequest("claude-x"));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(h.fake.providers().requests()).hasSize(2);
        assertThat(h.fake.providers().requests().get(1).body().has("thinking")).isFalse();
        assertThat(new LearnedParameters(h.db, h.clock).dropped(n.id(), "claude-x")).containsExactly("thinking");
    }

    @Test
    void aBadRequestThatNamesNoParameterReachesCodexUnchangedAndIsNotRetried() throws Exception {
        account("C", 1, Wire.CHAT, List.of());
        h.startServer();

        // No messages at all: the provider refuses the request itself.
        HttpResponse<String> r = h.post("{\"model\":\"m\",\"input\":[],\"stream\":true}");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("messages");
        assertThat(h.fake.providers().requests()).hasSize(1);
    }
}
