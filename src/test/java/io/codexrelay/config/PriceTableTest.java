package io.codexrelay.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code [prices."NAME"]} in config.toml over the prices shipped in the jar. */
class PriceTableTest {

    @Test
    void theJarsDefaultsPriceTheCurrentModelsMostSpecificNameFirst() {
        PriceTable d = RelayConfig.defaults().prices();
        assertThat(d.priceOf("gpt-5")).isEqualTo(new PriceTable.Price(1.25, 0.125, 10.0));
        assertThat(d.priceOf("gpt-5-codex")).isEqualTo(new PriceTable.Price(1.25, 0.125, 10.0));
        assertThat(d.priceOf("gpt-5.1-codex-max")).isEqualTo(new PriceTable.Price(1.25, 0.125, 10.0));
        // "gpt-5*mini*" has more letters than "gpt-5*": the mini price wins
        assertThat(d.priceOf("gpt-5.1-codex-mini")).isEqualTo(new PriceTable.Price(0.25, 0.025, 2.0));
        assertThat(d.priceOf("gpt-5.2-codex")).isEqualTo(new PriceTable.Price(1.75, 0.175, 14.0));
        assertThat(d.priceOf("gpt-4.1-mini-2025-04-14")).isEqualTo(new PriceTable.Price(0.40, 0.10, 1.60));
        assertThat(d.priceOf("claude-sonnet-4")).isNull();
        assertThat(d.priceOf(null)).isNull();
    }

    @Test
    void theUsersTablesReplaceADefaultOfTheSameNameAndAddNewOnes() throws Exception {
        RelayConfig cfg = ConfigLoader.parse("""
                [server]
                port = 18000

                [prices."gpt-5*"]
                input = 2.0
                cached_input = 0.2
                output = 16.0

                [prices."claude-*"]
                input = 3.0
                output = 15.0

                [prices."my-model"]
                input = 0
                output = 0
                """, "config.toml");
        assertThat(cfg.server().port()).isEqualTo(18000);
        assertThat(cfg.prices().priceOf("gpt-5-codex")).isEqualTo(new PriceTable.Price(2.0, 0.2, 16.0));
        // a more specific default still wins over the user's broader name
        assertThat(cfg.prices().priceOf("gpt-5-mini")).isEqualTo(new PriceTable.Price(0.25, 0.025, 2.0));
        // cached_input left out: no cache discount
        assertThat(cfg.prices().priceOf("claude-sonnet-4")).isEqualTo(new PriceTable.Price(3.0, 3.0, 15.0));
        assertThat(cfg.prices().priceOf("my-model")).isEqualTo(new PriceTable.Price(0, 0, 0));
        assertThat(cfg.prices().priceOf("my-model-2")).isNull();   // a name without * is exact
        assertThat(cfg.prices().entries()).filteredOn(PriceTable.Entry::fromUser).extracting(PriceTable.Entry::pattern)
                .containsExactly("gpt-5*", "claude-*", "my-model");
        // Settings' changes keep the prices
        assertThat(cfg.with(java.util.Map.of("server.port", 18001L)).prices()).isEqualTo(cfg.prices());
    }

    @Test
    void aUserEntryWinsATieAgainstADefault() throws Exception {
        RelayConfig cfg = ConfigLoader.parse("""
                [prices."gpt-5*nano"]
                input = 9.0
                output = 9.0
                """, "config.toml");
        // "gpt-5*nano" and the default "gpt-5*nano*" have as many letters; the user's wins
        assertThat(cfg.prices().priceOf("gpt-5-nano")).isEqualTo(new PriceTable.Price(9.0, 9.0, 9.0));
    }

    @Test
    void theSettingsWindowsEditsKeepThePriceTables() throws Exception {
        String text = "[prices.\"gpt-5*\"]\ninput = 2.0\noutput = 16.0\n\n[pool]\nrouting = \"priority\"\n";
        String edited = ConfigFilePatcher.set(ConfigFilePatcher.set(text, "pool", "routing", "round-robin"), "ui", "notify_exhausted", false);
        RelayConfig cfg = ConfigLoader.parse(edited, "config.toml");
        assertThat(cfg.pool().routing()).isEqualTo("round-robin");
        assertThat(cfg.ui().notifyExhausted()).isFalse();
        assertThat(cfg.prices().priceOf("gpt-5")).isEqualTo(new PriceTable.Price(2.0, 2.0, 16.0));
    }

    @Test
    void mistakesNameTheLineAndSayWhatToWrite() {
        assertThatThrownBy(() -> ConfigLoader.parse("[prices.\"gpt-5*\"]\ninput = 1.0\n", "config.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("config.toml:1:").hasMessageContaining("needs 'output'");
        assertThatThrownBy(() -> ConfigLoader.parse("[prices.\"gpt-5*\"]\ninput = 1.0\noutput = 2.0\ncache = 0.1\n", "config.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("config.toml:4:").hasMessageContaining("unknown key 'cache'")
                .hasMessageContaining("input, cached_input and output");
        assertThatThrownBy(() -> ConfigLoader.parse("[prices.\"gpt-5*\"]\ninput = -1.0\noutput = 2.0\n", "config.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("config.toml:2:").hasMessageContaining("0 or more");
        assertThatThrownBy(() -> ConfigLoader.parse("[prices.\"gpt-5*\"]\ninput = \"cheap\"\noutput = 2.0\n", "config.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("must be a number of US dollars per million tokens");
        assertThatThrownBy(() -> ConfigLoader.parse("[prices]\ngpt5 = 1.0\n", "config.toml"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("must be a table");
    }
}
