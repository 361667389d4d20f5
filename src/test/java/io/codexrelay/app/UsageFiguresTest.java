package io.codexrelay.app;

import io.codexrelay.config.RelayHome;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;
import io.codexrelay.store.Database;
import io.codexrelay.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Since-reset, today and per-day figures with their API-price equivalent, from a real request log and a config.toml
 * whose [prices] override a default, with an injected clock (no daemon: the offline control answers).
 */
class UsageFiguresTest {
    static final Instant NOW = Instant.parse("2026-03-10T15:00:00Z");
    @TempDir Path dir;

    private ControlHandle home() throws Exception {
        Files.writeString(dir.resolve("config.toml"), """
                [prices."gpt-5*"]
                input = 2.0
                cached_input = 0.2
                output = 16.0
                """);
        try (Database db = new Database(dir.resolve("relay.db"))) {
            db.inTransaction(c -> {
                try (var ps = c.prepareStatement("INSERT INTO request_log(started_at_ms, account, model, path, status, duration_ms, "
                        + "input_tokens, cached_tokens, output_tokens) VALUES (?,?,?,'/v1/responses',200,100,?,?,?)")) {
                    row(ps, NOW.minus(Duration.ofHours(6)), "A", "gpt-5", 1_000_000, 0, 0);              // before the 5h window
                    row(ps, NOW.minus(Duration.ofHours(2)), "A", "gpt-5-codex", 1_000_000, 500_000, 100_000);
                    row(ps, NOW.minus(Duration.ofHours(1)), "A", "no-such-model", 10, 0, 0);             // counted, not priced
                    row(ps, Instant.parse("2026-03-09T20:00:00Z"), "B", "gpt-5-mini", 1_000_000, 0, 0); // yesterday; default price
                    row(ps, Instant.parse("2026-03-01T20:00:00Z"), "B", "gpt-5-mini", 1_000_000, 0, 0); // outside everything
                    return ps.executeBatch().length;
                }
            });
        }
        return Controls.open(new RelayHome(dir), new ManualClock(NOW), Duration.ZERO, Duration.ofSeconds(5));
    }

    private static void row(java.sql.PreparedStatement ps, Instant at, String account, String model, long in, long cached, long out)
            throws java.sql.SQLException {
        ps.setLong(1, at.toEpochMilli());
        ps.setString(2, account);
        ps.setString(3, model);
        ps.setLong(4, in);
        ps.setLong(5, cached);
        ps.setLong(6, out);
        ps.addBatch();
    }

    private static AccountStatus account(String name, QuotaWindow five, QuotaWindow week) {
        return new AccountStatus(name, "chatgpt", null, "plus", null, true, 100, 2, null, "ready", null, null, 0, false,
                new QuotaSnapshot(five, week, null, null, null, "plus", "headers", NOW));
    }

    @Test
    void sinceEachResetAndTodayArePricedPerModelWithTheConfiguredPrices() throws Exception {
        try (ControlHandle control = home()) {
            var figures = new UsageFigures(control, new ManualClock(NOW), ZoneOffset.UTC);
            assertThat(figures.prices().rates()).filteredOn(ApiPrices.Rate::fromUser).extracting(ApiPrices.Rate::pattern).containsExactly("gpt-5*");
            // the 5h window resets in 3 h: it began 2 h ago; the week resets in 6 days: it began a day ago
            var five = new QuotaWindow(40, 300, NOW.plus(Duration.ofHours(3)));
            var week = new QuotaWindow(10, 10080, NOW.plus(Duration.ofDays(6)));
            var f = figures.of(List.of(account("A", five, week), account("B", null, week))).toArray(UsageFigures.AccountFigures[]::new);

            assertThat(f[0].fiveHour().since()).isEqualTo(NOW.minus(Duration.ofHours(2)));
            assertThat(f[0].fiveHour().requests()).isEqualTo(2);
            assertThat(f[0].fiveHour().inputTokens()).isEqualTo(1_000_010);
            // 500k fresh * 2.0 + 500k cached * 0.2 + 100k out * 16.0 (config.toml's gpt-5*, not the default 1.25/0.125/10)
            assertThat(f[0].fiveHour().apiPriceUsd()).isEqualTo(2.70);
            assertThat(f[0].week().requests()).isEqualTo(3);
            assertThat(f[0].week().apiPriceUsd()).isEqualTo(4.70);
            assertThat(f[0].today().since()).isEqualTo(Instant.parse("2026-03-10T00:00:00Z"));
            assertThat(f[0].today().apiPriceUsd()).isEqualTo(4.70);

            assertThat(f[1].fiveHour()).as("no 5h window known").isNull();
            assertThat(f[1].week().requests()).isEqualTo(1);
            assertThat(f[1].week().apiPriceUsd()).isEqualTo(0.25);   // gpt-5-mini at the jar's price
            assertThat(f[1].today().requests()).isZero();
            assertThat(f[1].today().apiPriceUsd()).isNull();

            var days = figures.perDay(2);
            assertThat(days).extracting(d -> d.date() + " " + d.account() + " " + d.usage().requests() + " " + d.usage().apiPriceUsd())
                    .containsExactly("2026-03-10 A 3 4.7", "2026-03-09 B 1 0.25");
            assertThat(days.get(1).date()).isEqualTo(LocalDate.parse("2026-03-09"));
            assertThat(UsageFigures.describe(f[0].fiveHour())).isEqualTo("2 requests, 1100010 tokens (≈ $2.70 at API prices)");
        }
    }

    @Test
    void anOlderDaemonWithoutPricesGetsTheJarsDefaults() throws Exception {
        ControlApi none = (ControlApi) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ControlApi.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("apiPrices")) throw new ControlException("404 from an older daemon");
                    if (m.getName().equals("requestUsage")) return List.of(new LogQuery.UsageBucket(NOW, "A", 1, 1_000_000, 0, 0, 0, "gpt-5"));
                    throw new UnsupportedOperationException(m.getName());
                });
        var figures = new UsageFigures(none, new ManualClock(NOW), ZoneOffset.UTC);
        assertThat(figures.since("A", NOW.minusSeconds(60)).apiPriceUsd()).isEqualTo(1.25);
    }
}
