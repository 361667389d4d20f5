package io.codexrelay.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.codexrelay.codex.CodexConfigPatch;
import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeUpstream.ResponsesRequest;
import io.codexrelay.testing.FakeUpstream.Transport;
import io.codexrelay.testing.FakeUpstreamSocket;
import io.codexrelay.testing.FakeUpstreamSocket.Handshake;
import io.codexrelay.testing.PoolDaemon;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real Codex CLI (both pinned versions) on Responses over WebSocket through the relay, served by the fake upstream
 * over WebSocket with two ChatGPT accounts (A first, then B): a multi-turn session (a tool call and its follow-up, then
 * {@code exec resume}), failover of an anchored request to B as a full request, and the 426 fallback when the relay has
 * WebSocket turned off. The Codex config is what {@code codex on} writes (supports_websockets = true), with a model
 * whose catalog entry prefers WebSocket.
 */
@Tag("e2e")
class CodexWebSocketThroughRelayE2eTest {
    static final List<String> VERSIONS = CodexCli.VERSIONS;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TempDir Path tmp;

    @ParameterizedTest @FieldSource("VERSIONS")
    void aToolCallItsFollowUpAndAResumedTurnRunOverWebSocketThroughTheRelay(String version) throws Exception {
        try (PoolDaemon d = daemon("")) {
            String a = d.token("A");
            d.fake.socket().enqueue(a, toolCall("call_ws_1"));
            d.fake.socket().enqueue(a, FakeUpstreamSocket.success("Done with the tool."));
            d.fake.socket().enqueue(a, FakeUpstreamSocket.success("Second turn over the socket."));
            CodexCli codex = CodexCli.require(version);
            Path home = codexHome(d);
            var r1 = codex.exec(home, tmp.resolve("work"), "run the tool", TIMEOUT);
            assertThat(r1.ok()).as(r1 + transcript(d)).isTrue();
            assertThat(r1.stdout()).contains("Done with the tool.");
            var r2 = codex.run(home, tmp.resolve("work"), TIMEOUT, List.of("exec", "--skip-git-repo-check", "resume", "--last",
                    "and again"));
            assertThat(r2.ok()).as(r2 + transcript(d)).isTrue();
            assertThat(r2.stdout()).contains("Second turn over the socket.");

            // Everything went over WebSocket, with A's credentials and never the client key.
            assertThat(d.fake.responsesRequests(Transport.HTTP)).as(transcript(d)).isEmpty();
            List<ResponsesRequest> ws = d.fake.responsesRequests(Transport.WEBSOCKET);
            assertThat(ws).allMatch(q -> q.token().equals(a));
            // One socket per Codex process, relayed to one upstream socket each.
            assertThat(d.app.socketUpgrades()).isEqualTo(2);
            assertThat(d.fake.socket().acceptedHandshakes()).hasSize(2).allSatisfy(h -> {
                assertThat(h.path()).isEqualTo("/backend-api/codex/responses");
                assertThat(h.header("chatgpt-account-id")).isEqualTo("acct-A");
                assertThat(h.header("x-relay-key")).isNull();
                assertThat(h.header("openai-beta")).contains("responses_websockets=2026-02-06");
                assertThat(h.header("originator")).isEqualTo("codex_exec");
                assertThat(h.headers().values()).noneMatch(v -> v.contains(d.clientKey));
            });
            // First exec: prewarm, the turn (anchored on the prewarm), the tool's follow-up anchored on the tool call,
            // all on the first upstream socket, passed on as Codex sent them.
            List<ResponsesRequest> first = ws.stream().filter(q -> q.connection() == ws.get(0).connection()).toList();
            assertThat(first).as(transcript(d)).hasSize(3);
            assertThat(first.get(0).prewarm()).isTrue();
            assertThat(first.get(1).previousResponseId()).isNotNull();
            ResponsesRequest followUp = first.get(2);
            assertThat(followUp.previousResponseId()).as(transcript(d)).isNotNull();
            assertThat(types(followUp.json().path("input"))).containsExactly("function_call_output");
            // The resumed turn: a second socket, the whole history.
            List<ResponsesRequest> second = ws.stream().filter(q -> q.connection() != ws.get(0).connection()).toList();
            assertThat(second).isNotEmpty();
            assertThat(types(second.get(second.size() - 1).json().path("input"))).contains("function_call", "function_call_output");
            // Each request on the socket made one request-log row with A as the server.
            assertThat(d.events(io.codexrelay.events.RelayEvent.RequestFinished.class))
                    .hasSize(ws.size()).allSatisfy(e -> assertThat(e.record().account()).isEqualTo("A"));
        }
    }

    @ParameterizedTest @FieldSource("VERSIONS")
    void whenAIsExhaustedMidSessionTheAnchoredFollowUpMovesToBAsAFullRequest(String version) throws Exception {
        try (PoolDaemon d = daemon("")) {
            String a = d.token("A"), b = d.token("B");
            long reset = java.time.Instant.now().getEpochSecond() + 3600;
            d.fake.socket().enqueue(a, toolCall("call_ws_2"));
            d.fake.socket().enqueue(a, FakeUpstreamSocket.usageLimitFrame(reset));
            d.fake.socket().enqueue(b, FakeUpstreamSocket.success("B took over."));
            var r = CodexCli.require(version).exec(codexHome(d), tmp.resolve("work"), "run the tool", TIMEOUT);
            assertThat(r.ok()).as(r + transcript(d)).isTrue();
            assertThat(r.stdout()).contains("B took over.");
            assertThat(r.stderr()).doesNotContain("usage limit").doesNotContain("Reconnecting");

            List<ResponsesRequest> ws = d.fake.responsesRequests(Transport.WEBSOCKET);
            assertThat(d.fake.responsesRequests(Transport.HTTP)).isEmpty();
            List<ResponsesRequest> onA = ws.stream().filter(q -> q.token().equals(a)).toList();
            List<ResponsesRequest> onB = ws.stream().filter(q -> q.token().equals(b)).toList();
            assertThat(onA).as(transcript(d)).hasSize(3); // prewarm, turn, the anchored follow-up refused with 429
            assertThat(onA.get(2).previousResponseId()).isNotNull();
            assertThat(onB).as(transcript(d)).hasSize(1);
            ResponsesRequest moved = onB.get(0);
            assertThat(moved.previousResponseId()).isNull();
            assertThat(moved.prewarm()).isFalse();
            // The full conversation: the turn's input, the tool call it answered, the tool's output; each item once.
            List<String> full = new ArrayList<>(types(onA.get(1).json().path("input")));
            full.add("function_call");
            full.add("function_call_output");
            assertThat(types(moved.json().path("input"))).isEqualTo(full);
            assertThat(d.app.socketUpgrades()).isEqualTo(1); // Codex never reconnected: it saw no error
        }
    }

    @ParameterizedTest @FieldSource("VERSIONS")
    void withWebSocketOffTheRelayAnswers426AndCodexUsesHttpAtOnce(String version) throws Exception {
        try (PoolDaemon d = daemon("[websocket]\nenabled = false\n")) {
            d.fake.setDefault(io.codexrelay.testing.FakeUpstream.success("Served over HTTP."));
            // Codex was wired while sockets were on (supports_websockets = true), the relay has them off now.
            var r = CodexCli.require(version).exec(codexHome(d), tmp.resolve("work"), "hello", TIMEOUT);
            assertThat(r.ok()).as(r + transcript(d)).isTrue();
            assertThat(r.stdout()).contains("Served over HTTP.");
            assertThat(d.app.socketUpgrades()).as("handshakes Codex sent to the relay").isEqualTo(1);
            assertThat(r.stderr()).doesNotContain("Reconnecting").doesNotContain("Falling back");
            assertThat(d.fake.socket().handshakes()).isEmpty();
            assertThat(d.fake.responsesRequests(Transport.HTTP)).hasSize(1);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private PoolDaemon daemon(String extraConfig) throws Exception {
        return new PoolDaemon(tmp, "[pool]\nrouting = \"priority\"\n" + extraConfig)
                .chatgpt("A", 1, null).chatgpt("B", 2, null).start();
    }

    /** A Codex home as `codex on` wires it (with WebSocket), on a model that prefers WebSocket. */
    private Path codexHome(PoolDaemon d) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("codex-home"));
        var spec = new CodexConfigPatch.ProviderSpec(d.baseUrl(), d.clientKey, 600_000, true);
        String text = "check_for_update_on_startup = false\nmodel = \"gpt-5.6-sol\"\n\n[analytics]\nenabled = false\n";
        var p = CodexConfigPatch.on(text, spec, CodexConfigPatch.Memory.NONE, "config.toml");
        assertThat(p.text()).contains("supports_websockets = true");
        Files.writeString(dir.resolve("config.toml"), p.text());
        return dir;
    }

    /** A reply that asks Codex to run a tool: one function_call item, then completed. */
    static FakeUpstreamSocket.Frames toolCall(String callId) {
        String id = FakeUpstreamSocket.NEW_ID;
        String item = "{\"type\":\"function_call\",\"id\":\"fc_1\",\"status\":\"completed\",\"name\":\"shell\",\"call_id\":\"" + callId
                + "\",\"arguments\":\"{\\\"command\\\":[\\\"echo\\\",\\\"relay\\\"]}\"}";
        return new FakeUpstreamSocket.Frames(List.of(FakeUpstreamSocket.created(id),
                "{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":" + item + "}",
                "{\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":" + item + "}",
                "{\"type\":\"response.completed\",\"response\":{\"id\":\"" + id + "\",\"status\":\"completed\",\"output\":[],"
                        + "\"usage\":{\"input_tokens\":10,\"output_tokens\":2,\"total_tokens\":12}}}"), 0, 0);
    }

    private static List<String> types(JsonNode input) {
        List<String> t = new ArrayList<>();
        for (JsonNode n : input) t.add(n.path("type").asText());
        return t;
    }

    private static String transcript(PoolDaemon d) {
        StringBuilder b = new StringBuilder("\n--- fake upstream ---\n");
        for (Handshake h : d.fake.socket().handshakes()) {
            b.append("handshake #").append(h.connection()).append(' ').append(h.status()).append(' ').append(h.path())
                    .append(" headers=").append(new TreeSet<>(h.headers().keySet())).append('\n');
        }
        for (ResponsesRequest q : d.fake.responsesRequests()) {
            b.append(q.transport()).append(" #").append(q.connection()).append(' ').append(d.nameOf(q.token()))
                    .append(" generate=").append(q.json().path("generate")).append(" previous_response_id=")
                    .append(q.previousResponseId()).append(" input=").append(types(q.json().path("input"))).append('\n');
        }
        d.fake.socket().closes().forEach(c -> b.append(c).append('\n'));
        return CodexCli.redact(b.toString());
    }
}
