package io.codexrelay.store;

import io.codexrelay.config.RelayConfig;
import io.codexrelay.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RequestLogTest {
    static final Instant T0 = Instant.parse("2030-01-01T10:00:00Z");
    @TempDir Path dir;
    Database db;
    ManualClock clock = new ManualClock(T0);

    @BeforeEach
    void setUp() throws Exception {
        db = new Database(dir.resolve("relay.db"));
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    static RequestRecord rec(Instant at, String account, int status) {
        return new RequestRecord(0, at, account, "gpt-5", "/v1/responses", status, 120L, 900L, 12L, 2L, 3L, 1L,
                List.of("A:429 usage_limit_reached", account + ":" + status), "quota", "sess-1", null);
    }

    static RelayConfig.Log cfg(long days, long rows) {
        return RelayConfig.fromValues(Map.of("log.retention_days", days, "log.max_rows", rows)).log();
    }

    @Test
    void appendedRecordsAreWrittenAndReadBackNewestFirst() throws Exception {
        try (RequestLog log = new RequestLog(db, cfg(30, 1000), clock)) {
            for (int i = 0; i < 25; i++) log.append(rec(T0.plusSeconds(i), "acct" + i, 200));
            List<RequestRecord> newest = log.newest(3);
            assertThat(newest).extracting(RequestRecord::account).containsExactly("acct24", "acct23", "acct22");
            RequestRecord r = newest.get(0);
            assertThat(r.id()).isPositive();
            assertThat(r.startedAt()).isEqualTo(T0.plusSeconds(24));
            assertThat(r.failoverChain()).containsExactly("A:429 usage_limit_reached", "acct24:200");
            assertThat(r.ttfbMs()).isEqualTo(120L);
            assertThat(r.inputTokens()).isEqualTo(12L);
            assertThat(r.cachedTokens()).isEqualTo(2L);
            assertThat(r.outputTokens()).isEqualTo(3L);
            assertThat(r.reasoningTokens()).isEqualTo(1L);
            assertThat(r.failureClass()).isEqualTo("quota");
            assertThat(r.sessionId()).isEqualTo("sess-1");
            assertThat(r.model()).isEqualTo("gpt-5");
        }
    }

    @Test
    void hostileModelIsBoundedAndCannotReachTheTerminalAsControlCodes() throws Exception {
        String forged = "gpt-5\u001b[2J\u001b]0;owned\u0007\r\n2030-01-01 10:00 acct0 gpt-5 200 fake line\u202e" + "x".repeat(10_000);
        try (RequestLog log = new RequestLog(db, cfg(30, 1000), clock)) {
            log.append(new RequestRecord(0, T0, "acct\u001b[31m", forged, "/v1/responses\n", 200, 1L, 2, null, null, null,
                    null, List.of("A:\u009b200"), null, null, "bad\r\nthing"));
            RequestRecord r = log.newest(1).get(0);
            assertThat(r.model()).startsWith("gpt-5\\u001b[2J\\u001b]0;owned\\u0007\\u000d\\u000a2030")
                    .hasSizeLessThanOrEqualTo(LogText.MODEL_MAX + 1).endsWith("…");
            for (String field : List.of(r.model(), r.account(), r.path(), r.failoverChain().get(0))) {
                assertThat(field.codePoints().filter(LogText::unsafe).count()).as(field).isZero();
            }
            assertThat(r.account()).isEqualTo("acct\\u001b[31m");
            // The error keeps its line feed (the log window shows its lines); CR, which rewrites a terminal line, does not.
            assertThat(r.error()).isEqualTo("bad\\u000d\nthing");
            // What `logs tail` prints on one row: the line feed made visible too.
            assertThat(LogText.clean(r.error(), LogText.ERROR_MAX)).isEqualTo("bad\\u000d\\u000athing");
        }
        // What is stored is already clean, not only what is read back.
        try (var c = db.openExtraConnection(); var rs = c.createStatement().executeQuery("SELECT model FROM request_log")) {
            assertThat(rs.next()).isTrue();
            String stored = rs.getString(1);
            assertThat(stored).hasSizeLessThanOrEqualTo(LogText.MODEL_MAX + 1).doesNotContain("\u001b").doesNotContain("\n");
        }
    }

    @Test
    void rowsStoredRawBeforeTheRuleAreCleanedWhenRead() throws Exception {
        try (var c = db.openExtraConnection(); var ps = c.prepareStatement("INSERT INTO request_log (started_at_ms, account, model, path, "
                + "status, duration_ms, failover_chain) VALUES (?, 'a', ?, '/v1/responses', 200, 5, '[]')")) {
            ps.setLong(1, T0.toEpochMilli());
            ps.setString(2, "m\u001b[1A\r" + "y".repeat(500));
            ps.executeUpdate();
        }
        try (RequestLog log = new RequestLog(db, cfg(30, 1000), clock)) {
            String model = log.newest(1).get(0).model();
            assertThat(model).startsWith("m\\u001b[1A\\u000d").hasSizeLessThanOrEqualTo(LogText.MODEL_MAX + 1);
        }
    }

    @Test
    void nullTokensStayNull() throws Exception {
        try (RequestLog log = new RequestLog(db, cfg(30, 1000), clock)) {
            log.append(new RequestRecord(0, T0, null, null, "/v1/responses", 429, null, 3, null, null, null, null,
                    List.of(), null, null, "no account can serve"));
            RequestRecord r = log.newest(1).get(0);
            assertThat(r.ttfbMs()).isNull();
            assertThat(r.inputTokens()).isNull();
            assertThat(r.account()).isNull();
            assertThat(r.failoverChain()).isEmpty();
            assertThat(r.error()).isEqualTo("no account can serve");
        }
    }

    @Test
    void closeFlushesEverythingQueued() throws Exception {
        RequestLog log = new RequestLog(db, cfg(30, 100_000), clock);
        for (int i = 0; i < 2000; i++) log.append(rec(T0, "A", 200));
        log.close();
        int rows = db.withConnection(c -> {
            try (var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM request_log")) {
                rs.next();
                return rs.getInt(1);
            }
        });
        assertThat(rows).isEqualTo(2000);
        log.append(rec(T0, "late", 200)); // after close: dropped, no exception
        assertThat(log.dropped()).isEqualTo(1);
    }

    @Test
    void retentionByDays() throws Exception {
        try (RequestLog log = new RequestLog(db, cfg(7, 1000), clock)) {
            log.append(rec(T0.minus(Duration.ofDays(10)), "old", 200));
            log.append(rec(T0.minus(Duration.ofDays(8)), "old2", 200));
            log.append(rec(T0.minus(Duration.ofDays(6)), "recent", 200));
            log.append(rec(T0, "now", 200));
            log.pruneNow();
            assertThat(log.newest(10)).extracting(RequestRecord::account).containsExactly("now", "recent");
        }
    }

    @Test
    void retentionByRowsKeepsTheNewest() throws Exception {
        try (RequestLog log = new RequestLog(db, cfg(30, 10), clock)) {
            for (int i = 0; i < 25; i++) log.append(rec(T0, "r" + i, 200));
            log.pruneNow();
            List<RequestRecord> all = log.newest(100);
            assertThat(all).hasSize(10);
            assertThat(all.get(0).account()).isEqualTo("r24");
            assertThat(all.get(9).account()).isEqualTo("r15");
        }
    }

    @Test
    void retentionRunsByItselfAfterEnoughRows() throws Exception {
        try (RequestLog log = new RequestLog(db, cfg(30, 50), clock)) {
            for (int i = 0; i < 1100; i++) log.append(rec(T0, "r" + i, 200));
            log.flush();
            log.flush(); // the prune runs after the batch that crossed the threshold
            // Pruned without being asked: at most max_rows plus what came after the last automatic prune.
            assertThat(log.newest(2000).size()).isLessThan(1100).isLessThanOrEqualTo(50 + 1000);
        }
    }

    @Test
    void retentionSettingsApplyLive() throws Exception {
        try (RequestLog log = new RequestLog(db, cfg(30, 1000), clock)) {
            for (int i = 0; i < 20; i++) log.append(rec(T0, "r" + i, 200));
            log.applyConfig(cfg(30, 5));
            log.pruneNow();
            assertThat(log.newest(100)).hasSize(5);
        }
    }

    /**
     * The prune runs every thousand rows while requests stream, so none of its statements may walk the table: each
     * step of each plan must be a SEARCH (of the time index or the row numbers), never a SCAN.
     */
    @Test
    void pruningSearchesAnIndexAndNeverWalksTheTable() throws Exception {
        try (RequestLog log = new RequestLog(db, cfg(30, 1000), clock)) {
            for (int i = 0; i < 50; i++) log.append(rec(T0, "r" + i, 200));
            log.flush();
        }
        for (String sql : List.of(RequestLog.DELETE_OLDER, RequestLog.NEWEST_ID, RequestLog.DELETE_UP_TO)) {
            List<String> plan = db.withConnection(c -> {
                List<String> lines = new java.util.ArrayList<>();
                try (var ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
                    if (sql.contains("?")) ps.setLong(1, 10);
                    try (var rs = ps.executeQuery()) {
                        while (rs.next()) lines.add(rs.getString("detail"));
                    }
                }
                return lines;
            });
            assertThat(plan).as("plan of %s", sql).isNotEmpty().allMatch(l -> l.startsWith("SEARCH"));
        }
    }

    @Test
    void retentionByRowsKeepsTheNewestWhenRowsAreMissingInBetween() throws Exception {
        try (RequestLog log = new RequestLog(db, cfg(30, 10), clock)) {
            for (int i = 0; i < 30; i++) log.append(rec(T0, "r" + i, 200));
            log.flush();
            // rows missing among the newest (a hand-edited database, say): fewer than max_rows may stay, never more,
            // and the newest always do
            db.withConnection(c -> c.createStatement().executeUpdate("DELETE FROM request_log WHERE account IN ('r25', 'r26')"));
            log.pruneNow();
            assertThat(log.newest(100)).extracting(RequestRecord::account)
                    .containsExactly("r29", "r28", "r27", "r24", "r23", "r22", "r21", "r20");
            for (int i = 30; i < 35; i++) log.append(rec(T0, "r" + i, 200));
            log.pruneNow(); // the missing two are still among the ten newest numbers
            assertThat(log.newest(100)).extracting(RequestRecord::account)
                    .containsExactly("r34", "r33", "r32", "r31", "r30", "r29", "r28", "r27");
            log.append(rec(T0, "r35", 200));
            log.append(rec(T0, "r36", 200));
            log.pruneNow(); // and now they are not: ten again
            assertThat(log.newest(100)).extracting(RequestRecord::account)
                    .containsExactly("r36", "r35", "r34", "r33", "r32", "r31", "r30", "r29", "r28", "r27");
        }
    }
}
