package io.codexrelay.config;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading and rewriting the {@code [[redact]]} blocks of config.toml: every other line stays as it was. */
class RedactTablesTest {
    static final String FILE = """
            # my relay
            [log]
            level = "debug"   # while testing

            [[redact]]
            name = "old"
            literal = "ACME"

            [pool]
            # routing = "quota"
            gate_wait_ms = 3
            """;

    @Test
    void rulesAreReadAsWrittenAndReplacedWhileOtherLinesStay() throws Exception {
        assertThat(RedactTables.read(FILE)).containsExactly(Map.of("name", "old", "literal", "ACME"));

        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("name", "keys \"quoted\"");
        rule.put("pattern", "sk-[A-Za-z0-9\\\\]+");
        rule.put("replacement", "");
        rule.put("clients", List.of("codex"));
        String out = RedactTables.write(FILE, List.of(rule));

        assertThat(out).startsWith("# my relay\n[log]\nlevel = \"debug\"   # while testing\n\n[pool]\n# routing = \"quota\"\n"
                + "gate_wait_ms = 3\n");
        assertThat(out).doesNotContain("ACME");
        RelayConfig cfg = ConfigLoader.parse(out, "config.toml");
        assertThat(cfg.redactions()).hasSize(1);
        assertThat(cfg.redactions().get(0).label()).isEqualTo("keys \"quoted\"");
        assertThat(cfg.redactions().get(0).pattern().pattern()).isEqualTo("sk-[A-Za-z0-9\\\\]+");
        assertThat(cfg.redactions().get(0).clients()).containsExactly("codex");
        assertThat(cfg.values().get("log.level")).isEqualTo("debug");
        assertThat(RedactTables.read(RedactTables.write(out, List.of()))).isEmpty();
    }
}
