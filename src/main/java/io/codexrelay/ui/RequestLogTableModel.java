package io.codexrelay.ui;

import io.codexrelay.app.LogQuery.Filter;
import io.codexrelay.app.RequestView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.swing.SwingUtilities;
import javax.swing.table.AbstractTableModel;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A virtual table over the request log: it knows the row count of the current filter and holds only the pages
 * the table has looked at (LRU). A page that is not loaded yet shows as a placeholder while a background thread
 * fetches it, so scrolling through 100 000 rows never blocks the EDT.
 *
 * <p>Rows are anchored at the newest id seen at (re)load time, so positions do not shift under the user while
 * new requests arrive; the live tail re-anchors, a paused tail only counts what is new.
 */
public final class RequestLogTableModel extends AbstractTableModel {
    private static final Logger log = LoggerFactory.getLogger(RequestLogTableModel.class);

    /** Where rows come from (the ControlApi in the app). Called only from the loader thread. */
    public interface Source {
        List<RequestView> page(Filter filter, long offset, int limit) throws Exception;
        long count(Filter filter) throws Exception;
    }

    public static final int PAGE = 200;
    static final int MAX_PAGES = 60;

    public enum Column {
        // CLIENT: the client key the request came with (codex, a tool key, home:NAME, run:PID COMMAND)
        TIME("Time"), ACCOUNT("Account"), MODEL("Model"), STATUS("Status"), CLIENT("Client"), TTFB("TTFB"), DURATION("Duration"),
        TOKENS("Tokens in / out"), FAILOVER("Failover chain");
        final String title;
        Column(String title) { this.title = title; }
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MMM d HH:mm:ss", Locale.ENGLISH);

    private final Source source;
    private final ZoneId zone;
    private final ExecutorService loader;
    private final Map<Integer, List<RequestView>> pages = new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<Integer, List<RequestView>> e) { return size() > MAX_PAGES; }
    };
    private final Set<Integer> loading = new HashSet<>();

    // EDT state
    private Filter filter = Filter.ALL;
    private Filter anchored = Filter.ALL;
    private long rowCount;
    private long generation;
    private boolean live = true;
    private long pendingNew;
    private String error;
    private Consumer<RequestLogTableModel> onStateChange = m -> { };

    public RequestLogTableModel(Source source, ZoneId zone) {
        this.source = source;
        this.zone = zone;
        this.loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "log-loader");
            t.setDaemon(true);
            return t;
        });
    }

    /** Called on the EDT after every reload, new-row count change or error (for the status line). */
    public void onStateChange(Consumer<RequestLogTableModel> listener) { this.onStateChange = listener; }

    public Filter filter() { return filter; }
    /** The filter pinned to the rows shown (for export: exactly what the user sees). */
    public Filter anchoredFilter() { return anchored; }
    public boolean live() { return live; }
    /** Rows that arrived since the last (re)load and are not shown yet (paused tail). */
    public long pendingNew() { return pendingNew; }
    public String error() { return error; }
    /** The total matching rows shown (may exceed {@code Integer.MAX_VALUE} in theory; the table sees a capped int). */
    public long totalRows() { return rowCount; }

    /** Sets the filter and reloads. EDT. */
    public void setFilter(Filter f) {
        this.filter = f.withMaxId(null);
        reload();
    }

    /** Live tail on: new rows appear at the top as they come; off: the view stays put. EDT. */
    public void setLive(boolean on) {
        this.live = on;
        if (on) reload(); else onStateChange.accept(this);
    }

    /** Tells the model that requests finished (any number). EDT. */
    public void newRowsArrived() {
        if (live) {
            reload();
            return;
        }
        long gen = generation;
        Filter f = filter;
        loader.execute(() -> {
            try {
                long total = source.count(f);
                SwingUtilities.invokeLater(() -> {
                    if (gen != generation) return;
                    pendingNew = Math.max(0, total - rowCount);
                    onStateChange.accept(this);
                });
            } catch (Exception e) {
                log.debug("Counting new request-log rows failed: {}", e.toString());
            }
        });
    }

    /** Re-reads the count and the first page, anchored at the newest matching row. EDT. */
    public void reload() {
        long gen = ++generation;
        Filter f = filter;
        loader.execute(() -> {
            try {
                List<RequestView> first = source.page(f, 0, PAGE);
                Long anchor = first.isEmpty() ? null : first.get(0).id();
                Filter a = f.withMaxId(anchor == null ? 0L : anchor);
                long n = first.size() < PAGE ? first.size() : source.count(a);
                SwingUtilities.invokeLater(() -> {
                    if (gen != generation) return;
                    anchored = a;
                    rowCount = n;
                    pendingNew = 0;
                    error = null;
                    pages.clear();
                    loading.clear();
                    pages.put(0, first);
                    fireTableDataChanged();
                    onStateChange.accept(this);
                });
            } catch (Exception e) {
                SwingUtilities.invokeLater(() -> {
                    if (gen != generation) return;
                    error = e.getMessage() == null ? e.toString() : e.getMessage();
                    onStateChange.accept(this);
                });
            }
        });
    }

    /** The record at a view row, or null while its page loads (the load is started). EDT. */
    public RequestView recordAt(int row) {
        if (row < 0 || row >= rowCount) return null;
        int page = row / PAGE;
        List<RequestView> p = pages.get(page);
        if (p == null) {
            requestPage(page);
            return null;
        }
        int i = row % PAGE;
        return i < p.size() ? p.get(i) : null;
    }

    private void requestPage(int page) {
        if (!loading.add(page)) return;
        long gen = generation;
        Filter a = anchored;
        loader.execute(() -> {
            try {
                List<RequestView> rows = source.page(a, (long) page * PAGE, PAGE);
                SwingUtilities.invokeLater(() -> {
                    if (gen != generation) return;
                    loading.remove(page);
                    pages.put(page, rows);
                    int from = page * PAGE;
                    int to = (int) Math.min(rowCount, (long) from + PAGE) - 1;
                    if (to >= from) fireTableRowsUpdated(from, to);
                });
            } catch (Exception e) {
                SwingUtilities.invokeLater(() -> {
                    if (gen != generation) return;
                    loading.remove(page);
                    error = e.getMessage();
                    onStateChange.accept(this);
                });
            }
        });
    }

    /** How many pages are held (for tests). */
    int cachedPages() { return pages.size(); }

    /** Waits until the loader has nothing left and its results reached the EDT (tests, export). Not on the EDT. */
    void awaitIdle() throws Exception {
        for (int i = 0; i < 3; i++) {
            loader.submit(() -> { }).get(30, TimeUnit.SECONDS);
            SwingUtilities.invokeAndWait(() -> { });
        }
    }

    public void close() { loader.shutdownNow(); }

    @Override public int getRowCount() { return (int) Math.min(Integer.MAX_VALUE, rowCount); }
    @Override public int getColumnCount() { return Column.values().length; }
    @Override public String getColumnName(int c) { return Column.values()[c].title; }
    @Override public Class<?> getColumnClass(int c) { return String.class; }

    @Override
    public Object getValueAt(int row, int col) {
        RequestView r = recordAt(row);
        if (r == null) return col == 0 ? "…" : "";
        return cell(r, Column.values()[col]);
    }

    String cell(RequestView r, Column c) {
        return switch (c) {
            case TIME -> TIME.format(r.startedAt().atZone(zone));
            case ACCOUNT -> r.account() == null ? "—" : r.account();
            case CLIENT -> r.client() == null ? "" : r.client();
            case MODEL -> r.model() == null ? "" : r.model();
            case STATUS -> r.status() == 0 ? "no answer" + (r.failureClass() == null ? "" : " · " + r.failureClass())
                    : r.status() + (r.failureClass() == null || r.status() < 400 ? "" : " · " + r.failureClass());
            case TTFB -> r.ttfbMs() == null ? "" : ms(r.ttfbMs());
            case DURATION -> ms(r.durationMs());
            case TOKENS -> (r.inputTokens() == null && r.outputTokens() == null) ? ""
                    : Fmt.tokens(nz(r.inputTokens())) + " / " + Fmt.tokens(nz(r.outputTokens()));
            case FAILOVER -> r.failoverChain() == null || r.failoverChain().size() < 2 ? "" : String.join(" → ", r.failoverChain());
        };
    }

    static String ms(long ms) {
        return ms < 1000 ? ms + " ms" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    private static long nz(Long v) { return v == null ? 0 : v; }

    /** The wall time a row started, for the details pane. */
    static String fullTime(Instant t, ZoneId zone) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.atZone(zone));
    }
}
