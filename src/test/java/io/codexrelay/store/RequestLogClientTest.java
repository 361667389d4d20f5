package io.codexrelay.store;

import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The request log's client column (schema V6): written from the finished request, filtered, searched and summed. */
class RequestLogClientTest {
    static final Instant T0 = Instant.parse("2026-03-10T00:00:00Z");
    @TempDir Path dir;

    private static FinishedRequest finished(int second, String account, int status, String client) {
        return new FinishedRequest(T0.plusSeconds(second), account, "gpt-5", "/v1/responses", status, 100L, 900, 1000L, 0L,
                50L, null, List.of(account + ":" + status), null, "s", null, client);
    }

    @Test
    void eachRowKeepsItsClientAndTheLogIsFilteredSearchedAndSummedByIt() throws Exception {
        try (Database db = new Database(dir.resolve("relay.db"));
             RequestLog log = new RequestLog(db, RequestLogTest.cfg(30, 1000), new ManualClock(T0));
             RequestLogQuery q = new RequestLogQuery(db)) {
            log.append(finished(1, "A", 200, "codex"));
            log.append(finished(2, "B", 200, "run:4242 codex"));
            log.append(finished(3, "B", 429, "run:4242 codex"));
            log.append(finished(4, "A", 200, "claude-code"));
            log.append(new FinishedRequest(T0.plusSeconds(5), "A", "gpt-5", "/v1/responses", 200, 100L, 900, 7L, 0L, 1L,
                    null, List.of(), null, "s", null));   // made without a client
            log.flush();

            assertThat(q.page(RequestLogQuery.Filter.ALL, 0, 10)).extracting(RequestRecord::client)
                    .containsExactly(null, "claude-code", "run:4242 codex", "run:4242 codex", "codex");
            var run = new RequestLogQuery.Filter(null, RequestLogQuery.StatusClass.ALL, null, null, "run:4242 codex");
            assertThat(q.page(run, 0, 10)).extracting(RequestRecord::startedAt).containsExactly(T0.plusSeconds(3), T0.plusSeconds(2));
            assertThat(q.count(run)).isEqualTo(2);
            assertThat(run.withMaxId(2L).client()).isEqualTo("run:4242 codex");
            assertThat(q.count(run.withMaxId(2L))).isEqualTo(1);
            // the log window's search box finds a client too, and the Java filter agrees with the SQL
            var search = new RequestLogQuery.Filter(null, RequestLogQuery.StatusClass.ALL, "CLAUDE-code", null);
            assertThat(q.page(search, 0, 10)).extracting(RequestRecord::client).containsExactly("claude-code");
            List<RequestRecord> all = q.page(RequestLogQuery.Filter.ALL, 0, 10);
            assertThat(all.stream().filter(run::matches).count()).isEqualTo(2);
            assertThat(all.stream().filter(search::matches).count()).isEqualTo(1);

            assertThat(q.clients(T0.plusSeconds(2))).containsExactly(
                    new RequestLogQuery.ClientCount("run:4242 codex", 2, 1, 2000, 100),
                    new RequestLogQuery.ClientCount("(unknown)", 1, 0, 7, 1),
                    new RequestLogQuery.ClientCount("claude-code", 1, 0, 1000, 50));
        }
    }
}
