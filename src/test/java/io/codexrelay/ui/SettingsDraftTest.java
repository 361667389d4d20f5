package io.codexrelay.ui;

import io.codexrelay.app.SettingsDraft;

import io.codexrelay.config.ConfigSchema;
import io.codexrelay.config.RelayConfig;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SettingsDraftTest {
    private final Map<String, Object> current = new LinkedHashMap<>(RelayConfig.defaults().values());
    private final List<String> relayKeys = List.of("server.port", "server.listen", "server.allow_remote", "pool.routing",
            "pool.primary_threshold_percent", "pool.gate_wait_ms", "codex.extra_homes");

    @Test
    void showsTheRunningValues() {
        current.put("server.port", 18000L);
        var f = new SettingsDraft(relayKeys, current);
        assertThat(f.text("server.port")).isEqualTo("18000");
        assertThat(f.text("pool.primary_threshold_percent")).isEqualTo("95");
        assertThat(f.text("codex.extra_homes")).isEmpty();
        assertThat(f.dirty()).isFalse();
        assertThat(f.changes()).isEmpty();
    }

    @Test
    void validatesAsYouTypeWithTheLoadersRules() {
        var f = new SettingsDraft(relayKeys, current);
        assertThat(f.setText("server.port", "70000")).contains("must be at most 65535");
        assertThat(f.setText("server.port", "12a")).contains("must be a whole number");
        assertThat(f.valid()).isFalse();
        assertThat(f.error("server.port")).isPresent();
        assertThat(f.setText("pool.routing", "random")).hasValueSatisfying(m -> assertThat(m).startsWith("must be one of most-remaining"));
        assertThat(f.setText("pool.primary_threshold_percent", "0.5")).contains("must be at least 1");
        assertThat(f.setText("server.allow_remote", "yes")).contains("must be true or false");
        // Each message is exactly what the schema (and so the loader) says.
        var k = ConfigSchema.key("server.port").orElseThrow();
        // (0 is a valid port: any free port at each start, the same rule as serve --port 0.)
        assertThat(f.setText("server.port", "70000")).contains(k.check(70000L).orElseThrow());

        assertThat(f.setText("server.port", "18001")).isEmpty();
        assertThat(f.setText("pool.routing", "priority")).isEmpty();
        assertThat(f.setText("pool.primary_threshold_percent", "90")).isEmpty();
        assertThat(f.setText("server.allow_remote", "false")).isEmpty();
        assertThat(f.valid()).isTrue();
        assertThat(f.changes()).containsExactly(Map.entry("server.port", 18001L), Map.entry("pool.routing", "priority"),
                Map.entry("pool.primary_threshold_percent", 90.0));
        assertThat(f.restartNeeded()).containsExactly("server.port");
    }

    @Test
    void sameValueTypedDifferentlyIsNoChange() {
        var f = new SettingsDraft(relayKeys, current);
        f.setText("pool.primary_threshold_percent", "95.0");
        f.setText("server.port", " 17771 ");
        f.setText("codex.extra_homes", "/a, /b");
        assertThat(f.changes()).containsOnlyKeys("codex.extra_homes");
        assertThat(f.changes().get("codex.extra_homes")).isEqualTo(List.of("/a", "/b"));
    }

    @Test
    void wholeFileRulesComeFromTheLoader() {
        var f = new SettingsDraft(relayKeys, current);
        f.setText("server.listen", "0.0.0.0");
        assertThat(f.valid()).isTrue();
        assertThat(f.checkWhole(current)).hasValueSatisfying(m -> assertThat(m)
                .startsWith("'server.listen' = \"0.0.0.0\" is not a loopback address"));
        f.setText("server.allow_remote", "true");
        assertThat(f.checkWhole(current)).isEmpty();
        f.setText("server.port", "x");
        assertThat(f.checkWhole(current)).contains("Fix the marked fields first.");
    }

    @Test
    void everyConfigKeyIsOnExactlyOneTabWithALabel() {
        List<String> onTabs = new java.util.ArrayList<>();
        for (var g : SettingsWindow.RELAY_GROUPS) onTabs.addAll(g.keys());
        for (var g : SettingsWindow.GENERAL_GROUPS) onTabs.addAll(g.keys());
        assertThat(onTabs).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(ConfigSchema.keys().keySet());
        assertThat(ConfigFieldsPanel.LABELS.keySet()).containsExactlyInAnyOrderElementsOf(ConfigSchema.keys().keySet());
    }

    @Test
    void resetDropsEdits() {
        var f = new SettingsDraft(relayKeys, current);
        f.setText("server.port", "x");
        current.put("server.port", 19000L);
        f.reset(current);
        assertThat(f.valid()).isTrue();
        assertThat(f.text("server.port")).isEqualTo("19000");
        assertThat(f.dirty()).isFalse();
    }
}
