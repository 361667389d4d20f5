package io.codexrelay.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code [[redact]]} tables in config.toml (issue 12): read with their scope; bad rules named with what to do. */
class RedactionConfigTest {

    @Test
    void rulesAreReadInOrderWithTheirScopeNextToTheUsualSections() throws Exception {
        RelayConfig cfg = ConfigLoader.parse("""
                [server]
                port = 18000

                [[redact]]
                name = "company"
                literal = "ACME Corp."
                replacement = "the company"
                ignore_case = true

                [[redact]]
                pattern = "sk-[A-Za-z0-9]{8,}"
                accounts = ["deepseek"]
                clients = ["codex", "anthropic"]

                [ui]
                theme = "dark"
                """, "config.toml");

        assertThat(cfg.server().port()).isEqualTo(18000);
        assertThat(cfg.ui().theme()).isEqualTo("dark");
        List<RedactionRule> rules = cfg.redactions();
        assertThat(rules).hasSize(2);
        RedactionRule company = rules.get(0);
        assertThat(company.label()).isEqualTo("company");
        assertThat(company.pattern().matcher("at acme corp. today").find()).isTrue();
        assertThat(company.pattern().matcher("ACME CorpX").find()).as("a literal's dot is a dot").isFalse();
        assertThat(company.replacement()).isEqualTo("the company");
        assertThat(company.appliesTo("anyone", "chat")).isTrue();
        RedactionRule key = rules.get(1);
        assertThat(key.label()).isEqualTo("rule 2 (line 10)");
        assertThat(key.replacement()).isEqualTo("[redacted]");
        assertThat(key.clients()).containsExactly("codex", "claude");
        assertThat(key.appliesTo("deepseek", "codex")).isTrue();
        assertThat(key.appliesTo("deepseek", "chat")).isFalse();
        assertThat(key.appliesTo("other", "codex")).isFalse();
        // a settings change keeps the rules
        assertThat(cfg.with(java.util.Map.of("ui.theme", "light")).redactions()).isEqualTo(rules);
    }

    @Test
    void anInvalidRegexNamesTheRuleAndWhatToDoButNeverShowsThePattern() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                [[redact]]
                name = "tokens"
                pattern = "(sk-SECRET123"
                """, "/home/me/.codex-relay/config.toml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("/home/me/.codex-relay/config.toml:1: [[redact]] rule 'tokens': the pattern is not a valid "
                        + "regular expression (Unclosed group")
                .hasMessageContaining("use literal = \"...\" for plain text, or remove the rule")
                .hasMessageNotContaining("SECRET123");
    }

    @Test
    void otherBadRulesSayWhatToWrite() {
        assertThat(error("[[redact]]\nreplacement = \"x\"\n")).contains("rule number 1: give exactly one of pattern");
        assertThat(error("[[redact]]\npattern = \"a\"\nliteral = \"b\"\n")).contains("give exactly one of pattern");
        assertThat(error("[[redact]]\npattern = \"a\"\nreplace = \"b\"\n"))
                .contains("unknown key 'replace'; keys of a rule: name, pattern, literal, ignore_case, replacement, accounts, clients");
        assertThat(error("[[redact]]\npattern = \"x*\"\n")).contains("matches empty text");
        assertThat(error("[[redact]]\nliteral = \"\"\n")).contains("the literal is empty");
        assertThat(error("[[redact]]\nliteral = \"a\"\nclients = [\"vim\"]\n")).contains("unknown client 'vim' in clients; use codex, claude, chat");
        assertThat(error("[[redact]]\nliteral = \"a\"\naccounts = \"one\"\n")).contains("'accounts' must be a list of strings");
        assertThat(error("redact = 3\n")).contains("'redact' must be a list of [[redact]] tables");
        assertThat(error("[redactions]\nx = 1\n")).contains("unknown section [redactions]").contains("[[redact]] tables");
    }

    private static String error(String toml) {
        try {
            ConfigLoader.parse(toml, "config.toml");
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("no error for:\n" + toml);
    }
}
