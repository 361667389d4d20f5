package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.codex.CodexConfigPatch;
import io.codexrelay.config.ClientKey;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.FakeUpstream;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client keys with an account (issues 11 and 13): a per-tool key, a named home's key and a {@code codex-relay run}
 * process key send their requests to their account first while other clients keep the pool's choice; failover
 * unless strict; a strict key whose account is out gets the usual quota error in its tool's dialect; every request
 * names its client in the record the log writes.
 */
class ClientKeysTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;
    RelayHarness h;
    private final List<ClientKeys.Key> keys = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        h = new RelayHarness(dir);
        h.chatgpt("A", 1, null);   // the pool's choice: priority 1
        h.chatgpt("B", 2, null);
        h.startServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    private String key(String name, String account, boolean strict) {
        String key = ClientKey.generate();
        keys.add(new ClientKeys.Key(name, ClientKey.hashOf(key), account, strict, null, null));
        h.relay.clientKeys().replace(List.copyOf(keys));
        return key;
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = h.request(path).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return h.send(b);
    }

    private List<String> servedTokens() {
        return h.fake.received("/backend-api/codex/responses").stream().map(FakeUpstream.Received::token).toList();
    }

    @Test
    void aToolKeyWithAnAccountIsServedThereWhileOtherClientsKeepThePoolsChoice() throws Exception {
        String scripts = key("scripts", "B", false);
        h.fake.setDefault(FakeUpstream.success("hi"));

        assertThat(post("/v1/chat/completions", DialectRoutesTest.CHAT, "authorization", "Bearer " + scripts).statusCode()).isEqualTo(200);
        assertThat(h.post(RelayHarness.body("gpt-5.1-codex")).statusCode()).isEqualTo(200);   // Codex's own key

        assertThat(servedTokens()).containsExactly("tokB", "tokA");
        List<FinishedRequest> recs = h.awaitRecords(2);
        assertThat(recs).extracting(FinishedRequest::client).containsExactly("scripts", "codex");
        assertThat(recs).extracting(FinishedRequest::account).containsExactly("B", "A");
    }

    @Test
    void whenItsAccountIsOutAKeyFailsOverUnlessStrictThenItsToolHearsTheQuotaErrorInItsDialect() throws Exception {
        String loose = key("loose", "B", false);
        String strict = key("strict-b", "B", true);
        long reset = RelayHarness.T0.getEpochSecond() + 1800;
        h.fake.enqueue("tokB", FakeUpstream.usageLimit(reset, "plus"));
        h.fake.setDefault(FakeUpstream.success("hi"));

        HttpResponse<String> failedOver = post("/v1/chat/completions", DialectRoutesTest.CHAT, "authorization", "Bearer " + loose);
        assertThat(failedOver.statusCode()).isEqualTo(200);
        assertThat(h.awaitRecords(1).get(0).failoverChain()).containsExactly("B:429 usage_limit_reached", "A:200");
        int upstreamBefore = servedTokens().size();

        // B is now out until the reset: the strict key is not served by A, and each tool hears it in its own shape
        HttpResponse<String> anthropic = post("/v1/messages", DialectRoutesTest.MESSAGES, "x-api-key", strict);
        HttpResponse<String> chat = post("/v1/chat/completions", DialectRoutesTest.CHAT, "authorization", "Bearer " + strict);

        assertThat(anthropic.statusCode()).as(anthropic.body()).isEqualTo(429);
        JsonNode ae = JSON.readTree(anthropic.body());
        assertThat(ae.path("type").asText()).isEqualTo("error");
        assertThat(ae.at("/error/type").asText()).isEqualTo("rate_limit_error");
        assertThat(ae.at("/error/message").asText()).contains("back in about 30 min");
        assertThat(chat.statusCode()).isEqualTo(429);
        JsonNode ce = JSON.readTree(chat.body());
        assertThat(ce.at("/error/code").asText()).isEqualTo("usage_limit_reached");
        assertThat(ce.at("/error/resets_at").asLong()).isEqualTo(reset);
        assertThat(servedTokens()).hasSize(upstreamBefore);   // A was never asked
        assertThat(h.awaitRecords(3)).extracting(FinishedRequest::client).containsExactly("loose", "strict-b", "strict-b");
    }

    @Test
    void aRunProcessKeyOnCodexsRouteChoosesItsAccountAndARevokedOneIsRefusedNotServedByThePool() throws Exception {
        String run = key("run:4242 codex", "B", false);
        String home = key("home:proj", "B", true);
        h.fake.setDefault(FakeUpstream.success("hi"));

        var withRun = h.codexPost("/v1/responses", RelayHarness.body("gpt-5.1-codex")).header(ClientKeys.PROCESS_HEADER, run);
        assertThat(h.send(withRun).statusCode()).isEqualTo(200);
        var fromHome = h.request("/v1/responses").header("content-type", "application/json").header(ClientKey.HEADER, home)
                .POST(HttpRequest.BodyPublishers.ofString(RelayHarness.body("gpt-5.1-codex")));
        assertThat(h.send(fromHome).statusCode()).isEqualTo(200);
        assertThat(servedTokens()).containsExactly("tokB", "tokB");
        assertThat(h.awaitRecords(2)).extracting(FinishedRequest::client).containsExactly("run:4242 codex", "home:proj");
        for (FakeUpstream.Received r : h.fake.received()) assertThat(r.headers()).doesNotContainKey(ClientKeys.PROCESS_HEADER);

        keys.removeIf(k -> k.name().startsWith("run:"));    // the run ended
        h.relay.clientKeys().replace(List.copyOf(keys));
        HttpResponse<String> after = h.send(h.codexPost("/v1/responses", RelayHarness.body("gpt-5.1-codex"))
                .header(ClientKeys.PROCESS_HEADER, run));
        assertThat(after.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(after.body()).at("/error/type").asText()).isEqualTo("relay_bad_process_key");
        assertThat(servedTokens()).hasSize(2);
    }

    @Test
    void theKeyTableNamesEachClientAndOnlyPerToolKeysCountForOtherMachines() {
        ClientKey codex = h.key;
        ClientKeys table = new ClientKeys(codex);
        String tool = ClientKey.generate(), run = ClientKey.generate(), home = ClientKey.generate();
        table.replace(List.of(new ClientKeys.Key("run:7 codex", ClientKey.hashOf(run), "B", true, null, null),
                new ClientKeys.Key("home:proj", ClientKey.hashOf(home), "A", false, null, null)));
        assertThat(table.hasKeys()).as("home and run keys do not open the relay to other machines").isFalse();
        table.replace(List.of(new ClientKeys.Key("run:7 codex", ClientKey.hashOf(run), "B", true, null, null),
                new ClientKeys.Key("home:proj", ClientKey.hashOf(home), "A", false, null, null),
                new ClientKeys.Key("cursor", ClientKey.hashOf(tool), null, null)));
        assertThat(table.hasKeys()).isTrue();

        HttpFields both = HttpFields.build().put(ClientKey.HEADER, codex.value()).put(ClientKeys.PROCESS_HEADER, run);
        assertThat(table.forCodex(both).name()).isEqualTo("run:7 codex");
        assertThat(table.forCodex(both).route("s", "m", "/v1/responses")).satisfies(r -> {
            assertThat(r.account()).isEqualTo("B");
            assertThat(r.strict()).isTrue();
        });
        assertThat(table.forCodex(HttpFields.build().put(ClientKey.HEADER, codex.value())).route(null, null, null).account()).isNull();
        assertThat(table.forCodex(HttpFields.build().put(ClientKey.HEADER, home)).name()).isEqualTo("home:proj");
        assertThat(table.admit(run, 0, true)).isInstanceOf(ClientKeys.Refused.class);
        assertThat(table.admit(home, 0, true)).isInstanceOf(ClientKeys.Refused.class);
        assertThat(table.admit(tool, 0, true)).isInstanceOf(ClientKeys.Admitted.class);
        // the header Codex's provider entry sends from the variable `run` sets: one name on both sides
        assertThat(ClientKeys.PROCESS_HEADER).isEqualTo(CodexConfigPatch.PROCESS_KEY_HEADER);
        assertThat(ClientKeys.PROCESS_ENV).isEqualTo(CodexConfigPatch.PROCESS_KEY_ENV);
    }
}
