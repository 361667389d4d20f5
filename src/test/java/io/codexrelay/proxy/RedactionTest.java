package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;
import io.codexrelay.account.Wire;
import io.codexrelay.config.ConfigLoader;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.testing.FakeProviders;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code [[redact]]} rules through the relay (issue 12): what leaves for the upstream is redacted for every wire, the
 * client's answer is untouched, the count (never the text) reaches the request log, scopes pick accounts and tools,
 * and a config change applies to the next request.
 */
class RedactionTest {
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

    private RelayConfig withRules(String toml) throws Exception {
        return RelayConfig.fromValues(h.config.values(), ConfigLoader.parse(toml, "config.toml").redactions());
    }

    private static String request(String text) {
        return "{\"model\":\"gpt-5-codex\",\"instructions\":\"Be brief.\",\"stream\":true,\"store\":false,\"input\":[{\"type\":"
                + "\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + text + "\"}]}]}";
    }

    @Test
    void aResponsesAccountGetsTheRedactedBodyTheClientItsOwnAnswerAndTheLogTheCount() throws Exception {
        h.apiKey("R", 1, h.fake.apiBaseUrl(), null);
        h.fake.enqueue("sk-R", FakeUpstream.success("done"));
        h.config = withRules("""
                [[redact]]
                name = "keys"
                pattern = "sk-live-[A-Za-z0-9]+"
                replacement = "<key>"
                [[redact]]
                literal = "ACME \\"Corp\\""
                replacement = "the \\\\ company"
                """);
        h.startServer();

        HttpResponse<String> r = h.post(request("deploy with sk-live-abc123 and sk-live-XYZ for ACME \\\"Corp\\\""));

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("done");
        var sent = h.fake.responsesRequests().get(0).json();
        assertThat(sent.path("input").get(0).path("content").get(0).path("text").asText())
                .isEqualTo("deploy with <key> and <key> for the \\ company");
        assertThat(sent.path("model").asText()).isEqualTo("gpt-5-codex");
        var record = h.awaitRecords(1).get(0);
        assertThat(record.failoverChain()).containsExactly("R:200", "redacted:3");
        assertThat(record.toString()).doesNotContain("sk-live");
    }

    @Test
    void aChatAccountGetsTheRedactedTextInItsOwnDialect() throws Exception {
        h.repo.insert(new Account(0, "C", Account.Kind.API_KEY, true, 1, null,
                new Credentials.ApiKey("sk-C", h.fake.chatBaseUrl(), Wire.CHAT, List.of()), null, null, null, null, null));
        h.fake.providers().enqueue("sk-C", FakeProviders.text("ok"));
        h.config = withRules("[[redact]]\nliteral = \"hunter2\"\nreplacement = \"***\"\n");
        h.startServer();

        HttpResponse<String> r = h.post(request("my password is hunter2"));

        assertThat(r.statusCode()).isEqualTo(200);
        var messages = h.fake.providers().requests(FakeProviders.Api.CHAT).get(0).body().path("messages");
        assertThat(messages.toString()).contains("my password is ***").doesNotContain("hunter2");
        assertThat(h.awaitRecords(1).get(0).failoverChain()).containsExactly("C:200", "redacted:1");
    }

    @Test
    void aRuleScopedToOneAccountAppliesOnlyThereEvenAfterFailoverAndAToolScopeIsHonoured() throws Exception {
        h.apiKey("A", 1, h.fake.apiBaseUrl(), null);
        h.apiKey("B", 2, h.fake.apiBaseUrl(), null);
        h.fake.enqueue("sk-A", new FakeUpstream.Plain(500, Map.of(), "application/json", "{\"error\":{\"message\":\"boom\"}}", 0));
        h.fake.enqueue("sk-B", FakeUpstream.success("from B"));
        h.config = withRules("""
                [[redact]]
                literal = "secret"
                accounts = ["B"]
                [[redact]]
                literal = "internal"
                clients = ["chat"]
                """);
        h.startServer();

        HttpResponse<String> r = h.post(request("secret internal plan"));

        assertThat(r.statusCode()).isEqualTo(200);
        var toA = h.fake.responsesRequests().get(0);
        var toB = h.fake.responsesRequests().get(1);
        assertThat(toA.token()).isEqualTo("sk-A");
        assertThat(toA.bodyText()).contains("secret internal plan");
        assertThat(toB.bodyText()).contains("[redacted] internal plan");
        assertThat(h.awaitRecords(1).get(0).failoverChain()).containsExactly("A:500", "B:200", "redacted:1");
    }

    @Test
    void changedRulesApplyToTheNextRequestAndNoRulesLeaveTheBodyAsCodexSentIt() throws Exception {
        h.apiKey("R", 1, h.fake.apiBaseUrl(), null);
        h.fake.enqueue("sk-R", FakeUpstream.success("one"), FakeUpstream.success("two"));
        h.startServer();
        String body = request("alpha beta");

        h.post(body);
        h.relay.applyConfig(withRules("[[redact]]\nliteral = \"beta\"\nreplacement = \"\"\n"));
        h.post(body);

        assertThat(h.fake.responsesRequests().get(0).bodyText()).isEqualTo(body);
        assertThat(h.fake.responsesRequests().get(1).json().path("input").get(0).path("content").get(0).path("text").asText())
                .isEqualTo("alpha ");
        assertThat(h.awaitRecords(2).get(0).failoverChain()).containsExactly("R:200");
    }
}
