package io.codexrelay.codex;

import org.junit.jupiter.api.Test;
import org.tomlj.Toml;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** `codex on` with WebSocket on writes supports_websockets = true into the relay's provider entry, and only there. */
class CodexConfigPatchWebSocketTest {
    private static final String KEY = "crk_0123456789abcdef0123456789abcdef0123456789abcdef";

    @Test
    void withWebSocketOnTheProviderEntrySupportsWebsocketsAndOffPurgeTakesItAway() throws Exception {
        String user = "model = \"gpt-5.6-sol\"\n\n[model_providers.mine]\nbase_url = \"https://example.test/v1\"\n";
        var on = CodexConfigPatch.on(user, new CodexConfigPatch.ProviderSpec("http://127.0.0.1:17771/v1", KEY, 600_000, true),
                CodexConfigPatch.Memory.NONE, "config.toml");
        var toml = Toml.parse(on.text());
        assertThat(toml.getBoolean(List.of("model_providers", "codex-relay", "supports_websockets"))).isTrue();
        assertThat(toml.get(List.of("model_providers", "mine", "supports_websockets"))).isNull();
        // Idempotent.
        assertThat(CodexConfigPatch.on(on.text(), new CodexConfigPatch.ProviderSpec("http://127.0.0.1:17771/v1", KEY, 600_000, true),
                on.memory(), "config.toml").changed()).isFalse();
        // Turning WebSocket off in the relay and running `codex on` again drops the line.
        var again = CodexConfigPatch.on(on.text(), new CodexConfigPatch.ProviderSpec("http://127.0.0.1:17771/v1", KEY, 600_000, false),
                on.memory(), "config.toml");
        assertThat(Toml.parse(again.text()).get(List.of("model_providers", "codex-relay", "supports_websockets"))).isNull();
        var off = CodexConfigPatch.off(on.text(), on.memory(), true, "config.toml");
        assertThat(off.text()).isEqualTo(user);
    }
}
