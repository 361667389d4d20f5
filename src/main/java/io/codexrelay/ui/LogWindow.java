package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.LogQuery.Filter;
import io.codexrelay.app.LogQuery.StatusClass;
import io.codexrelay.app.RequestView;

import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JComboBox;
import javax.swing.JFileChooser;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JSplitPane;
import javax.swing.JTabbedPane;
import javax.swing.JTable;
import javax.swing.JTextArea;
import javax.swing.JTextField;
import javax.swing.JToggleButton;
import javax.swing.ListSelectionModel;
import javax.swing.Timer;
import javax.swing.event.DocumentEvent;
import javax.swing.event.DocumentListener;
import java.awt.BorderLayout;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.awt.Font;
import java.io.BufferedWriter;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;

/**
 * The request log: a live table (newest first) with filters, a details pane and export of the filtered rows, and
 * a usage chart (tokens / requests per hour per account, last 24 h or 7 days) over the usage figures: each account's
 * requests, tokens and API-price equivalent since its 5-hour and weekly resets, today and per day (last 7 days).
 */
public final class LogWindow {
    private final ControlApi control;
    private final UiTasks tasks;
    private final Clock clock;
    private final ZoneId zone;
    private final JFrame frame = new JFrame("codex-relay request log");
    private final RequestLogTableModel model;
    private final JTable table;
    private final JTextArea details = new JTextArea();
    private final JComboBox<String> account = new JComboBox<>(new String[] {"All accounts"});
    private final JComboBox<StatusClass> outcome = new JComboBox<>(StatusClass.values());
    private final JTextField search = new JTextField(18);
    private final JToggleButton liveButton = new JToggleButton("Live", true);
    private final JLabel state = new JLabel(" ");
    private final UsageChart chart;
    private final JComboBox<UsageChart.Range> range = new JComboBox<>(UsageChart.Range.values());
    private final JComboBox<UsageChart.Metric> metric = new JComboBox<>(UsageChart.Metric.values());
    private final JComboBox<UsageChart.GroupBy> groupBy = new JComboBox<>(UsageChart.GroupBy.values());
    private final JTabbedPane tabs = new JTabbedPane();
    private final UsageFiguresTableModel figures = new UsageFiguresTableModel();
    private final JLabel figuresNote = new JLabel(" ");
    private final Timer newRows;
    private final Timer searchDelay;
    private boolean updatingAccounts;

    public LogWindow(ControlApi control, UiTasks tasks, WindowMemory memory, Clock clock, ZoneId zone, List<java.awt.Image> icons) {
        this.control = control;
        this.tasks = tasks;
        this.clock = clock;
        this.zone = zone;
        this.model = new RequestLogTableModel(new RequestLogTableModel.Source() {
            @Override public List<RequestView> page(Filter f, long offset, int limit) throws Exception { return control.queryRequests(f, offset, limit); }
            @Override public long count(Filter f) throws Exception { return control.countRequests(f); }
        }, zone);
        table = new JTable(model) {
            // A cell too narrow for its text shows the whole text on hover (the columns are fitted to the rows too).
            @Override public String getToolTipText(java.awt.event.MouseEvent e) {
                int row = rowAtPoint(e.getPoint()), col = columnAtPoint(e.getPoint());
                if (row < 0 || col < 0) return null;
                Object v = getValueAt(row, col);
                return v == null || v.toString().isBlank() ? null : v.toString();
            }
        };
        table.setName("log-table");
        table.setSelectionMode(ListSelectionModel.SINGLE_SELECTION);
        table.setFillsViewportHeight(true);
        table.setAutoCreateRowSorter(false);
        int[] widths = {120, 100, 110, 130, 110, 70, 70, 110, 260};
        for (int i = 0; i < widths.length; i++) table.getColumnModel().getColumn(i).setPreferredWidth(widths[i]);
        table.getSelectionModel().addListSelectionListener(e -> { if (!e.getValueIsAdjusting()) showDetails(); });
        model.addTableModelListener(e -> { if (table.getSelectedRow() >= 0) showDetails(); });
        model.onStateChange(m -> updateState());
        model.addTableModelListener(e -> fitColumns());

        details.setEditable(false);
        details.setName("log-details");
        details.setFont(new Font(Font.MONOSPACED, Font.PLAIN, details.getFont().getSize()));
        details.setLineWrap(true);
        details.setWrapStyleWord(true);
        details.setBorder(BorderFactory.createEmptyBorder(6, 8, 6, 8));
        details.setText("Select a request to see its details.");

        JSplitPane split = new JSplitPane(JSplitPane.VERTICAL_SPLIT, new JScrollPane(table), new JScrollPane(details));
        split.setResizeWeight(0.6);
        split.setDividerLocation(0.6);
        frame.addComponentListener(new java.awt.event.ComponentAdapter() {
            private boolean placed;
            @Override public void componentShown(java.awt.event.ComponentEvent e) {
                if (!placed) { placed = true; split.setDividerLocation(0.6); }
            }
        });
        split.setBorder(BorderFactory.createEmptyBorder());

        JPanel filters = new JPanel(new FlowLayout(FlowLayout.LEFT, 6, 6));
        account.setName("log-account");
        outcome.setName("log-outcome");
        search.setName("log-search");
        search.putClientProperty("JTextField.placeholderText", "Search model, error, session…");
        search.putClientProperty("JTextField.showClearButton", true);
        liveButton.setName("log-live");
        liveButton.setToolTipText("Live: new requests appear at the top. Off: the view holds still.");
        JButton csv = new JButton("Export CSV…");
        JButton jsonl = new JButton("Export JSONL…");
        filters.add(account);
        filters.add(outcome);
        filters.add(search);
        filters.add(liveButton);
        filters.add(csv);
        filters.add(jsonl);

        JPanel requests = new JPanel(new BorderLayout());
        requests.add(filters, BorderLayout.NORTH);
        requests.add(split, BorderLayout.CENTER);
        state.setBorder(BorderFactory.createEmptyBorder(4, 10, 6, 10));
        state.setName("log-state");
        requests.add(state, BorderLayout.SOUTH);

        chart = new UsageChart(zone);
        JPanel usage = new JPanel(new BorderLayout());
        JPanel chartBar = new JPanel(new FlowLayout(FlowLayout.LEFT, 6, 6));
        chartBar.add(range);
        chartBar.add(metric);
        groupBy.setName("usage-group-by");
        chartBar.add(groupBy);
        JButton reloadChart = new JButton("Refresh");
        chartBar.add(reloadChart);
        usage.add(chartBar, BorderLayout.NORTH);
        chart.setBorder(BorderFactory.createEmptyBorder(6, 6, 6, 6));
        JTable figuresTable = new JTable(figures);
        figuresTable.setName("usage-figures");
        figuresTable.setFillsViewportHeight(true);
        int[] figureWidths = {140, 170, 110, 130, 110};
        for (int i = 0; i < figureWidths.length; i++) figuresTable.getColumnModel().getColumn(i).setPreferredWidth(figureWidths[i]);
        JPanel figuresPanel = new JPanel(new BorderLayout());
        figuresPanel.add(new JScrollPane(figuresTable), BorderLayout.CENTER);
        figuresNote.setName("usage-figures-note");
        figuresNote.setBorder(BorderFactory.createEmptyBorder(4, 10, 6, 10));
        figuresNote.setText("API price: what the same tokens would cost on OpenAI's API ([prices] in config.toml).");
        figuresPanel.add(figuresNote, BorderLayout.SOUTH);
        JSplitPane usageSplit = new JSplitPane(JSplitPane.VERTICAL_SPLIT, chart, figuresPanel);
        usageSplit.setResizeWeight(0.6);
        usageSplit.setBorder(BorderFactory.createEmptyBorder());
        usage.add(usageSplit, BorderLayout.CENTER);

        tabs.addTab("Requests", requests);
        tabs.addTab("Usage", usage);
        tabs.setMnemonicAt(0, java.awt.event.KeyEvent.VK_Q);
        tabs.setMnemonicAt(1, java.awt.event.KeyEvent.VK_U);
        tabs.addChangeListener(e -> { if (tabs.getSelectedIndex() == 1) reloadChart(); });
        frame.getContentPane().add(tabs, BorderLayout.CENTER);
        frame.setMinimumSize(new Dimension(640, 400));
        if (icons != null) frame.setIconImages(icons);
        memory.install(frame, "log", new Dimension(1040, 640));

        account.addActionListener(e -> { if (!updatingAccounts) applyFilter(); });
        outcome.addActionListener(e -> applyFilter());
        searchDelay = new Timer(300, e -> applyFilter());
        searchDelay.setRepeats(false);
        search.getDocument().addDocumentListener(new DocumentListener() {
            @Override public void insertUpdate(DocumentEvent e) { searchDelay.restart(); }
            @Override public void removeUpdate(DocumentEvent e) { searchDelay.restart(); }
            @Override public void changedUpdate(DocumentEvent e) { searchDelay.restart(); }
        });
        liveButton.addActionListener(e -> model.setLive(liveButton.isSelected()));
        csv.addActionListener(e -> export(RequestLogExport.Format.CSV));
        jsonl.addActionListener(e -> export(RequestLogExport.Format.JSONL));
        range.addActionListener(e -> reloadChart());
        metric.addActionListener(e -> reloadChart());
        groupBy.addActionListener(e -> reloadChart());
        reloadChart.addActionListener(e -> reloadChart());
        // Bursts of finished requests become one refresh per second at most.
        newRows = new Timer(1000, e -> model.newRowsArrived());
        newRows.setRepeats(false);
    }

    public JFrame frame() { return frame; }
    public RequestLogTableModel model() { return model; }

    /** Opens (or brings forward) the window. EDT. */
    public void show() {
        if (!frame.isVisible()) {
            loadAccounts();
            model.reload();
        }
        WindowMemory.bringForward(frame);
    }

    /** A request finished: refresh the tail soon (coalesced). EDT. */
    public void requestFinished() {
        if (!frame.isVisible()) return;
        if (!newRows.isRunning()) newRows.start();
    }

    private void loadAccounts() {
        tasks.run(control::status, s -> {
            Object sel = account.getSelectedItem();
            updatingAccounts = true;
            try {
                account.removeAllItems();
                account.addItem("All accounts");
                for (AccountStatus a : s.accounts()) account.addItem(a.name());
                account.setSelectedItem(sel);
                if (account.getSelectedIndex() < 0) account.setSelectedIndex(0);
            } finally {
                updatingAccounts = false;
            }
        }, e -> { });
    }

    private void applyFilter() {
        String acct = account.getSelectedIndex() <= 0 ? null : (String) account.getSelectedItem();
        model.setFilter(new Filter(acct, (StatusClass) outcome.getSelectedItem(), search.getText(), null));
    }

    private void updateState() {
        StringBuilder sb = new StringBuilder();
        if (model.error() != null) {
            state.setForeground(Theme.RED);
            state.setText("Could not read the log: " + model.error());
            return;
        }
        state.setForeground(javax.swing.UIManager.getColor("Label.foreground"));
        sb.append(String.format(Locale.ROOT, "%,d", model.totalRows()).replace(',', ' ')).append(model.totalRows() == 1 ? " request" : " requests");
        if (!model.live()) {
            sb.append(" · paused");
            if (model.pendingNew() > 0) sb.append(" · ").append(model.pendingNew()).append(" new (switch Live on to show)");
        }
        state.setText(sb.toString());
    }

    /**
     * Widens each column to its title and the longest text of the rows loaded so far (the failover chain
     * "B:429 usage_limit_reached → A:200" was cut at the default size); when they no longer fit the window,
     * the table scrolls sideways instead of cutting them.
     */
    void fitColumns() {
        java.awt.FontMetrics fm = table.getFontMetrics(table.getFont());
        java.awt.FontMetrics hm = table.getTableHeader().getFontMetrics(table.getTableHeader().getFont());
        int rows = Math.min(model.getRowCount(), 200);
        int total = 0;
        for (int c = 0; c < table.getColumnCount(); c++) {
            int w = hm.stringWidth(table.getColumnName(c)) + 24;
            for (int r = 0; r < rows; r++) {
                Object v = model.getValueAt(r, c);
                if (v != null) w = Math.max(w, fm.stringWidth(v.toString()) + 16);
            }
            w = Math.min(w, 600);
            var col = table.getColumnModel().getColumn(c);
            if (col.getPreferredWidth() < w) col.setPreferredWidth(w);
            total += col.getPreferredWidth();
        }
        java.awt.Container viewport = table.getParent();
        int room = viewport == null ? 0 : viewport.getWidth();
        table.setAutoResizeMode(room > 0 && total > room ? JTable.AUTO_RESIZE_OFF : JTable.AUTO_RESIZE_LAST_COLUMN);
    }

    private void showDetails() {
        RequestView r = model.recordAt(table.getSelectedRow());
        if (r == null) {
            details.setText(table.getSelectedRow() < 0 ? "Select a request to see its details." : "Loading…");
            return;
        }
        StringBuilder sb = new StringBuilder();
        line(sb, "Request", "#" + r.id() + "  " + r.path());
        line(sb, "Started", RequestLogTableModel.fullTime(r.startedAt(), zone));
        line(sb, "Account", r.account());
        line(sb, "Client", r.client());
        line(sb, "Model", r.model());
        line(sb, "Status", r.status() == 0 ? "no answer" : Integer.toString(r.status()));
        line(sb, r.status() >= 400 || r.status() < 100 ? "Failure class" : "Failed over on", r.failureClass());
        line(sb, "First byte", r.ttfbMs() == null ? null : RequestLogTableModel.ms(r.ttfbMs()));
        line(sb, "Duration", RequestLogTableModel.ms(r.durationMs()));
        line(sb, "Tokens", "in " + n(r.inputTokens()) + " (cached " + n(r.cachedTokens()) + "), out " + n(r.outputTokens())
                + " (reasoning " + n(r.reasoningTokens()) + ")");
        line(sb, "Session", r.sessionId());
        if (r.failoverChain() != null && !r.failoverChain().isEmpty()) {
            sb.append("Attempts:\n");
            for (int i = 0; i < r.failoverChain().size(); i++) sb.append("  ").append(i + 1).append(". ").append(r.failoverChain().get(i)).append('\n');
        }
        if (r.error() != null) sb.append("\nError:\n").append(r.error()).append('\n');
        details.setText(sb.toString());
        details.setCaretPosition(0);
    }

    private static String n(Long v) { return v == null ? "—" : String.format(Locale.ROOT, "%,d", v).replace(',', ' '); }

    private static void line(StringBuilder sb, String k, String v) {
        if (v == null || v.isBlank()) return;
        sb.append(String.format(Locale.ROOT, "%-14s %s%n", k + ":", v));
    }

    private void reloadChart() {
        UsageChart.Range r = (UsageChart.Range) range.getSelectedItem();
        UsageChart.Metric m = (UsageChart.Metric) metric.getSelectedItem();
        var now = clock.instant();
        var from = now.minus(r.span).minus(UsageChart.BUCKET);
        if (groupBy.getSelectedItem() == UsageChart.GroupBy.CLIENT) {
            tasks.run(() -> control.requestUsageByClient(from, UsageChart.BUCKET),
                    data -> chart.setData(UsageChart.Series.ofClients(data, r, m, now), r, m), e -> state.setText("Could not read usage: " + e));
        } else {
            tasks.run(() -> control.requestUsage(from, UsageChart.BUCKET),
                    data -> chart.setData(UsageChart.Series.of(data, r, m, now), r, m), e -> state.setText("Could not read usage: " + e));
        }
        reloadFigures();
    }

    /** Reloads the usage figures (since each reset, today, per day) off the EDT. */
    void reloadFigures() {
        tasks.run(this::loadFigures, f -> figures.set(f.accounts(), f.days()),
                e -> figuresNote.setText("Could not read the usage figures: " + e));
    }

    /** The figures of every account and the last 7 days; also what an export writes next to the rows. */
    record Figures(List<io.codexrelay.app.UsageFigures.AccountFigures> accounts, List<io.codexrelay.app.UsageFigures.Day> days) {}

    private Figures loadFigures() throws Exception {
        var u = new io.codexrelay.app.UsageFigures(control, clock, zone);
        return new Figures(u.of(control.status().accounts()), u.perDay(7));
    }

    UsageFiguresTableModel figures() { return figures; }

    private void export(RequestLogExport.Format format) {
        String ext = format == RequestLogExport.Format.CSV ? "csv" : "jsonl";
        JFileChooser chooser = new JFileChooser();
        chooser.setSelectedFile(new File("codex-relay-requests." + ext));
        if (chooser.showSaveDialog(frame) != JFileChooser.APPROVE_OPTION) return;
        Path target = chooser.getSelectedFile().toPath();
        Filter f = model.anchoredFilter();
        state.setText("Exporting…");
        Path summary = RequestLogExport.figuresFile(target);
        tasks.run(() -> {
            var prices = new io.codexrelay.app.UsageFigures(control, clock, zone).prices();
            long n = writeAtomically(target, w -> RequestLogExport.write((off, lim) -> control.queryRequests(f, off, lim), format, w,
                    count -> javax.swing.SwingUtilities.invokeLater(() -> state.setText("Exporting… " + Fmt.count(count, "row"))), prices));
            // Since-reset and per-day figures go next to the rows (a CSV holds one kind of row).
            Figures fig = loadFigures();
            writeAtomically(summary, w -> RequestLogExport.writeFigures(fig.accounts(), fig.days(), format, w));
            return n;
        }, n -> state.setText("Exported " + Fmt.count(n, "row") + " to " + target + ", since-reset figures to " + summary.getFileName()),
                e -> { state.setForeground(Theme.RED); state.setText("Export failed: " + e); });
    }

    private interface ExportBody { long write(java.io.Writer w) throws Exception; }

    /** Writes to a temp file next to {@code target}, then renames it over {@code target}: a half-written export never shows. */
    private static long writeAtomically(Path target, ExportBody body) throws Exception {
        Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "." + target.getFileName(), ".tmp");
        long n;
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            n = body.write(w);
        } catch (Exception e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return n;
    }

    public void close() {
        model.close();
        frame.dispose();
    }
}
