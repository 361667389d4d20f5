package io.codexrelay.pool;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.store.Database;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.ManualClock;
import io.codexrelay.testing.TestAccounts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;

class UsageHistoryTest {
    @TempDir Path dir;

    @Test
    void countsRequestsAndTokensPerAccountPerHour() throws Exception {
        ManualClock clock = new ManualClock(java.time.Instant.ofEpochSecond(1_800_000_000L));
        try (Database db = new Database(dir.resolve("relay.db")); EventBus bus = new EventBus()) {
            Account a = new AccountRepository(db, clock).insert(TestAccounts.chatgpt("a", 1, "t", "r", "acct"));
            UsageHistory history = new UsageHistory(db, Runnable::run);
            history.subscribe(bus, name -> name.equals("a") ? OptionalLong.of(a.id()) : OptionalLong.empty());

            Instant h0 = Instant.parse("2027-01-15T10:05:00Z");
            bus.publish(finished(h0, "a", 200, 100L, 40L, 10L, 2L, null));
            bus.publish(finished(h0.plus(Duration.ofMinutes(50)), "a", 200, 50L, null, 5L, null, null));
            bus.publish(finished(h0.plus(Duration.ofMinutes(56)), "a", 429, null, null, null, null, "quota"));
            bus.publish(finished(h0, "unknown-account", 200, 1L, 1L, 1L, 1L, null));
            bus.publish(finished(h0, null, 503, null, null, null, null, "transient"));
            bus.drain();

            List<UsageHistory.Hour> hours = history.history(a.id(), h0.minus(Duration.ofDays(1)));
            assertThat(hours).hasSize(2);
            UsageHistory.Hour first = hours.get(0);
            assertThat(first.hourStart()).isEqualTo(Instant.parse("2027-01-15T10:00:00Z"));
            assertThat(first.requests()).isEqualTo(2);
            assertThat(first.failed()).isZero();
            assertThat(first.inputTokens()).isEqualTo(150);
            assertThat(first.cachedTokens()).isEqualTo(40);
            assertThat(first.outputTokens()).isEqualTo(15);
            assertThat(first.reasoningTokens()).isEqualTo(2);
            assertThat(first.totalTokens()).isEqualTo(165);
            assertThat(hours.get(1).requests()).isEqualTo(1);
            assertThat(hours.get(1).failed()).isEqualTo(1);

            assertThat(history.prune(h0.plus(Duration.ofDays(40)), Duration.ofDays(30))).isEqualTo(2);
            assertThat(history.history(a.id(), h0.minus(Duration.ofDays(1)))).isEmpty();
        }
    }

    @Test
    void countsGatheredDuringTheLingerAreWrittenTogetherAndNoneIsLost() throws Exception {
        ManualClock clock = new ManualClock(java.time.Instant.ofEpochSecond(1_800_000_000L));
        var delay = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        try (Database db = new Database(dir.resolve("relay.db"))) {
            Account a = new AccountRepository(db, clock).insert(TestAccounts.chatgpt("a", 1, "t", "r", "acct"));
            Account b = new AccountRepository(db, clock).insert(TestAccounts.chatgpt("b", 2, "t2", "r2", "acct2"));
            // A linger far longer than the test: only flushSoon (what shutdown calls) writes.
            UsageHistory history = new UsageHistory(db, Runnable::run, delay, Duration.ofHours(1));
            Instant h0 = Instant.parse("2027-01-15T10:05:00Z");
            history.record(a.id(), h0, false, 10L, null, 1L, null);
            history.record(a.id(), h0.plusSeconds(60), true, 5L, 2L, 3L, 1L);
            history.record(b.id(), h0, false, 7L, null, null, null);
            assertThat(history.history(a.id(), h0.minus(Duration.ofDays(1)))).isEmpty();

            history.flushSoon();
            List<UsageHistory.Hour> hours = history.history(a.id(), h0.minus(Duration.ofDays(1)));
            assertThat(hours).hasSize(1);
            assertThat(hours.get(0).requests()).isEqualTo(2);
            assertThat(hours.get(0).failed()).isEqualTo(1);
            assertThat(hours.get(0).inputTokens()).isEqualTo(15);
            assertThat(hours.get(0).outputTokens()).isEqualTo(4);
            assertThat(history.history(b.id(), h0.minus(Duration.ofDays(1)))).singleElement()
                    .satisfies(h -> assertThat(h.inputTokens()).isEqualTo(7));

            // Later counts add to the stored row.
            history.record(a.id(), h0.plusSeconds(120), false, 1L, null, 1L, null);
            history.flushSoon();
            assertThat(history.history(a.id(), h0.minus(Duration.ofDays(1)))).singleElement()
                    .satisfies(h -> assertThat(h.requests()).isEqualTo(3));
        } finally {
            delay.shutdownNow();
        }
    }

    static RelayEvent.RequestFinished finished(Instant at, String account, int status, Long in, Long cached, Long out,
                                               Long reasoning, String failure) {
        return new RelayEvent.RequestFinished(new FinishedRequest(at, account, "gpt-5", "/v1/responses", status, 10L, 20,
                in, cached, out, reasoning, List.of(), failure, "sess", null));
    }
}
