package io.codexrelay.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.store.Database;
import io.codexrelay.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code status} prints what each account used today at API prices, with config.toml's [prices] over the defaults. */
class StatusFiguresTest {
    @TempDir Path tmp;

    @Test
    void statusPricesTodaysUsageWithTheConfiguredPrices() throws Exception {
        Path relay = Files.createDirectories(tmp.resolve("relay"));
        Cli cli = new Cli(relay);
        assertThat(cli.run("accounts", "add-key", "--name", "A", "--key", "sk-test-0123456789abcdefAAAA").exit()).isZero();
        try (Database db = new Database(relay.resolve("relay.db"))) {
            db.inTransaction(c -> {
                try (var ps = c.prepareStatement("INSERT INTO request_log(started_at_ms, account, model, path, status, duration_ms, "
                        + "input_tokens, cached_tokens, output_tokens) VALUES (?, 'A', ?, '/v1/responses', 200, 100, ?, 0, ?)")) {
                    long now = Instant.now().toEpochMilli();
                    ps.setLong(1, now); ps.setString(2, "gpt-5-codex"); ps.setLong(3, 1_000_000); ps.setLong(4, 100_000); ps.addBatch();
                    ps.setLong(1, now); ps.setString(2, "local-llama"); ps.setLong(3, 10); ps.setLong(4, 10); ps.addBatch();
                    return ps.executeBatch().length;
                }
            });
        }
        // the jar's price: 1M * 1.25 + 100k * 10 = 2.25
        Cli.Result plain = cli.run("status");
        assertThat(plain.exit()).as(plain.toString()).isZero();
        assertThat(plain.out()).contains("A: Today: 2 requests, 1100020 tokens (≈ $2.25 at API prices).");

        Files.writeString(relay.resolve("config.toml"), "[prices.\"gpt-5*\"]\ninput = 2.0\noutput = 20.0\n");
        Cli.Result json = cli.run("status", "--json");
        assertThat(json.exit()).as(json.toString()).isZero();
        JsonNode today = new ObjectMapper().readTree(json.out()).path("ahead").path("A").path("today");
        assertThat(today.path("requests").asLong()).isEqualTo(2);
        assertThat(today.path("apiPriceUsd").asDouble()).isEqualTo(4.0);   // 1M * 2.0 + 100k * 20.0
        assertThat(new ObjectMapper().readTree(json.out()).path("ahead").path("A").path("sinceReset").isNull()).isTrue();
        JsonNode days = new ObjectMapper().readTree(json.out()).path("ahead").path("A").path("days");
        assertThat(days.size()).isEqualTo(1);
        assertThat(days.get(0).path("date").asText()).isEqualTo(java.time.LocalDate.now().toString());
        assertThat(days.get(0).path("apiPriceUsd").asDouble()).isEqualTo(4.0);
    }
}
