package io.codexrelay.ui;

import io.codexrelay.store.Database;
import io.codexrelay.store.RequestLogQuery;
import io.codexrelay.app.LogQuery;
import io.codexrelay.app.LogQuery.Filter;
import io.codexrelay.app.LogQuery.StatusClass;
import io.codexrelay.app.RequestView;
import io.codexrelay.testing.RequestLogRows;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.swing.SwingUtilities;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The log table over 100 000 real SQLite rows: paging, no work on the EDT, filters and the live tail. */
class RequestLogTableModelTest {
    @TempDir Path dir;
    Database db;
    RequestLogQuery query;
    RequestLogTableModel model;
    final AtomicInteger pageCalls = new AtomicInteger();
    final Set<String> callerThreads = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void setUp() throws Exception {
        db = new Database(dir.resolve("relay.db"));
        RequestLogRows.fill(db, 100_000);
        query = new RequestLogQuery(db);
        model = new RequestLogTableModel(new RequestLogTableModel.Source() {
            @Override public List<RequestView> page(Filter f, long offset, int limit) throws Exception {
                pageCalls.incrementAndGet();
                callerThreads.add(Thread.currentThread().getName());
                return query.page(LogQuery.toStore(f), offset, limit).stream().map(LogQuery::view).toList();
            }
            @Override public long count(Filter f) throws Exception {
                callerThreads.add(Thread.currentThread().getName());
                return query.count(LogQuery.toStore(f));
            }
        }, ZoneOffset.UTC);
    }

    @AfterEach
    void tearDown() {
        model.close();
        query.close();
        db.close();
    }

    private <T> T onEdt(java.util.function.Supplier<T> s) throws Exception {
        AtomicReference<T> out = new AtomicReference<>();
        SwingUtilities.invokeAndWait(() -> out.set(s.get()));
        return out.get();
    }

    @Test
    void showsAHundredThousandRowsLoadingOnlyThePagesLookedAt() throws Exception {
        SwingUtilities.invokeAndWait(model::reload);
        model.awaitIdle();
        assertThat(onEdt(model::getRowCount)).isEqualTo(100_000);
        assertThat(onEdt(() -> model.recordAt(0)).id()).isEqualTo(100_000);
        assertThat(onEdt(() -> model.getValueAt(0, 0))).isEqualTo("Mar 21 13:46:40");
        int callsAfterReload = pageCalls.get();

        // The last row: a placeholder at once, then the row after its page arrives.
        assertThat(onEdt(() -> model.getValueAt(99_999, 0))).isEqualTo("…");
        assertThat(onEdt(() -> model.recordAt(99_999))).isNull();
        model.awaitIdle();
        assertThat(onEdt(() -> model.recordAt(99_999)).id()).isEqualTo(1);
        assertThat(pageCalls.get()).isEqualTo(callsAfterReload + 1);

        // Scroll through the middle: one load per page, however many cells ask.
        SwingUtilities.invokeAndWait(() -> {
            for (int row = 50_000; row < 50_000 + 3 * RequestLogTableModel.PAGE; row++)
                for (int c = 0; c < model.getColumnCount(); c++) model.getValueAt(row, c);
        });
        model.awaitIdle();
        assertThat(pageCalls.get()).isEqualTo(callsAfterReload + 1 + 3);
        assertThat(onEdt(() -> model.recordAt(50_000)).id()).isEqualTo(50_000);
        // The store is only ever asked from the loader thread, never from the EDT.
        assertThat(callerThreads).containsOnly("log-loader");
    }

    @Test
    void cacheStaysBounded() throws Exception {
        SwingUtilities.invokeAndWait(model::reload);
        model.awaitIdle();
        for (int p = 0; p < RequestLogTableModel.MAX_PAGES * 2; p++) {
            int row = p * RequestLogTableModel.PAGE * 4;
            if (row >= 100_000) break;
            SwingUtilities.invokeAndWait(() -> model.recordAt(row));
            model.awaitIdle();
        }
        assertThat(onEdt(model::cachedPages)).isLessThanOrEqualTo(RequestLogTableModel.MAX_PAGES);
    }

    @Test
    void filterNarrowsTheRows() throws Exception {
        SwingUtilities.invokeAndWait(() -> model.setFilter(new Filter("B", StatusClass.RATE_LIMITED, null, null)));
        model.awaitIdle();
        long expected = query.count(LogQuery.toStore(new Filter("B", StatusClass.RATE_LIMITED, null, null)));
        assertThat(expected).isGreaterThan(1000);
        assertThat(onEdt(model::getRowCount)).isEqualTo((int) expected);
        assertThat(onEdt(() -> model.getValueAt(0, 1))).isEqualTo("B");
        assertThat((String) onEdt(() -> model.getValueAt(0, 3))).isEqualTo("429 · rate_limited");
    }

    @Test
    void pausedTailCountsNewRowsLiveTailShowsThem() throws Exception {
        SwingUtilities.invokeAndWait(model::reload);
        model.awaitIdle();
        SwingUtilities.invokeAndWait(() -> model.setLive(false));
        RequestLogRows.fill(db, 5);  // ids 100001..100005
        SwingUtilities.invokeAndWait(model::newRowsArrived);
        model.awaitIdle();
        assertThat(onEdt(model::pendingNew)).isEqualTo(5);
        assertThat(onEdt(model::getRowCount)).isEqualTo(100_000);
        assertThat(onEdt(() -> model.recordAt(0)).id()).isEqualTo(100_000);

        SwingUtilities.invokeAndWait(() -> model.setLive(true));
        model.awaitIdle();
        assertThat(onEdt(model::getRowCount)).isEqualTo(100_005);
        assertThat(onEdt(() -> model.recordAt(0)).id()).isEqualTo(100_005);
        assertThat(onEdt(model::pendingNew)).isZero();
    }

    @Test
    void cellsReadWell() {
        var r = new RequestView(7, RequestLogRows.T0, "A", "gpt-5", "/v1/responses", 200, 850L, 12_300L, 12_000L, 0L,
                1_500L, null, List.of("B:429 usage_limit_reached", "A:200"), null, "s", null);
        assertThat(model.cell(r, RequestLogTableModel.Column.TIME)).isEqualTo("Mar 10 00:00:00");
        assertThat(model.cell(r, RequestLogTableModel.Column.TTFB)).isEqualTo("850 ms");
        assertThat(model.cell(r, RequestLogTableModel.Column.DURATION)).isEqualTo("12.3 s");
        assertThat(model.cell(r, RequestLogTableModel.Column.TOKENS)).isEqualTo("12k / 1.5k");
        assertThat(model.cell(r, RequestLogTableModel.Column.FAILOVER)).isEqualTo("B:429 usage_limit_reached → A:200");
    }

    @Test
    void theClientColumnShowsWhichKeySentTheRequest() {
        var run = new RequestView(8, RequestLogRows.T0, "B", "gpt-5", "/v1/responses", 200, 850L, 12_300L, 12_000L, 0L,
                1_500L, null, List.of("B:200"), null, "s", null, "run:4242 codex");
        var old = new RequestView(9, RequestLogRows.T0, "A", "gpt-5", "/v1/responses", 200, 850L, 12_300L, 12_000L, 0L,
                1_500L, null, List.of("A:200"), null, "s", null);
        assertThat(model.getColumnName(RequestLogTableModel.Column.CLIENT.ordinal())).isEqualTo("Client");
        assertThat(model.cell(run, RequestLogTableModel.Column.CLIENT)).isEqualTo("run:4242 codex");
        assertThat(model.cell(old, RequestLogTableModel.Column.CLIENT)).isEmpty();
        assertThat(RequestLogExport.row(run)).containsEntry("client", "run:4242 codex");
    }
}
