package io.codexrelay.store;

import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Usage chart "by client key": requests and tokens per client per hour, from request_log.client. */
class RequestLogUsageByClientTest {
    static final Instant T0 = Instant.parse("2026-03-10T00:00:00Z");
    @TempDir Path dir;

    private static FinishedRequest finished(long second, String account, String client, long in, long out) {
        return new FinishedRequest(T0.plusSeconds(second), account, "gpt-5", "/v1/responses", 200, 100L, 900, in, 0L,
                out, null, List.of(account + ":200"), null, "s", null, client);
    }

    @Test
    void bucketsSumEachClientPerHourAndRowsWithoutAClientAreUnknown() throws Exception {
        try (Database db = new Database(dir.resolve("relay.db"));
             RequestLog log = new RequestLog(db, RequestLogTest.cfg(30, 1000), new ManualClock(T0));
             RequestLogQuery q = new RequestLogQuery(db)) {
            log.append(finished(10, "A", "codex", 100, 10));
            log.append(finished(20, "B", "codex", 200, 20));        // same hour, other account: one codex bucket
            log.append(finished(30, "B", "claude-code", 1000, 50));
            log.append(finished(3600 + 5, "A", "codex", 1, 1));     // next hour
            log.append(new FinishedRequest(T0.plusSeconds(40), "A", "gpt-5", "/v1/responses", 200, 100L, 900, 7L, 0L, 1L,
                    null, List.of(), null, "s", null));              // made without a client
            log.append(finished(-10, "A", "codex", 5, 5));           // before `from`: not counted
            log.flush();

            assertThat(q.usageByClient(T0, Duration.ofHours(1))).containsExactly(
                    new RequestLogQuery.ClientBucket(T0, "(unknown)", 1, 7, 1),
                    new RequestLogQuery.ClientBucket(T0, "claude-code", 1, 1000, 50),
                    new RequestLogQuery.ClientBucket(T0, "codex", 2, 300, 30),
                    new RequestLogQuery.ClientBucket(T0.plusSeconds(3600), "codex", 1, 1, 1));
        }
    }
}
