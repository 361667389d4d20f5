package io.codexrelay.ui;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlException;
import io.codexrelay.app.LogQuery;
import io.codexrelay.app.ToolKeyView;

import javax.swing.BorderFactory;
import javax.swing.Box;
import javax.swing.BoxLayout;
import javax.swing.JButton;
import javax.swing.JComponent;
import javax.swing.JDialog;
import javax.swing.JLabel;
import javax.swing.JOptionPane;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTable;
import javax.swing.JTextField;
import javax.swing.KeyStroke;
import javax.swing.ListSelectionModel;
import javax.swing.SwingUtilities;
import javax.swing.UIManager;
import java.awt.BorderLayout;
import java.awt.Component;
import java.awt.Dialog;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.awt.Font;
import java.awt.GridBagConstraints;
import java.awt.GridBagLayout;
import java.awt.Insets;
import java.awt.Toolkit;
import java.awt.Window;
import java.awt.datatransfer.StringSelection;
import java.awt.event.KeyEvent;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/**
 * The Tool keys tab: every client key (Codex's own and one per tool), its limits and use since start; make a key
 * (shown once, with a Copy button, never again: the relay keeps only its hash), revoke one (after a confirmation),
 * and "Connect a tool…" ({@link ConnectToolDialog}). Everything goes through {@link ControlApi}'s key calls, the same
 * ones {@code codex-relay keys} uses.
 */
final class ToolKeysPanel extends JPanel {
    private final ControlApi control;
    private final UiTasks tasks;
    private final Map<String, String> env;
    private final Clock clock;
    private final ToolKeysTableModel model;
    private final JTable table;
    private final JLabel message = new JLabel(" ");
    private final JButton revoke = new JButton("Revoke…");

    ToolKeysPanel(ControlApi control, UiTasks tasks, Clock clock, ZoneId zone, Map<String, String> env) {
        super(new BorderLayout(0, 8));
        this.control = control;
        this.tasks = tasks;
        this.env = env;
        this.clock = clock;
        setName("tool-keys");
        setBorder(BorderFactory.createEmptyBorder(12, 12, 12, 12));
        JLabel intro = new JLabel(SettingsText.wrap("Each tool (Claude Code, opencode, Cursor, scripts on the OpenAI or Anthropic SDK) "
                + "gets its own key, so its requests can be limited, told apart in the request log and cut off on their own. "
                + "A new key is shown once; the relay keeps only its hash.", 620));
        add(intro, BorderLayout.NORTH);

        model = new ToolKeysTableModel(clock, zone);
        table = new JTable(model);
        table.setName("tool-keys-table");
        table.setSelectionMode(ListSelectionModel.SINGLE_SELECTION);
        table.setFillsViewportHeight(true);
        table.setRowHeight(Math.max(table.getRowHeight(), 24));
        TableColumns.keepFitted(table);
        // a cell too narrow for its text still tells all of it on hover
        table.setDefaultRenderer(Object.class, new javax.swing.table.DefaultTableCellRenderer() {
            @Override
            public Component getTableCellRendererComponent(JTable t, Object v, boolean sel, boolean focus, int row, int col) {
                var c = (JLabel) super.getTableCellRendererComponent(t, v, sel, focus, row, col);
                int need = c.getPreferredSize().width, have = t.getColumnModel().getColumn(col).getWidth();
                c.setToolTipText(need > have ? String.valueOf(v) : null);
                return c;
            }
        });
        var header = new javax.swing.table.JTableHeader(table.getColumnModel()) {
            @Override
            public String getToolTipText(java.awt.event.MouseEvent e) {
                int c = columnAtPoint(e.getPoint());
                return c < 0 ? null : ToolKeysTableModel.TIPS[table.convertColumnIndexToModel(c)];
            }
        };
        table.setTableHeader(header);
        javax.swing.ToolTipManager.sharedInstance().registerComponent(header);
        add(new JScrollPane(table), BorderLayout.CENTER);

        JButton connect = new JButton("Connect a tool…");
        connect.setName("connect-tool");
        connect.setMnemonic(KeyEvent.VK_T);
        JButton create = new JButton("Create key…");
        create.setName("create-key");
        revoke.setName("revoke-key");
        JPanel buttons = new JPanel();
        buttons.setLayout(new BoxLayout(buttons, BoxLayout.Y_AXIS));
        for (JButton b : new JButton[] {connect, create, revoke}) {
            b.setAlignmentX(Component.LEFT_ALIGNMENT);
            b.setMaximumSize(new Dimension(Integer.MAX_VALUE, b.getPreferredSize().height));
        }
        buttons.add(connect);
        buttons.add(Box.createVerticalStrut(18));
        buttons.add(create);
        buttons.add(Box.createVerticalStrut(6));
        buttons.add(revoke);
        add(buttons, BorderLayout.EAST);
        message.setName("tool-keys-message");
        add(message, BorderLayout.SOUTH);

        connect.addActionListener(e -> new ConnectToolDialog(control, tasks, env, clock, this::refresh).show(this));
        create.addActionListener(e -> createKey());
        revoke.addActionListener(e -> revokeSelected());
        table.getSelectionModel().addListSelectionListener(e -> updateButtons());
        updateButtons();
    }

    ToolKeysTableModel model() { return model; }

    static final String ANY_ACCOUNT = "Any (the pool chooses)";

    /** Re-reads the keys (and their use since start). */
    void refresh() {
        tasks.run(() -> {
            List<ToolKeyView> keys = control.keys();
            return new Listing(keys, lastUsed(keys));
        }, listing -> {
            String selected = selectedName();
            model.setKeys(listing.keys(), listing.lastUsed());
            for (int i = 0; i < model.getRowCount(); i++) {
                if (model.at(i).name().equals(selected)) table.getSelectionModel().setSelectionInterval(i, i);
            }
            updateButtons();
        }, this::error);
    }

    private record Listing(List<ToolKeyView> keys, Map<String, Instant> lastUsed) {}

    /**
     * Each key's newest request in the log (one indexed query per key: {@code request_log.client}); a key the log has
     * never seen, or a log that cannot be asked (an offline relay home without it), has none.
     */
    private Map<String, Instant> lastUsed(List<ToolKeyView> keys) {
        Map<String, Instant> out = new java.util.HashMap<>();
        for (ToolKeyView k : keys) {
            try {
                var newest = control.queryRequests(new LogQuery.Filter(null, LogQuery.StatusClass.ALL, null, null, k.name()), 0, 1);
                if (!newest.isEmpty() && newest.get(0).startedAt() != null) out.put(k.name(), newest.get(0).startedAt());
            } catch (ControlException | RuntimeException e) {
                return out;   // the log cannot tell: the column says "—"
            }
        }
        return out;
    }

    private String selectedName() {
        ToolKeyView k = model.at(table.getSelectedRow());
        return k == null ? null : k.name();
    }

    private void updateButtons() {
        ToolKeyView k = model.at(table.getSelectedRow());
        revoke.setEnabled(ToolKeysTableModel.revocable(k));
        revoke.setToolTipText(k != null && ToolKeysTableModel.isCodex(k)
                ? "Codex's own key: to replace it, delete client.key in the relay home and run `codex-relay codex on`." : null);
    }

    private void info(String s) { message.setForeground(UIManager.getColor("Label.foreground")); message.setText(s); }
    private void error(String s) { message.setForeground(Theme.RED); message.setText(s); }

    private void revokeSelected() {
        ToolKeyView k = model.at(table.getSelectedRow());
        if (!ToolKeysTableModel.revocable(k)) return;
        Object[] options = {"Revoke", "Cancel"};
        int answer = JOptionPane.showOptionDialog(this, SettingsText.wrap("Revoke the key “" + k.name() + "”? A tool that uses it is "
                        + "refused from its next request. A revoked key cannot come back; make a new one to connect the tool again.", 380),
                "Revoke key", JOptionPane.DEFAULT_OPTION, JOptionPane.WARNING_MESSAGE, null, options, options[1]);
        if (answer != 0) return;
        String name = k.name();
        tasks.run(() -> { control.revokeKey(name); return name; }, n -> { info("Revoked " + n + "."); refresh(); }, e -> { error(e); refresh(); });
    }

    /** The Create key dialog: a name and optional limits; then the key, once, with a Copy button. */
    private void createKey() {
        Window owner = SwingUtilities.getWindowAncestor(this);
        JDialog d = new JDialog(owner, "Create a tool key", Dialog.ModalityType.APPLICATION_MODAL);
        d.setName("create-key-dialog");
        JTextField name = new JTextField(22);
        name.setName("key-name");
        name.putClientProperty("JTextField.placeholderText", "e.g. my-script");
        JTextField rpm = new JTextField(6);
        rpm.setName("key-rpm");
        rpm.putClientProperty("JTextField.placeholderText", "no limit");
        JTextField max = new JTextField(6);
        max.setName("key-max");
        max.putClientProperty("JTextField.placeholderText", "no limit");
        javax.swing.JComboBox<String> account = new javax.swing.JComboBox<>(new String[] {ANY_ACCOUNT});
        account.setName("key-account");
        javax.swing.JCheckBox strict = new javax.swing.JCheckBox("Only this account (no failover to others)");
        strict.setName("key-strict");
        strict.setEnabled(false);
        account.addActionListener(e -> {
            strict.setEnabled(account.getSelectedIndex() > 0);
            if (account.getSelectedIndex() == 0) strict.setSelected(false);
        });
        tasks.run(control::status, pool -> {
            for (var a : pool.accounts()) account.addItem(a.name());
        }, e -> { });
        JLabel err = new JLabel(" ");
        err.setName("key-error");
        err.setForeground(Theme.RED);
        JPanel form = form(new String[] {"Name", "Account", "", "Requests a minute", "Requests at once"},
                new JComponent[] {name, account, strict, rpm, max});
        JButton ok = new JButton("Create");
        ok.setName("key-create");
        JButton cancel = new JButton("Cancel");
        JPanel content = new JPanel(new BorderLayout(0, 10));
        content.setBorder(BorderFactory.createEmptyBorder(14, 16, 12, 16));
        content.add(form, BorderLayout.CENTER);
        JPanel south = new JPanel(new BorderLayout(0, 8));
        south.add(err, BorderLayout.NORTH);
        JPanel bar = new JPanel(new FlowLayout(FlowLayout.RIGHT, 6, 0));
        bar.add(ok);
        bar.add(cancel);
        south.add(bar, BorderLayout.SOUTH);
        content.add(south, BorderLayout.SOUTH);
        d.setContentPane(content);
        d.getRootPane().setDefaultButton(ok);
        cancel.addActionListener(e -> d.dispose());
        ok.addActionListener(e -> {
            String n = name.getText().trim();
            if (n.isEmpty()) { err.setText("Give the key a name, e.g. the tool's."); return; }
            Integer r, m;
            try {
                r = rpm.getText().isBlank() ? null : Integer.valueOf(rpm.getText().trim());
                m = max.getText().isBlank() ? null : Integer.valueOf(max.getText().trim());
            } catch (NumberFormatException ex) {
                err.setText("The limits are whole numbers (or empty for none).");
                return;
            }
            String acc = account.getSelectedIndex() <= 0 ? null : (String) account.getSelectedItem();
            boolean only = acc != null && strict.isSelected();
            ok.setEnabled(false);
            tasks.run(() -> control.createKey(new ControlApi.NewToolKey(n, r, m, acc, only)), created -> {
                showOnce(d, created);
                refresh();
            }, msg -> { ok.setEnabled(true); err.setText(msg); });
        });
        escapeCloses(d, null);
        d.pack();
        d.setLocationRelativeTo(owner);
        d.setVisible(true);
    }

    /** Replaces the dialog's form with the new key: shown this once, with Copy; the text is cleared when it closes. */
    private void showOnce(JDialog d, ControlApi.CreatedToolKey created) {
        JTextField value = new JTextField(created.key(), 40);
        value.setName("key-value");
        value.setEditable(false);
        value.setFont(new Font(Font.MONOSPACED, Font.PLAIN, value.getFont().getSize()));
        JButton copy = new JButton("Copy");
        copy.setName("key-copy");
        JButton done = new JButton("Done");
        done.setName("key-done");
        JLabel note = new JLabel(SettingsText.wrap("The key for “" + created.name() + "”. It is shown only now: copy it into the tool. "
                + "The relay keeps only its hash, so it cannot show it again.", 440));
        JLabel copied = new JLabel(" ");
        copied.setName("key-copied");
        copy.addActionListener(e -> {
            Toolkit.getDefaultToolkit().getSystemClipboard().setContents(new StringSelection(value.getText()), null);
            copied.setText("Copied.");
        });
        Runnable close = () -> {
            value.setText("");   // not kept in the window's memory after it closes
            d.dispose();
        };
        done.addActionListener(e -> close.run());
        JPanel row = new JPanel(new BorderLayout(6, 0));
        row.add(value, BorderLayout.CENTER);
        row.add(copy, BorderLayout.EAST);
        JPanel content = new JPanel(new BorderLayout(0, 10));
        content.setBorder(BorderFactory.createEmptyBorder(14, 16, 12, 16));
        content.add(note, BorderLayout.NORTH);
        content.add(row, BorderLayout.CENTER);
        JPanel south = new JPanel(new BorderLayout());
        south.add(copied, BorderLayout.CENTER);
        JPanel bar = new JPanel(new FlowLayout(FlowLayout.RIGHT, 6, 0));
        bar.add(done);
        south.add(bar, BorderLayout.EAST);
        content.add(south, BorderLayout.SOUTH);
        d.setContentPane(content);
        d.getRootPane().setDefaultButton(done);
        escapeCloses(d, close);
        d.addWindowListener(new java.awt.event.WindowAdapter() {
            @Override public void windowClosing(java.awt.event.WindowEvent e) { value.setText(""); }
        });
        d.pack();
        d.setLocationRelativeTo(d.getOwner());
        info("Created " + created.name() + ".");
    }

    static void escapeCloses(JDialog d, Runnable close) {
        d.getRootPane().registerKeyboardAction(e -> { if (close != null) close.run(); else d.dispose(); },
                KeyStroke.getKeyStroke("ESCAPE"), JComponent.WHEN_IN_FOCUSED_WINDOW);
    }

    static JPanel form(String[] labels, JComponent[] fields) {
        JPanel p = new JPanel(new GridBagLayout());
        for (int i = 0; i < labels.length; i++) {
            var lc = new GridBagConstraints();
            lc.gridx = 0; lc.gridy = i; lc.anchor = GridBagConstraints.WEST; lc.insets = new Insets(4, 0, 4, 10);
            p.add(new JLabel(labels[i]), lc);
            var fc = new GridBagConstraints();
            fc.gridx = 1; fc.gridy = i; fc.fill = GridBagConstraints.HORIZONTAL; fc.weightx = 1; fc.insets = new Insets(4, 0, 4, 0);
            p.add(fields[i], fc);
        }
        return p;
    }
}
