package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlApi.AccountChanges;

import javax.swing.BorderFactory;
import javax.swing.Box;
import javax.swing.BoxLayout;
import javax.swing.JButton;
import javax.swing.JComponent;
import javax.swing.JDialog;
import javax.swing.JFileChooser;
import javax.swing.JLabel;
import javax.swing.JOptionPane;
import javax.swing.JPanel;
import javax.swing.JPasswordField;
import javax.swing.JScrollPane;
import javax.swing.JTable;
import javax.swing.JTextField;
import javax.swing.ListSelectionModel;
import java.awt.BorderLayout;
import java.awt.Component;
import java.awt.Desktop;
import java.awt.FlowLayout;
import java.awt.GridBagConstraints;
import java.awt.GridBagLayout;
import java.awt.Insets;
import java.awt.Toolkit;
import java.awt.Window;
import java.awt.datatransfer.StringSelection;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/**
 * Accounts tab: the pool as a table (priority, max in flight and enabled edited in place), and the account
 * actions: add an API key, log in with ChatGPT (browser or pasted address), import from a Codex home, remove,
 * move up/down in priority.
 */
public final class AccountsPanel extends JPanel {
    private final ControlApi control;
    private final UiTasks tasks;
    private final Map<String, String> env;
    private final AccountsTableModel model;
    private final JTable table;
    private final JLabel message = new JLabel(" ");
    private final JButton remove = new JButton("Remove…");
    private final JButton up = new JButton("Move up");
    private final JButton down = new JButton("Move down");

    public AccountsPanel(ControlApi control, UiTasks tasks, Clock clock, ZoneId zone, Map<String, String> env) {
        super(new BorderLayout(0, 8));
        this.control = control;
        this.tasks = tasks;
        this.env = env;
        setBorder(BorderFactory.createEmptyBorder(12, 12, 12, 12));
        model = new AccountsTableModel(clock, zone, this::edit);
        table = new JTable(model);
        table.setName("accounts-table");
        table.setSelectionMode(ListSelectionModel.SINGLE_SELECTION);
        table.setFillsViewportHeight(true);
        table.setRowHeight(Math.max(table.getRowHeight(), 24));
        TableColumns.keepFitted(table);   // every title and text whole (the Pace column made 10 columns)
        // the pace of each window in full, since the cell holds only the one that runs dry first
        table.getColumnModel().getColumn(AccountsTableModel.PACE).setCellRenderer(new javax.swing.table.DefaultTableCellRenderer() {
            @Override
            public Component getTableCellRendererComponent(JTable t, Object v, boolean sel, boolean focus, int row, int col) {
                var c = (javax.swing.JLabel) super.getTableCellRendererComponent(t, v, sel, focus, row, col);
                AccountStatus acc = model.at(t.convertRowIndexToModel(row));
                String tip = acc == null ? null : model.paceDetail(acc);
                c.setToolTipText(tip == null ? null : "<html>" + tip.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>") + "</html>");
                return c;
            }
        });
        add(new JScrollPane(table), BorderLayout.CENTER);

        JPanel buttons = new JPanel();
        buttons.setLayout(new BoxLayout(buttons, BoxLayout.Y_AXIS));
        JButton addKey = new JButton("Add API key…");
        addKey.setName("add-api-key");
        JButton login = new JButton("Log in with ChatGPT…");
        login.setName("chatgpt-login");
        JButton importCodex = new JButton("Import from Codex…");
        importCodex.setName("import-codex");
        for (JButton b : new JButton[] {addKey, login, importCodex, remove, up, down}) {
            b.setAlignmentX(Component.LEFT_ALIGNMENT);
            b.setMaximumSize(new java.awt.Dimension(Integer.MAX_VALUE, b.getPreferredSize().height));
        }
        buttons.add(addKey);
        buttons.add(Box.createVerticalStrut(6));
        buttons.add(login);
        buttons.add(Box.createVerticalStrut(6));
        buttons.add(importCodex);
        buttons.add(Box.createVerticalStrut(18));
        buttons.add(up);
        buttons.add(Box.createVerticalStrut(6));
        buttons.add(down);
        buttons.add(Box.createVerticalStrut(18));
        buttons.add(remove);
        add(buttons, BorderLayout.EAST);
        add(message, BorderLayout.SOUTH);

        addKey.addActionListener(e -> addApiKey());
        login.addActionListener(e -> chatGptLogin());
        importCodex.addActionListener(e -> importFromCodex());
        remove.addActionListener(e -> removeSelected());
        up.addActionListener(e -> moveSelected(-1));
        down.addActionListener(e -> moveSelected(1));
        table.getSelectionModel().addListSelectionListener(e -> updateButtons());
        updateButtons();
    }

    /** Re-reads the pool. */
    public void refresh() {
        tasks.run(control::status, s -> show(s.accounts()), this::error);
    }

    /**
     * Shows a pool snapshot the tray already read (quota moved, an account ran out, time passed). EDT. Skipped while a
     * cell is being edited, so a number being typed is not thrown away; the next snapshot catches up.
     */
    public void show(List<AccountStatus> accounts) {
        if (table.isEditing()) return;
        String selected = selectedName();
        model.setAccounts(accounts);
        for (int i = 0; i < model.getRowCount(); i++) {
            if (model.at(i).name().equals(selected)) table.getSelectionModel().setSelectionInterval(i, i);
        }
        updateButtons();
    }

    public AccountsTableModel model() { return model; }

    private String selectedName() {
        AccountStatus a = model.at(table.getSelectedRow());
        return a == null ? null : a.name();
    }

    private void updateButtons() {
        int row = table.getSelectedRow();
        remove.setEnabled(row >= 0);
        up.setEnabled(row > 0);
        down.setEnabled(row >= 0 && row < model.getRowCount() - 1);
    }

    private void info(String s) { message.setForeground(javax.swing.UIManager.getColor("Label.foreground")); message.setText(s); }
    private void error(String s) { message.setForeground(Theme.RED); message.setText(s); }

    private void edit(String name, AccountChanges changes) {
        tasks.run(() -> control.updateAccount(name, changes), a -> { info("Saved " + a.name() + "."); refresh(); }, e -> { error(e); refresh(); });
    }

    private void moveSelected(int delta) {
        int row = table.getSelectedRow();
        String name = selectedName();
        List<AccountsTableModel.PriorityChange> changes = model.move(row, delta);
        if (changes.isEmpty()) return;
        tasks.run(() -> {
            for (var c : changes) control.updateAccount(c.account(), new AccountChanges(c.priority(), null, null));
            return name;
        }, n -> { info("Moved " + n + (delta < 0 ? " up." : " down.")); refresh(); }, e -> { error(e); refresh(); });
    }

    private void removeSelected() {
        String name = selectedName();
        if (name == null) return;
        int answer = JOptionPane.showConfirmDialog(this, "Remove the account “" + name + "”?\nIts stored credentials are deleted "
                + "from the relay. Codex's own files are not touched.", "Remove account", JOptionPane.OK_CANCEL_OPTION, JOptionPane.WARNING_MESSAGE);
        if (answer != JOptionPane.OK_OPTION) return;
        tasks.run(() -> { control.removeAccount(name); return name; }, n -> { info("Removed " + n + "."); refresh(); }, this::error);
    }

    private void importFromCodex() {
        String codexHome = env.get("CODEX_HOME");
        Path start = codexHome != null && !codexHome.isBlank() ? Path.of(codexHome) : Path.of(System.getProperty("user.home"), ".codex");
        JFileChooser chooser = new JFileChooser(start.toFile());
        chooser.setFileSelectionMode(JFileChooser.DIRECTORIES_ONLY);
        chooser.setDialogTitle("Choose a Codex home (the folder that holds auth.json)");
        chooser.setSelectedFile(start.toFile());
        if (chooser.showDialog(this, "Import") != JFileChooser.APPROVE_OPTION) return;
        Path dir = chooser.getSelectedFile().toPath();
        String name = JOptionPane.showInputDialog(this, "Name for this account (leave empty to use its e-mail):", "Import from Codex",
                JOptionPane.QUESTION_MESSAGE);
        if (name == null) return;
        tasks.run(() -> control.importCodex(dir, name.isBlank() ? null : name.trim()),
                a -> { info("Imported " + a.name() + (a.email() == null ? "" : " (" + a.email() + ")") + "."); refresh(); }, this::error);
    }

    private void addApiKey() {
        Window owner = javax.swing.SwingUtilities.getWindowAncestor(this);
        JDialog d = new JDialog(owner, "Add API key", java.awt.Dialog.ModalityType.APPLICATION_MODAL);
        JTextField name = new JTextField(22);
        name.setName("api-key-name");
        JPasswordField key = new JPasswordField(22);
        key.setName("api-key-secret");
        JTextField base = new JTextField(22);
        base.setName("api-key-base-url");
        base.putClientProperty("JTextField.placeholderText", "default from Relay settings");
        JTextField priority = new JTextField("100", 6);
        JTextField max = new JTextField(6);
        max.putClientProperty("JTextField.placeholderText", "default");
        JLabel err = new JLabel(" ");
        err.setForeground(Theme.RED);
        JPanel form = formPanel(new String[] {"Name", "API key", "Base URL", "Priority", "Max in flight"},
                new JComponent[] {name, key, base, priority, max});
        JButton ok = new JButton("Add");
        ok.setName("api-key-add");
        JButton cancel = new JButton("Cancel");
        ok.addActionListener(e -> {
            String n = name.getText().trim();
            char[] k = key.getPassword();
            if (n.isEmpty()) { err.setText("Give the account a name."); return; }
            if (k.length == 0) { err.setText("Paste the API key."); return; }
            Integer p, m;
            try {
                p = priority.getText().isBlank() ? null : Integer.valueOf(priority.getText().trim());
                m = max.getText().isBlank() ? null : Integer.valueOf(max.getText().trim());
            } catch (NumberFormatException ex) {
                err.setText("Priority and max in flight are whole numbers.");
                return;
            }
            String b = base.getText().isBlank() ? null : base.getText().trim();
            if (b != null && !(b.startsWith("https://") || b.startsWith("http://"))) { err.setText("The base URL starts with https://"); return; }
            ok.setEnabled(false);
            var req = new ControlApi.NewApiKey(n, new String(k), b, p, m);
            java.util.Arrays.fill(k, '\0');
            tasks.run(() -> control.addApiKey(req), a -> { d.dispose(); info("Added " + a.name() + " (key " + a.secretHint() + ")."); refresh(); },
                    msg -> { ok.setEnabled(true); err.setText(msg); });
        });
        cancel.addActionListener(e -> d.dispose());
        showDialog(d, form, err, ok, cancel);
    }

    private void chatGptLogin() {
        Window owner = javax.swing.SwingUtilities.getWindowAncestor(this);
        JDialog d = new JDialog(owner, "Log in with ChatGPT", java.awt.Dialog.ModalityType.MODELESS);
        JTextField name = new JTextField(24);
        name.setName("login-name");
        name.putClientProperty("JTextField.placeholderText", "optional; defaults to the e-mail");
        JTextField url = new JTextField(36);
        url.setEditable(false);
        JTextField pasted = new JTextField(36);
        pasted.setName("login-pasted-url");
        pasted.putClientProperty("JTextField.placeholderText", "http://localhost:1455/auth/callback?code=…");
        JLabel err = new JLabel("Signs in through your browser, as Codex does. Nothing is sent anywhere but OpenAI.");
        JButton start = new JButton("Open browser");
        JButton copy = new JButton("Copy address");
        JButton finish = new JButton("Finish with pasted address");
        JButton cancel = new JButton("Cancel");
        copy.setEnabled(false);
        finish.setEnabled(false);
        JPanel form = formPanel(new String[] {"Name", "Sign-in address", "If the browser ends on an error page, paste its address"},
                new JComponent[] {name, url, pasted});
        ControlApi.ChatGptLogin[] flow = new ControlApi.ChatGptLogin[1];
        start.addActionListener(e -> {
            start.setEnabled(false);
            tasks.run(() -> control.startChatGptLogin(name.getText().isBlank() ? null : name.getText().trim()), f -> {
                flow[0] = f;
                url.setText(f.authorizeUrl());
                copy.setEnabled(true);
                finish.setEnabled(true);
                err.setForeground(javax.swing.UIManager.getColor("Label.foreground"));
                err.setText("Waiting for the browser…");
                try {
                    if (Desktop.isDesktopSupported() && Desktop.getDesktop().isSupported(Desktop.Action.BROWSE)) {
                        Desktop.getDesktop().browse(URI.create(f.authorizeUrl()));
                    } else {
                        err.setText("Open the address below in a browser.");
                    }
                } catch (Exception ex) {
                    err.setText("Could not open a browser; copy the address below into one.");
                }
                f.result().whenComplete((acct, ex) -> javax.swing.SwingUtilities.invokeLater(() -> {
                    if (ex == null) {
                        d.dispose();
                        info("Logged in: " + acct.name() + (acct.email() == null ? "" : " (" + acct.email() + ")") + ".");
                        refresh();
                    } else {
                        Throwable c = ex instanceof java.util.concurrent.CompletionException && ex.getCause() != null ? ex.getCause() : ex;
                        err.setForeground(Theme.RED);
                        err.setText(UiTasks.message(c));
                        start.setEnabled(true);
                    }
                }));
            }, msg -> { err.setForeground(Theme.RED); err.setText(msg); start.setEnabled(true); });
        });
        copy.addActionListener(e -> Toolkit.getDefaultToolkit().getSystemClipboard().setContents(new StringSelection(url.getText()), null));
        finish.addActionListener(e -> {
            if (flow[0] == null || pasted.getText().isBlank()) return;
            String u = pasted.getText().trim();
            tasks.run(() -> { flow[0].completeWith(u); return u; }, x -> err.setText("Checking…"),
                    msg -> { err.setForeground(Theme.RED); err.setText(msg); });
        });
        cancel.addActionListener(e -> {
            if (flow[0] != null) flow[0].cancel();
            d.dispose();
        });
        showDialog(d, form, err, start, copy, finish, cancel);
    }

    private static JPanel formPanel(String[] labels, JComponent[] fields) {
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

    private static void showDialog(JDialog d, JPanel form, JLabel message, JButton... buttons) {
        JPanel content = new JPanel(new BorderLayout(0, 10));
        content.setBorder(BorderFactory.createEmptyBorder(14, 16, 12, 16));
        content.add(form, BorderLayout.CENTER);
        JPanel south = new JPanel(new BorderLayout(0, 8));
        south.add(message, BorderLayout.NORTH);
        JPanel bar = new JPanel(new FlowLayout(FlowLayout.RIGHT, 6, 0));
        for (JButton b : buttons) bar.add(b);
        south.add(bar, BorderLayout.SOUTH);
        content.add(south, BorderLayout.SOUTH);
        d.setContentPane(content);
        d.getRootPane().setDefaultButton(buttons[0]);
        d.getRootPane().registerKeyboardAction(e -> d.dispose(), javax.swing.KeyStroke.getKeyStroke("ESCAPE"),
                JComponent.WHEN_IN_FOCUSED_WINDOW);
        d.pack();
        d.setLocationRelativeTo(d.getOwner());
        d.setVisible(true);
    }
}
