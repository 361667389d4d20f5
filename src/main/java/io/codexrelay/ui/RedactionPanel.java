package io.codexrelay.ui;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlException;
import io.codexrelay.app.RedactionEntry;

import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JCheckBox;
import javax.swing.JComboBox;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JSplitPane;
import javax.swing.JTable;
import javax.swing.JTextArea;
import javax.swing.JTextField;
import javax.swing.ListSelectionModel;
import javax.swing.table.AbstractTableModel;
import java.awt.BorderLayout;
import java.awt.Color;
import java.awt.FlowLayout;
import java.awt.GridBagConstraints;
import java.awt.GridBagLayout;
import java.awt.Insets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Redaction tab of the Settings window (issue 12): the {@code [[redact]]} rules of config.toml, added, edited and
 * removed here, checked with the loader's own messages (a bad regex is refused before it reaches the list), saved
 * through {@link ControlApi#saveRedactionRules} (atomic write with a backup, applied to the next request), and a
 * "Try it" box that runs the rules being edited on a sample text. Nothing typed here is logged: rule texts and samples
 * may be the very secrets the rules hide.
 */
final class RedactionPanel extends JPanel {
    static final String[] CLIENTS = {"codex", "claude", "chat"};

    private final ControlApi control;
    private final UiTasks tasks;
    final List<RedactionEntry> rules = new ArrayList<>();
    private boolean dirty;

    final RulesModel model = new RulesModel();
    final JTable table = new JTable(model);
    final JTextField name = new JTextField(16);
    final JComboBox<String> kind = new JComboBox<>(new String[] {"literal", "regex"});
    final JTextField text = new JTextField(24);
    final JCheckBox ignoreCase = new JCheckBox("Ignore case");
    final JTextField replacement = new JTextField("[redacted]", 14);
    final JTextField accounts = new JTextField(16);
    final JCheckBox[] clients = Arrays.stream(CLIENTS).map(JCheckBox::new).toArray(JCheckBox[]::new);
    final JButton add = new JButton("Add");
    final JButton update = new JButton("Update selected");
    final JButton remove = new JButton("Remove");
    final JButton save = new JButton("Save rules");
    final JButton reload = new JButton("Reload");
    final JLabel message = new JLabel(" ");
    final JLabel fileProblem = new JLabel(" ");
    final JTextArea sample = new JTextArea(4, 40);
    final JTextArea result = new JTextArea(4, 40);
    final JButton tryIt = new JButton("Try it");
    final JLabel tryCount = new JLabel(" ");

    RedactionPanel(ControlApi control, UiTasks tasks) {
        super(new BorderLayout());
        this.control = control;
        this.tasks = tasks;
        setName("redaction");
        table.setSelectionMode(ListSelectionModel.SINGLE_SELECTION);
        table.getSelectionModel().addListSelectionListener(e -> { if (!e.getValueIsAdjusting()) showSelected(); });
        fileProblem.setForeground(new Color(0xB0, 0x20, 0x20));
        message.setName("redaction-message");
        result.setEditable(false);
        sample.setLineWrap(true);
        result.setLineWrap(true);

        JPanel editor = new JPanel(new GridBagLayout());
        editor.setBorder(BorderFactory.createTitledBorder("Rule"));
        int row = 0;
        row = field(editor, row, "Name", name);
        JPanel what = new JPanel(new FlowLayout(FlowLayout.LEFT, 4, 0));
        what.add(kind);
        what.add(text);
        what.add(ignoreCase);
        row = field(editor, row, "Hide", what);
        row = field(editor, row, "Replace with", replacement);
        row = field(editor, row, "Only accounts (comma-separated; empty = all)", accounts);
        JPanel tools = new JPanel(new FlowLayout(FlowLayout.LEFT, 4, 0));
        for (JCheckBox c : clients) tools.add(c);
        tools.add(new JLabel("(none ticked = every tool)"));
        row = field(editor, row, "Only tools", tools);
        JPanel buttons = new JPanel(new FlowLayout(FlowLayout.LEFT, 6, 0));
        for (JButton b : List.of(add, update, remove, save, reload)) buttons.add(b);
        field(editor, row, "", buttons);

        JPanel tryBox = new JPanel(new BorderLayout(6, 6));
        tryBox.setBorder(BorderFactory.createTitledBorder("Try it (the rules above, on a sample; nothing is sent or logged)"));
        JPanel texts = new JPanel(new java.awt.GridLayout(1, 2, 6, 0));
        texts.add(new JScrollPane(sample));
        texts.add(new JScrollPane(result));
        tryBox.add(texts, BorderLayout.CENTER);
        JPanel tryBar = new JPanel(new FlowLayout(FlowLayout.LEFT, 6, 0));
        tryBar.add(tryIt);
        tryBar.add(tryCount);
        tryBox.add(tryBar, BorderLayout.SOUTH);

        JPanel south = new JPanel(new BorderLayout());
        south.add(editor, BorderLayout.NORTH);
        south.add(message, BorderLayout.CENTER);
        south.add(tryBox, BorderLayout.SOUTH);

        JPanel north = new JPanel(new BorderLayout());
        north.add(fileProblem, BorderLayout.NORTH);
        north.add(new JScrollPane(table), BorderLayout.CENTER);
        JSplitPane split = new JSplitPane(JSplitPane.VERTICAL_SPLIT, north, south);
        split.setResizeWeight(0.4);
        add(split, BorderLayout.CENTER);
        setBorder(BorderFactory.createEmptyBorder(8, 8, 8, 8));

        add.addActionListener(e -> addRule());
        update.addActionListener(e -> updateRule());
        remove.addActionListener(e -> removeRule());
        save.addActionListener(e -> save());
        reload.addActionListener(e -> refresh());
        tryIt.addActionListener(e -> tryRules());
        updateButtons();
    }

    private static int field(JPanel p, int row, String label, java.awt.Component c) {
        GridBagConstraints g = new GridBagConstraints();
        g.gridy = row;
        g.insets = new Insets(2, 4, 2, 4);
        g.anchor = GridBagConstraints.WEST;
        p.add(new JLabel(label), g);
        g.gridx = 1;
        g.weightx = 1;
        g.fill = GridBagConstraints.HORIZONTAL;
        p.add(c, g);
        return row + 1;
    }

    /** Reads the rules and the last hand edit's problem from the relay (drops unsaved edits). EDT. */
    void refresh() {
        tasks.run(() -> new Loaded(control.redactionRules(), control.configProblem()), loaded -> {
            rules.clear();
            rules.addAll(loaded.rules());
            dirty = false;
            model.fireTableDataChanged();
            fileProblem.setText(loaded.problem() == null ? " "
                    : "<html>config.toml was edited but not applied (the previous settings stay): " + escape(loaded.problem()) + "</html>");
            message.setText(" ");
            updateButtons();
        }, err -> message.setText("Could not read the rules: " + err));
    }

    private record Loaded(List<RedactionEntry> rules, String problem) {}

    /** The rule the editor fields describe. */
    RedactionEntry edited() {
        List<String> scope = new ArrayList<>();
        for (JCheckBox c : clients) if (c.isSelected()) scope.add(c.getText());
        List<String> accs = Arrays.stream(accounts.getText().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        return new RedactionEntry(name.getText(), "regex".equals(kind.getSelectedItem()), text.getText(), ignoreCase.isSelected(),
                replacement.getText(), accs, scope);
    }

    void addRule() {
        List<RedactionEntry> next = new ArrayList<>(rules);
        next.add(edited());
        if (accept(next)) table.getSelectionModel().setSelectionInterval(rules.size() - 1, rules.size() - 1);
    }

    void updateRule() {
        int i = table.getSelectedRow();
        if (i < 0) return;
        List<RedactionEntry> next = new ArrayList<>(rules);
        next.set(i, edited());
        if (accept(next)) table.getSelectionModel().setSelectionInterval(i, i);
    }

    void removeRule() {
        int i = table.getSelectedRow();
        if (i < 0) return;
        List<RedactionEntry> next = new ArrayList<>(rules);
        next.remove(i);
        accept(next);
    }

    /** Takes {@code next} as the list being edited when the loader accepts every rule; else shows why and keeps the old list. */
    private boolean accept(List<RedactionEntry> next) {
        String problem = RedactionEntry.problem(next);
        if (problem != null) {
            message.setText("<html>Not taken: " + escape(problem) + "</html>");
            return false;
        }
        rules.clear();
        rules.addAll(next);
        dirty = true;
        model.fireTableDataChanged();
        message.setText("Not saved yet: press Save rules to write config.toml.");
        updateButtons();
        return true;
    }

    void save() {
        List<RedactionEntry> toSave = List.copyOf(rules);
        tasks.run(() -> { control.saveRedactionRules(toSave); return toSave.size(); }, n -> {
            dirty = false;
            message.setText("Saved " + n + " rule(s) to config.toml (previous file backed up); they apply to the next request.");
            updateButtons();
        }, err -> message.setText("<html>" + escape(err) + "</html>"));
    }

    void tryRules() {
        try {
            RedactionEntry.TryResult r = RedactionEntry.tryOn(rules, sample.getText());
            result.setText(r.text());
            tryCount.setText(r.replacements() + " replacement(s)");
        } catch (ControlException e) {
            result.setText("");
            tryCount.setText("<html>" + escape(e.getMessage()) + "</html>");
        }
    }

    boolean dirty() { return dirty; }

    private void showSelected() {
        int i = table.getSelectedRow();
        updateButtons();
        if (i < 0 || i >= rules.size()) return;
        RedactionEntry r = rules.get(i);
        name.setText(r.name());
        kind.setSelectedItem(r.regex() ? "regex" : "literal");
        text.setText(r.text());
        ignoreCase.setSelected(r.ignoreCase());
        replacement.setText(r.replacement());
        accounts.setText(String.join(", ", r.accounts()));
        for (JCheckBox c : clients) c.setSelected(r.clients().contains(c.getText()));
    }

    private void updateButtons() {
        boolean selected = table.getSelectedRow() >= 0;
        update.setEnabled(selected);
        remove.setEnabled(selected);
        save.setEnabled(dirty);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Name, what it hides, replacement, scope. */
    final class RulesModel extends AbstractTableModel {
        private final String[] columns = {"Name", "Hides", "Replacement", "Scope"};

        @Override public int getRowCount() { return rules.size(); }
        @Override public int getColumnCount() { return columns.length; }
        @Override public String getColumnName(int c) { return columns[c]; }

        @Override
        public Object getValueAt(int row, int col) {
            RedactionEntry r = rules.get(row);
            return switch (col) {
                case 0 -> r.name().isEmpty() ? "rule " + (row + 1) : r.name();
                case 1 -> (r.regex() ? "regex " : "literal ") + r.text() + (r.ignoreCase() ? " (any case)" : "");
                case 2 -> r.replacement().isEmpty() ? "(removed)" : r.replacement();
                default -> scope(r);
            };
        }

        private String scope(RedactionEntry r) {
            String a = r.accounts().isEmpty() ? "all accounts" : String.join(", ", r.accounts());
            String c = r.clients().isEmpty() ? "all tools" : String.join(", ", r.clients());
            return a + "; " + c;
        }
    }
}
