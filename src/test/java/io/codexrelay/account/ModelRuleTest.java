package io.codexrelay.account;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelRuleTest {
    @Test
    void globsMatchWholeNamesAndTheFirstMatchingRuleWins() {
        List<ModelRule> rules = List.of(ModelRule.parse("gpt-5*=deepseek-chat"), ModelRule.parse("gpt-?=small"), ModelRule.parse("*=fallback"));
        assertThat(ModelRule.apply(rules, "gpt-5-codex")).isEqualTo("deepseek-chat");
        assertThat(ModelRule.apply(rules, "gpt-4")).isEqualTo("small");
        assertThat(ModelRule.apply(rules, "o3")).isEqualTo("fallback");
        assertThat(ModelRule.parse("a.b*=x").matches("aXb-1")).as("dots are literal").isFalse();
        assertThat(ModelRule.parse("a.b*=x").matches("a.b-1")).isTrue();
    }

    @Test
    void anAccountWithRulesServesOnlyMatchingModels() {
        assertThat(ModelRule.serves(List.of(), "anything")).isTrue();
        assertThat(ModelRule.serves(List.of(ModelRule.parse("gpt-5*=d")), "gpt-5")).isTrue();
        assertThat(ModelRule.serves(List.of(ModelRule.parse("gpt-5*=d")), "o3")).isFalse();
    }

    @Test
    void malformedRulesSayWhatToWrite() {
        assertThatThrownBy(() -> ModelRule.parse("gpt-5")).hasMessageContaining("PATTERN=MODEL");
        assertThatThrownBy(() -> ModelRule.parse("gpt-5=")).hasMessageContaining("PATTERN=MODEL");
        assertThatThrownBy(() -> ModelRule.parse("=x")).hasMessageContaining("PATTERN=MODEL");
    }
}
