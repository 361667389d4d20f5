package io.codexrelay.e2e;

import io.codexrelay.app.ControlApi;
import io.codexrelay.codex.CodexConfigPatch;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeProviders;
import io.codexrelay.testing.PoolDaemon;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real Codex CLI (both pinned versions) on Responses over WebSocket, as {@code codex on} wires it, on a model whose
 * catalog prefers WebSocket, served by a Chat Completions account (issue 12): the socket's HTTP leg speaks the
 * account's dialect, applies its model rule and the redaction rules, and Codex sees Responses events.
 */
@Tag("e2e")
class CodexWebSocketOtherWiresE2eTest {
    static final List<String> VERSIONS = CodexCli.VERSIONS;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String KEY_C = "sk-chat-ws-e2e-0000000000";

    @TempDir Path tmp;

    @ParameterizedTest @FieldSource("VERSIONS")
    void codexOverWebSocketIsServedByAChatAccountWithItsModelRuleAndTheRedactionRules(String version) throws Exception {
        try (PoolDaemon d = new PoolDaemon(tmp, "[[redact]]\nliteral = \"hunter2\"\nreplacement = \"***\"\n").start()) {
            d.app.control().addApiKey(new ControlApi.NewApiKey("C", KEY_C, d.fake.chatBaseUrl(), 1, null, "chat",
                    List.of("gpt-5*=deepseek-chat")));
            d.fake.providers().enqueue(KEY_C, FakeProviders.text("Chat account answered over the socket."));

            var r = CodexCli.require(version).exec(codexHome(d), Files.createDirectories(tmp.resolve("work")),
                    "say hello; the password is hunter2", TIMEOUT);

            assertThat(r.ok()).as(r.toString()).isTrue();
            assertThat(r.stdout()).contains("Chat account answered over the socket.");
            assertThat(d.app.socketUpgrades()).as("Codex spoke WebSocket to the relay").isGreaterThanOrEqualTo(1);
            assertThat(d.fake.socket().handshakes()).as("a chat account has no upstream socket").isEmpty();
            assertThat(d.fake.responsesRequests()).as("nothing went to a Responses upstream").isEmpty();
            var sent = d.fake.providers().requests(FakeProviders.Api.CHAT);
            assertThat(sent).hasSize(1);
            assertThat(sent.get(0).body().path("model").asText()).isEqualTo("deepseek-chat");
            assertThat(sent.get(0).body().has("input")).isFalse();
            assertThat(sent.get(0).body().path("messages").toString()).contains("the password is ***").doesNotContain("hunter2");
            var served = d.events(RelayEvent.RequestFinished.class).stream()
                    .filter(e -> e.record().failoverChain().contains("C:sse")).toList();
            assertThat(served).hasSize(1);
            assertThat(served.get(0).record().failoverChain()).containsExactly("C:sse", "redacted:1");
        }
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
}
