package io.codexrelay.store;

import io.codexrelay.store.RequestLogQuery.Filter;
import io.codexrelay.store.RequestLogQuery.StatusClass;
import io.codexrelay.testing.RequestLogRows;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RequestLogQueryTest {
    static final Instant T0 = RequestLogRows.T0;
    static void fill(Database db, int n) throws StoreException { RequestLogRows.fill(db, n); }

    @TempDir Path dir;
    Database db;
    RequestLogQuery q;

    @BeforeEach
    void open() throws Exception {
        db = new Database(dir.resolve("relay.db"));
        q = new RequestLogQuery(db);
    }

    @AfterEach
    void close() {
        q.close();
        db.close();
    }

    @Test
    void pagesThroughAHundredThousandRowsNewestFirst() throws Exception {
        fill(db, 100_000);
        assertThat(q.count(Filter.ALL)).isEqualTo(100_000);
        assertThat(q.maxId()).isEqualTo(100_000);
        List<RequestRecord> first = q.page(Filter.ALL, 0, 200);
        assertThat(first).hasSize(200);
        assertThat(first.get(0).id()).isEqualTo(100_000);
        assertThat(first.get(199).id()).isEqualTo(99_801);
        List<RequestRecord> last = q.page(Filter.ALL, 99_900, 200);
        assertThat(last).hasSize(100);
        assertThat(last.get(99).id()).isEqualTo(1);
        RequestRecord r = first.get(0);
        assertThat(r.account()).isEqualTo("ABC".substring(100_000 % 3, 100_000 % 3 + 1));
        assertThat(r.failoverChain()).containsExactly("X:429 usage_limit_reached", r.account() + ":200");
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.error()).isEqualTo("bad gateway from upstream");
        assertThat(r.inputTokens()).isEqualTo(1000);
        assertThat(q.page(Filter.ALL, 0, 10).stream().filter(x -> x.id() == 99_995).findFirst().orElseThrow().reasoningTokens()).isNull();
    }

    @Test
    void filtersByAccountOutcomeAndTextLikeTheJavaMatcher() throws Exception {
        fill(db, 3000);
        var all = q.page(Filter.ALL, 0, 3000);
        for (Filter f : List.of(new Filter("A", StatusClass.ALL, null, null), new Filter(null, StatusClass.RATE_LIMITED, null, null),
                new Filter(null, StatusClass.SERVER_ERROR, null, null), new Filter(null, StatusClass.FAILED_OVER, null, null),
                new Filter(null, StatusClass.OK, "CODEX", null), new Filter("B", StatusClass.ALL, "bad gateway", null),
                new Filter(null, StatusClass.CLIENT_ERROR, null, null), new Filter(null, StatusClass.ALL, "sess-42", 2000L),
                new Filter(null, StatusClass.ALL, "50%_", null))) {
            var expected = all.stream().filter(f::matches).map(RequestRecord::id).toList();
            assertThat(q.count(f)).as("%s", f).isEqualTo(expected.size());
            assertThat(q.page(f, 0, 5000)).extracting(RequestRecord::id).as("%s", f).isEqualTo(expected);
        }
        assertThat(q.count(new Filter(null, StatusClass.FAILED_OVER, null, null))).isEqualTo(120);
        assertThat(q.count(new Filter(null, StatusClass.RATE_LIMITED, null, null))).isEqualTo(240);
        assertThat(q.count(new Filter(null, StatusClass.ALL, null, 1000L))).isEqualTo(1000);
    }

    @Test
    void usageSumsPerAccountPerHour() throws Exception {
        fill(db, 3600); // 10 h of rows, one every 10 s
        var buckets = q.usage(T0.plus(Duration.ofHours(2)), Duration.ofHours(1));
        assertThat(buckets).allSatisfy(b -> assertThat(b.start()).isAfterOrEqualTo(T0.plus(Duration.ofHours(2))));
        var hour3A = buckets.stream().filter(b -> b.start().equals(T0.plus(Duration.ofHours(3))) && b.account().equals("A")).findFirst().orElseThrow();
        assertThat(hour3A.requests()).isEqualTo(120);
        assertThat(hour3A.inputTokens()).isEqualTo(120_000);
        assertThat(hour3A.outputTokens()).isEqualTo(6000);
        assertThat(hour3A.totalTokens()).isEqualTo(126_000);
        // Rows from 02:00:00 on: i = 720 .. 3600.
        assertThat(buckets.stream().mapToLong(RequestLogQuery.UsageBucket::requests).sum()).isEqualTo(3600 - 720 + 1);
    }

    @Test
    void usageByModelKeepsEachModelsSumsApart() throws Exception {
        fill(db, 3600); // every other row gpt-5-codex, the others gpt-5
        var perAccount = q.usage(T0.plus(Duration.ofHours(3)), Duration.ofHours(1));
        var byModel = q.usageByModel(T0.plus(Duration.ofHours(3)), Duration.ofHours(1));
        var hour3A = byModel.stream().filter(b -> b.start().equals(T0.plus(Duration.ofHours(3))) && b.account().equals("A")).toList();
        assertThat(hour3A).extracting(RequestLogQuery.UsageBucket::model).containsExactly("gpt-5", "gpt-5-codex");
        assertThat(hour3A).extracting(RequestLogQuery.UsageBucket::requests).containsExactly(60L, 60L);
        assertThat(hour3A.stream().mapToLong(RequestLogQuery.UsageBucket::inputTokens).sum()).isEqualTo(120_000);
        assertThat(perAccount).allSatisfy(b -> assertThat(b.model()).isNull());
        // the same rows, only split
        assertThat(byModel.stream().mapToLong(RequestLogQuery.UsageBucket::requests).sum())
                .isEqualTo(perAccount.stream().mapToLong(RequestLogQuery.UsageBucket::requests).sum());
    }

    @Test
    void chainColumnAcceptsJsonOrLines() {
        assertThat(RequestLogQuery.chain("[\"A:429\",\"B:200\"]")).containsExactly("A:429", "B:200");
        assertThat(RequestLogQuery.chain("A:429\nB:200\n")).containsExactly("A:429", "B:200");
        assertThat(RequestLogQuery.chain(null)).isEmpty();
    }
}
