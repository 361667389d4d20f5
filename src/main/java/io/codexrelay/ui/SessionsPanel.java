package io.codexrelay.ui;

import io.codexrelay.app.SessionsService;
import io.codexrelay.app.SessionsService.Details;
import io.codexrelay.app.SessionsService.Outcome;
import io.codexrelay.app.SessionsService.Preview;
import io.codexrelay.app.SessionsService.View;

import javax.swing.BorderFactory;
import javax.swing.Box;
import javax.swing.BoxLayout;
import javax.swing.DefaultComboBoxModel;
import javax.swing.JButton;
import javax.swing.JComboBox;
import javax.swing.JComponent;
import javax.swing.JEditorPane;
import javax.swing.JLabel;
import javax.swing.JList;
import javax.swing.JPanel;
import javax.swing.JProgressBar;
import javax.swing.JScrollPane;
import javax.swing.JSplitPane;
import javax.swing.JTextField;
import javax.swing.ListCellRenderer;
import javax.swing.ListSelectionModel;
import javax.swing.SwingUtilities;
import javax.swing.UIManager;
import javax.swing.event.DocumentEvent;
import javax.swing.event.DocumentListener;
import java.awt.BorderLayout;
import java.awt.Color;
import java.awt.Component;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.awt.Font;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The content of the Sessions window: filter bar, sessions grouped by project, details with the diagnosis and the
 * first and last turns, and the repair buttons. Every repair is shown as a dry run first and applied only when
 * the user confirms. Work runs on {@code background}; results come back on the event thread.
 */
public final class SessionsPanel extends JPanel {
    private static final java.util.regex.Pattern SPACES = java.util.regex.Pattern.compile("\\s+");

    /** What the panel asks of the person and the desktop (dialogs, clipboard, terminal); tests record instead. */
    public interface Interaction {
        /** Shows a dry run or a question; true to go ahead. */
        boolean confirm(Component parent, String title, String text, String okLabel);

        void inform(Component parent, String title, String text);

        /** Offers several answers; returns the index chosen, or -1 when the dialog was closed. */
        int choose(Component parent, String title, String text, String... options);

        void copy(String text);

        /** Starts a terminal in {@code dir} running {@code command}; false when no terminal could be started. */
        boolean openTerminal(String dir, String command);

        /** Asks for the target provider and the scope of a move; null when cancelled. */
        RetagChoice chooseRetag(Component parent, List<String> providers, String current, int selected);
    }

    /** {@code fromProvider} null = the selected sessions. */
    public record RetagChoice(String toProvider, String fromProvider) {}

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("d MMM yyyy HH:mm");

    private final SessionsService service;
    private final Interaction ui;
    private final Executor background;
    private final Clock clock;
    private final SessionsListModel model;
    private final JList<SessionsListModel.Row> list;
    private final JEditorPane details = new JEditorPane("text/html", "");
    private final JLabel status = new JLabel(" ");
    private final JProgressBar progress = new JProgressBar();
    private final JTextField search = new JTextField(18);
    private final JComboBox<String> provider = new JComboBox<>();
    private final JComboBox<String> source = new JComboBox<>(new String[] {"Interactive and exec", "Interactive", "Exec"});
    private final JComboBox<String> shown = new JComboBox<>(new String[] {"Active", "Archived", "Active and archived"});
    private final JComboBox<String> period = new JComboBox<>(new String[] {"Any time", "Today", "Last 7 days", "Last 30 days"});
    private final JButton copyButton = new JButton("Copy resume command");
    private final JButton terminalButton = new JButton("Open in terminal");
    private final JButton retagButton = new JButton("Move to provider…");
    private final JButton copyToHomeButton = new JButton("Copy to home…");
    private final JButton unarchiveButton = new JButton("Unarchive");
    private final JButton trashButton = new JButton("Move to trash");
    private final JButton undoButton = new JButton("Undo last repair");
    private final JButton trashListButton = new JButton("Trash…");
    private volatile Details current;
    private List<String> problems = List.of();
    private boolean updatingProviders;

    public SessionsPanel(SessionsService service, Interaction ui, Executor background, Clock clock) {
        super(new BorderLayout());
        this.service = service;
        this.ui = ui;
        this.background = background;
        this.clock = clock;
        this.model = new SessionsListModel(clock.withZone(ZoneId.systemDefault()));
        this.list = new JList<>(model);
        list.setName("sessions");
        details.setName("details");
        details.setEditable(false);
        details.putClientProperty(JEditorPane.HONOR_DISPLAY_PROPERTIES, Boolean.TRUE);
        details.setFont(UIManager.getFont("Label.font"));
        list.setSelectionMode(ListSelectionModel.MULTIPLE_INTERVAL_SELECTION);
        list.setCellRenderer(new RowRenderer());
        list.setFixedCellHeight(Math.max(38, getFontMetrics(font()).getHeight() * 2 + 10));
        list.addListSelectionListener(e -> {
            if (!e.getValueIsAdjusting()) selectionChanged();
        });

        add(filterBar(), BorderLayout.NORTH);
        JSplitPane split = new JSplitPane(JSplitPane.HORIZONTAL_SPLIT, new JScrollPane(list), detailsPane());
        split.setResizeWeight(0.45);
        split.setDividerLocation(470);
        split.setBorder(BorderFactory.createEmptyBorder());
        add(split, BorderLayout.CENTER);
        add(statusBar(), BorderLayout.SOUTH);
        showEmptyDetails();
        updateButtons();
    }

    private static Font font() {
        Font f = UIManager.getFont("Label.font");
        return f == null ? new Font(Font.SANS_SERIF, Font.PLAIN, 12) : f;
    }

    private JComponent filterBar() {
        JPanel bar = new JPanel(new FlowLayout(FlowLayout.LEFT, 6, 6));
        search.setName("search");
        search.setToolTipText("Search titles, messages, ids and directories");
        search.getDocument().addDocumentListener(new DocumentListener() {
            @Override public void insertUpdate(DocumentEvent e) { filterChanged(); }
            @Override public void removeUpdate(DocumentEvent e) { filterChanged(); }
            @Override public void changedUpdate(DocumentEvent e) { filterChanged(); }
        });
        provider.setName("provider");
        provider.setModel(new DefaultComboBoxModel<>(new String[] {"All providers"}));
        for (JComboBox<String> c : List.of(provider, source, shown, period)) c.addActionListener(e -> filterChanged());
        JButton refresh = new JButton("Refresh");
        refresh.addActionListener(e -> reload());
        bar.add(new JLabel("Search"));
        bar.add(search);
        bar.add(provider);
        bar.add(source);
        bar.add(shown);
        bar.add(period);
        bar.add(refresh);
        return bar;
    }

    private JComponent detailsPane() {
        JPanel p = new JPanel(new BorderLayout());
        p.add(new JScrollPane(details), BorderLayout.CENTER);
        JPanel buttons = new JPanel(new FlowLayout(FlowLayout.LEFT, 6, 6));
        copyButton.addActionListener(e -> copyResumeCommand());
        terminalButton.addActionListener(e -> openInTerminal());
        retagButton.addActionListener(e -> retagDialog());
        copyToHomeButton.setName("copy-to-home");
        copyToHomeButton.setToolTipText("Copy the selected sessions to a named Codex home (codex-relay homes list); the originals stay.");
        copyToHomeButton.addActionListener(e -> copyToHomeDialog());
        unarchiveButton.addActionListener(e -> unarchiveSelected());
        trashButton.addActionListener(e -> trashSelected());
        for (JButton b : List.of(copyButton, terminalButton, retagButton, copyToHomeButton, unarchiveButton, trashButton)) buttons.add(b);
        p.add(buttons, BorderLayout.SOUTH);
        return p;
    }

    private JComponent statusBar() {
        JPanel bar = new JPanel();
        bar.setLayout(new BoxLayout(bar, BoxLayout.X_AXIS));
        bar.setBorder(BorderFactory.createEmptyBorder(4, 8, 4, 8));
        status.setName("status");
        progress.setVisible(false);
        progress.setStringPainted(true);
        progress.setMaximumSize(new Dimension(220, 18));
        JButton reindex = new JButton("Re-index…");
        reindex.addActionListener(e -> reindex());
        trashListButton.addActionListener(e -> trashDialog());
        undoButton.addActionListener(e -> undo());
        bar.add(status);
        bar.add(Box.createHorizontalStrut(8));
        bar.add(progress);
        bar.add(Box.createHorizontalGlue());
        bar.add(reindex);
        bar.add(Box.createHorizontalStrut(6));
        bar.add(trashListButton);
        bar.add(Box.createHorizontalStrut(6));
        bar.add(undoButton);
        return bar;
    }

    // ---- loading --------------------------------------------------------------------------------------------------

    /** Scans in the background; a cold scan shows its progress in the status bar. */
    public void reload() {
        status.setText("Reading sessions…");
        String keep = current == null ? null : current.session().id();
        background.execute(() -> {
            SessionsService.Listing l = service.refresh((done, total) -> SwingUtilities.invokeLater(() -> {
                progress.setVisible(done < total);
                progress.setMaximum(total);
                progress.setValue(done);
                progress.setString(done + " / " + Fmt.count(total, "file"));
            }));
            var undo = service.lastRepair();
            int trash = service.trash().size();
            SwingUtilities.invokeLater(() -> {
                progress.setVisible(false);
                problems = l.problems();
                model.setSessions(l.sessions());
                refreshProviders();
                String tail = l.fromDisk() > 0 ? " · " + Fmt.count(l.fromDisk(), "file") + " read" : "";
                status.setText(Fmt.count(l.sessions().size(), "session") + " in " + String.join(", ", l.codexHomes()) + tail
                        + (l.problems().isEmpty() ? "" : " · " + l.problems().size() + " problem" + (l.problems().size() == 1 ? "" : "s")));
                undoButton.setEnabled(undo.isPresent());
                undoButton.setToolTipText(undo.map(u -> "Undo: " + u.summary()).orElse("Nothing to undo"));
                trashListButton.setText(trash == 0 ? "Trash" : "Trash (" + trash + ")…");
                int idx = keep == null ? -1 : model.indexOf(keep);
                if (idx < 0) idx = firstItem();
                if (idx >= 0) {
                    list.setSelectedIndex(idx);
                    list.ensureIndexIsVisible(idx == firstItem() ? 0 : idx);
                } else {
                    current = null;
                    showEmptyDetails();
                }
                updateButtons();
            });
        });
    }

    private int firstItem() {
        for (int i = 0; i < model.getSize(); i++) if (model.getElementAt(i) instanceof SessionsListModel.Item) return i;
        return -1;
    }

    private void refreshProviders() {
        updatingProviders = true;
        try {
            Object sel = provider.getSelectedItem();
            List<String> items = new ArrayList<>();
            items.add("All providers");
            for (String p : model.providers()) items.add(p);
            provider.setModel(new DefaultComboBoxModel<>(items.toArray(String[]::new)));
            if (sel != null && items.contains(sel)) provider.setSelectedItem(sel);
        } finally {
            updatingProviders = false;
        }
    }

    private void filterChanged() {
        if (updatingProviders) return;
        String p = provider.getSelectedIndex() <= 0 ? null : (String) provider.getSelectedItem();
        model.setFilter(new SessionsListModel.Filter(search.getText(), p,
                SessionsListModel.Source.values()[Math.max(0, source.getSelectedIndex())],
                SessionsListModel.Shown.values()[Math.max(0, shown.getSelectedIndex())],
                SessionsListModel.Period.values()[Math.max(0, period.getSelectedIndex())]));
        int idx = current == null ? -1 : model.indexOf(current.session().id());
        if (idx < 0) idx = firstItem();
        if (idx >= 0) list.setSelectedIndex(idx);
        else {
            list.clearSelection();
            current = null;
            showEmptyDetails();
        }
        updateButtons();
    }

    private void selectionChanged() {
        List<View> sel = selected();
        updateButtons();
        if (sel.isEmpty()) return;
        View v = sel.get(0);
        background.execute(() -> {
            Optional<Details> d = service.details(v.id(), null);
            SwingUtilities.invokeLater(() -> {
                current = d.orElse(null);
                details.setText(d.map(x -> SessionsHtml.details(x, clock)).orElse("<html><body>Not found.</body></html>"));
                details.setCaretPosition(0);
                updateButtons();
            });
        });
    }

    private void showEmptyDetails() {
        details.setText(SessionsHtml.empty(problems, model.sessions().isEmpty()));
    }

    /** The selected sessions (group headers ignored). */
    public List<View> selected() {
        List<View> out = new ArrayList<>();
        for (SessionsListModel.Row r : list.getSelectedValuesList()) if (r instanceof SessionsListModel.Item it) out.add(it.view());
        return out;
    }

    private void updateButtons() {
        List<View> sel = selected();
        boolean one = sel.size() == 1;
        copyButton.setEnabled(one);
        terminalButton.setEnabled(one && sel.get(0).cwd() != null);
        retagButton.setEnabled(!model.sessions().isEmpty());
        copyToHomeButton.setEnabled(!sel.isEmpty());
        unarchiveButton.setEnabled(!sel.isEmpty() && sel.stream().allMatch(View::archived));
        trashButton.setEnabled(!sel.isEmpty());
    }

    // ---- actions --------------------------------------------------------------------------------------------------

    void copyResumeCommand() {
        List<View> sel = selected();
        if (sel.size() != 1) return;
        ui.copy(sel.get(0).resumeCommand());
        status.setText("Copied: " + sel.get(0).resumeCommand());
    }

    void openInTerminal() {
        List<View> sel = selected();
        if (sel.size() != 1) return;
        View v = sel.get(0);
        String cmd = "codex resume " + v.id();
        if (!ui.openTerminal(v.cwd(), cmd)) {
            ui.copy(v.resumeCommand());
            ui.inform(this, "Open in terminal", "No terminal could be started here, so the command was copied instead:\n\n"
                    + v.resumeCommand());
        }
    }

    void retagDialog() {
        List<String> providers = new ArrayList<>(model.providers());
        String current = service.currentProvider();
        if (!providers.contains(current)) providers.add(0, current);
        RetagChoice choice = ui.chooseRetag(this, providers, current, selected().size());
        if (choice == null) return;
        Set<String> ids = null;
        if (choice.fromProvider() == null) {
            ids = new LinkedHashSet<>();
            for (View v : selected()) ids.add(v.id());
        }
        retag(choice.fromProvider(), choice.toProvider(), ids);
    }

    /** Previews a move to {@code to}; applies it when confirmed. */
    public void retag(String from, String to, Set<String> ids) {
        run("Move sessions to provider '" + to + "'", () -> service.previewRetag(from, to, ids));
    }

    /** Asks which named home to copy the selected sessions to (read off the EDT), then previews the copy. */
    void copyToHomeDialog() {
        Set<String> ids = new LinkedHashSet<>();
        for (View v : selected()) ids.add(v.id());
        if (ids.isEmpty()) return;
        background.execute(() -> {
            List<String> names;
            String problem = null;
            try {
                names = service.namedHomes();
            } catch (io.codexrelay.app.ControlException e) {
                names = List.of();
                problem = e.getMessage();
            }
            List<String> homes = names;
            String trouble = problem;
            SwingUtilities.invokeLater(() -> {
                if (trouble != null) {
                    ui.inform(this, "Copy to home", "Could not read the named Codex homes: " + trouble);
                    return;
                }
                if (homes.isEmpty()) {
                    ui.inform(this, "Copy to home", "There is no named Codex home yet. Create one with\n\n"
                            + "    codex-relay homes create NAME\n\nthen copy sessions to it.");
                    return;
                }
                int i = ui.choose(this, "Copy to home", "Copy " + Fmt.count(ids.size(), "session")
                        + " to which Codex home? The originals stay where they are; you see what changes before anything does.",
                        homes.toArray(String[]::new));
                if (i >= 0) copyToHome(ids, homes.get(i));
            });
        });
    }

    /** Previews copying {@code ids} to the named home {@code home}; applies it when confirmed (undo: Undo last repair). */
    public void copyToHome(Set<String> ids, String home) {
        run("Copy sessions to home '" + home + "'", () -> {
            try {
                return service.previewCopy(ids, home);
            } catch (io.codexrelay.app.ControlException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
    }

    public void reindex() {
        run("Re-index", service::previewReindex);
    }

    void unarchiveSelected() {
        Set<String> ids = new LinkedHashSet<>();
        for (View v : selected()) ids.add(v.id());
        run("Unarchive", () -> service.previewUnarchive(ids));
    }

    void trashSelected() {
        Set<String> ids = new LinkedHashSet<>();
        for (View v : selected()) ids.add(v.id());
        run("Move to trash", () -> service.previewTrash(ids));
    }

    void undo() {
        var last = service.lastRepair();
        if (last.isEmpty()) {
            ui.inform(this, "Undo", "There is no session repair to undo.");
            return;
        }
        if (!ui.confirm(this, "Undo last repair", "Undo " + last.get().summary() + " (" + last.get().createdAt() + ")?\n\n"
                + "Nothing is reverted if Codex changed the same files since.", "Undo")) return;
        background.execute(() -> {
            Outcome o = service.undo();
            SwingUtilities.invokeLater(() -> {
                ui.inform(this, "Undo", SessionsHtml.outcomeText(o));
                reload();
            });
        });
    }

    void trashDialog() {
        var items = service.trash();
        if (items.isEmpty()) {
            ui.inform(this, "Trash", "The trash is empty.");
            return;
        }
        StringBuilder sb = new StringBuilder("In codex-relay's trash:\n\n");
        for (var t : items) sb.append("  ").append(t.trashedAt(), 0, Math.min(16, t.trashedAt().length())).append("  ")
                .append(t.description()).append('\n');
        int choice = ui.choose(this, "Trash", sb.toString(), "Restore all", "Empty the trash…", "Close");
        if (choice == 0) {
            Set<String> ids = new LinkedHashSet<>();
            for (var t : items) ids.add(t.sessionId());
            restore(ids);
        } else if (choice == 1) {
            emptyTrash(items.size());
        }
    }

    void emptyTrash(int count) {
        if (!ui.confirm(this, "Empty the trash", "Delete the " + count + " session" + (count == 1 ? "" : "s")
                + " in the trash for good?\n\nThis cannot be undone.", "Delete for good")) return;
        background.execute(() -> {
            Outcome o = service.emptyTrash();
            SwingUtilities.invokeLater(() -> {
                ui.inform(this, "Empty the trash", SessionsHtml.outcomeText(o));
                reload();
            });
        });
    }

    public void restore(Set<String> ids) {
        background.execute(() -> {
            Outcome o = service.restore(ids);
            SwingUtilities.invokeLater(() -> {
                ui.inform(this, "Restore", SessionsHtml.outcomeText(o));
                reload();
            });
        });
    }

    /** Makes the dry run in the background, shows it, and applies it when the user agrees. */
    private void run(String title, java.util.function.Supplier<Preview> plan) {
        status.setText("Preparing: " + title + "…");
        background.execute(() -> {
            Preview p;
            try {
                p = plan.get();
            } catch (RuntimeException e) {   // e.g. the named home went away: say so instead of losing it on this thread
                SwingUtilities.invokeLater(() -> {
                    status.setText(" ");
                    ui.inform(this, title, "Could not prepare it: " + e.getMessage());
                });
                return;
            }
            SwingUtilities.invokeLater(() -> {
                status.setText(" ");
                if (p.isEmpty()) {
                    ui.inform(this, title, "Nothing to do.\n\n" + SessionsHtml.previewText(p));
                    return;
                }
                if (!ui.confirm(this, title, SessionsHtml.previewText(p), "Apply")) return;
                background.execute(() -> {
                    Outcome o = service.apply(p);
                    SwingUtilities.invokeLater(() -> {
                        ui.inform(this, title, SessionsHtml.outcomeText(o));
                        reload();
                    });
                });
            });
        });
    }

    // ---- for tests ------------------------------------------------------------------------------------------------

    public SessionsListModel model() { return model; }

    public JList<SessionsListModel.Row> sessionList() { return list; }

    public String detailsHtml() { return details.getText(); }

    public String statusText() { return status.getText(); }

    public void setSearch(String text) { search.setText(text); }

    // ---- rendering ------------------------------------------------------------------------------------------------

    private final class RowRenderer implements ListCellRenderer<SessionsListModel.Row> {
        /** Lays itself out when the renderer pane sizes it, also without a display (no peer, so no validate()). */
        private final JPanel cell = new JPanel(new BorderLayout()) {
            @Override
            public void setBounds(int x, int y, int w, int h) {
                super.setBounds(x, y, w, h);
                doLayout();
            }
        };
        private final JLabel top = new JLabel(), bottom = new JLabel();

        RowRenderer() {
            cell.setBorder(BorderFactory.createEmptyBorder(3, 8, 3, 8));
            cell.add(top, BorderLayout.NORTH);
            cell.add(bottom, BorderLayout.SOUTH);
        }

        @Override
        public Component getListCellRendererComponent(JList<? extends SessionsListModel.Row> l, SessionsListModel.Row row,
                                                      int index, boolean selected, boolean focus) {
            Color bg = selected ? l.getSelectionBackground() : l.getBackground();
            Color fg = selected ? l.getSelectionForeground() : l.getForeground();
            Font base = l.getFont();
            if (row instanceof SessionsListModel.Group g) {
                cell.setBackground(selected ? bg : blend(l.getBackground(), l.getForeground(), 0.08));
                top.setFont(base.deriveFont(Font.BOLD));
                top.setForeground(fg);
                top.setText(g.project());
                bottom.setFont(base.deriveFont(base.getSize2D() - 1f));
                bottom.setForeground(blend(fg, bg, 0.4));
                bottom.setText(g.count() + (g.count() == 1 ? " session" : " sessions"));
            } else if (row instanceof SessionsListModel.Item it) {
                View v = it.view();
                cell.setBackground(bg);
                top.setFont(base);
                top.setForeground(fg);
                top.setText("   " + clip(v.displayName(), 80));
                bottom.setFont(base.deriveFont(base.getSize2D() - 1f));
                bottom.setForeground(!v.flags().isEmpty() && !selected ? new Color(0xB0, 0x50, 0x10) : blend(fg, bg, 0.4));
                StringBuilder sb = new StringBuilder("   ").append(ago(v.updatedAt(), clock.instant())).append(" · ")
                        .append(v.provider()).append(" · ").append(v.interactive() ? "interactive" : String.valueOf(v.source()))
                        .append(" · ").append(v.turns()).append(v.turns() == 1 ? " turn" : " turns");
                if (v.archived()) sb.append(" · archived");
                if (!v.flags().isEmpty()) sb.append(" · ").append(String.join(", ", v.flags()));
                bottom.setText(sb.toString());
            }
            cell.setOpaque(true);
            return cell;
        }
    }

    static String clip(String s, int n) {
        if (s == null) return "";
        s = SPACES.matcher(s).replaceAll(" ").strip();
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    static String ago(Instant t, Instant now) {
        if (t == null) return "unknown time";
        Duration d = Duration.between(t, now);
        if (d.isNegative() || d.toMinutes() < 1) return "just now";
        if (d.toMinutes() < 60) return d.toMinutes() + " min ago";
        if (d.toHours() < 24) return d.toHours() + " h ago";
        if (d.toDays() < 14) return d.toDays() + " days ago";
        return WHEN.format(t.atZone(ZoneId.systemDefault()));
    }

    static Color blend(Color a, Color b, double t) {
        return new Color((int) (a.getRed() * (1 - t) + b.getRed() * t), (int) (a.getGreen() * (1 - t) + b.getGreen() * t),
                (int) (a.getBlue() * (1 - t) + b.getBlue() * t));
    }
}
