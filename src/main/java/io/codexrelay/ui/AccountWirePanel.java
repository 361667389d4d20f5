package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlApi.AccountChanges;

import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JCheckBox;
import javax.swing.JComboBox;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTextArea;
import javax.swing.JTextField;
import java.awt.FlowLayout;
import java.awt.GridBagConstraints;
import java.awt.GridBagLayout;
import java.awt.Insets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One account's provider settings (issue 12), opened from the Accounts tab: what its upstream speaks (wire), how a
 * Codex socket request reaches it (WebSocket or HTTP, issue 10), its model
 * rules (one {@code PATTERN=MODEL} per line), the tools it serves (Codex, Claude Code, Chat Completions clients; none
 * ticked = every tool), where its balance is polled, and the parameters its upstream refused (with a button to forget
 * them). ChatGPT logins have no wire, rules or balance: those fields are disabled and say why. Saving sends only what
 * changed through {@link ControlApi#updateAccount}, so the relay's own validation (and its message) applies.
 */
public final class AccountWirePanel extends JPanel {
    static final String[] WIRES = {"responses", "chat", "anthropic"};
    static final String[] CLIENTS = {"codex", "claude", "chat"};
    private static final String[] CLIENT_LABELS = {"Codex", "Claude Code", "Chat Completions tools"};

    private final ControlApi control;
    private final UiTasks tasks;
    private final Consumer<AccountStatus> onSaved;
    private AccountStatus account;

    /** The account's own upstream transport (issue 10): as the pool says, WebSocket, HTTP. */
    static final String[] TRANSPORTS = {"pool", "on", "off"};
    private static final String[] TRANSPORT_LABELS = {"As the pool says (websocket.api_key_upstream)", "WebSocket", "HTTP"};

    final JComboBox<String> wire = new JComboBox<>(WIRES);
    final JComboBox<String> transport = new JComboBox<>(TRANSPORT_LABELS);
    final JTextArea rules = new JTextArea(4, 32);
    final JCheckBox[] clients = new JCheckBox[CLIENTS.length];
    final JTextField balanceUrl = new JTextField(32);
    final JTextField balancePath = new JTextField(20);
    final JTextField balanceLimitPath = new JTextField(20);
    final JTextField balanceInterval = new JTextField(6);
    final JLabel learned = new JLabel(" ");
    final JButton forget = new JButton("Forget learned parameters");
    final JButton save = new JButton("Save");
    final JLabel message = new JLabel(" ");

    public AccountWirePanel(ControlApi control, UiTasks tasks, AccountStatus account, Consumer<AccountStatus> onSaved) {
        super(new GridBagLayout());
        this.control = control;
        this.tasks = tasks;
        this.onSaved = onSaved;
        setName("account-wire-panel");
        setBorder(BorderFactory.createEmptyBorder(12, 12, 12, 12));
        wire.setName("wire");
        rules.setName("model-rules");
        balanceUrl.setName("balance-url");
        balancePath.setName("balance-path");
        balanceLimitPath.setName("balance-limit-path");
        balanceInterval.setName("balance-interval");
        forget.setName("forget-params");
        save.setName("save");
        message.setName("message");

        int row = 0;
        row = add(row, "Upstream speaks", wire, "responses: the OpenAI Responses API; chat: Chat Completions (DeepSeek, "
                + "OpenRouter, Ollama ...); anthropic: Anthropic Messages.");
        transport.setName("websocket");
        row = add(row, "Transport", transport, "How the relay reaches a Responses upstream when Codex comes over a "
                + "WebSocket: its own socket to the provider, or HTTP. ChatGPT logins always use WebSocket.");
        row = add(row, "Model rules", new JScrollPane(rules), "One PATTERN=MODEL per line, first match wins, e.g. "
                + "gpt-5*=deepseek-chat. With rules the account serves only matching models.");
        JPanel tools = new JPanel(new FlowLayout(FlowLayout.LEFT, 0, 0));
        for (int i = 0; i < CLIENTS.length; i++) {
            clients[i] = new JCheckBox(CLIENT_LABELS[i]);
            clients[i].setName("client-" + CLIENTS[i]);
            tools.add(clients[i]);
        }
        row = add(row, "Serves", tools, "Tick the tools this account is kept for; none ticked means every tool.");
        row = add(row, "Balance URL", balanceUrl, "GET with the account's key, e.g. https://api.deepseek.com/user/balance "
                + "(empty: no balance polling).");
        row = add(row, "Remaining at", balancePath, "JSON path of the remaining amount, e.g. balance_infos[0].total_balance.");
        row = add(row, "Limit at", balanceLimitPath, "JSON path of the limit (optional): the balance then shows as a share used.");
        row = add(row, "Poll every (s)", balanceInterval, "At least 30; empty: 600.");
        JPanel params = new JPanel(new FlowLayout(FlowLayout.LEFT, 8, 0));
        params.add(learned);
        params.add(forget);
        row = add(row, "Left out", params, "Parameters this upstream refused, per model; forgetting sends them again.");
        JPanel actions = new JPanel(new FlowLayout(FlowLayout.RIGHT, 0, 0));
        actions.add(save);
        GridBagConstraints c = new GridBagConstraints();
        c.gridx = 0;
        c.gridy = row;
        c.gridwidth = 2;
        c.fill = GridBagConstraints.HORIZONTAL;
        c.insets = new Insets(8, 0, 0, 0);
        add(message, c);
        c.gridy = row + 1;
        add(actions, c);

        save.addActionListener(e -> save());
        forget.addActionListener(e -> forgetLearned());
        show(account);
    }

    private int add(int row, String label, java.awt.Component editor, String help) {
        GridBagConstraints c = new GridBagConstraints();
        c.gridx = 0;
        c.gridy = row;
        c.anchor = GridBagConstraints.NORTHWEST;
        c.insets = new Insets(6, 0, 0, 12);
        add(new JLabel(label), c);
        c = new GridBagConstraints();
        c.gridx = 1;
        c.gridy = row;
        c.weightx = 1;
        c.fill = GridBagConstraints.HORIZONTAL;
        c.insets = new Insets(6, 0, 0, 0);
        JPanel cell = new JPanel(new java.awt.BorderLayout(0, 2));
        cell.add(editor, java.awt.BorderLayout.CENTER);
        JLabel note = new JLabel("<html>" + help + "</html>");
        note.setFont(note.getFont().deriveFont(note.getFont().getSize2D() - 1f));
        note.setForeground(javax.swing.UIManager.getColor("Label.disabledForeground"));
        cell.add(note, java.awt.BorderLayout.SOUTH);
        add(cell, c);
        return row + 1;
    }

    /** Fills the fields from the account as the relay has it. EDT. */
    void show(AccountStatus a) {
        this.account = a;
        boolean key = "api-key".equals(a.kind());
        wire.setSelectedItem(a.wire());
        transport.setSelectedIndex(a.websocket() == null ? 0 : a.websocket() ? 1 : 2);
        rules.setText(String.join("\n", a.modelRules()));
        for (int i = 0; i < CLIENTS.length; i++) clients[i].setSelected(a.clients().contains(CLIENTS[i]));
        var b = a.balance();
        balanceUrl.setText(b == null ? "" : b.url());
        balancePath.setText(b == null ? "" : nullToEmpty(b.remainingPath()));
        balanceLimitPath.setText(b == null ? "" : nullToEmpty(b.limitPath()));
        balanceInterval.setText(b == null || b.intervalSeconds() == null ? "" : String.valueOf(b.intervalSeconds()));
        for (var f : new javax.swing.JComponent[] {wire, rules, balanceUrl, balancePath, balanceLimitPath, balanceInterval, forget}) {
            f.setEnabled(key);
        }
        transport.setEnabled(key && "responses".equals(a.wire()));
        if (!key) info("A ChatGPT login always speaks the Responses API and serves every model; only the tools it serves can change.");
        else info(" ");
        loadLearned();
    }

    private void loadLearned() {
        if (!"api-key".equals(account.kind())) {
            learned.setText("none");
            return;
        }
        String name = account.name();
        tasks.run(() -> control.learnedParameters(name, false), p -> learned.setText(describe(p)), e -> learned.setText("unknown"));
    }

    static String describe(ControlApi.LearnedParams p) {
        if (p.params().isEmpty()) return "none";
        List<String> out = new ArrayList<>();
        for (ControlApi.LearnedParam l : p.params()) out.add(l.param() + " (" + l.model() + ")");
        return String.join(", ", out);
    }

    /** What the fields change compared with the account as shown; null fields stay as they are. */
    AccountChanges changes() {
        boolean key = "api-key".equals(account.kind());
        String w = (String) wire.getSelectedItem();
        String newWire = key && !account.wire().equals(w) ? w : null;
        List<String> newRules = null;
        if (key) {
            List<String> typed = new ArrayList<>();
            for (String line : rules.getText().split("\\R")) if (!line.isBlank()) typed.add(line.trim());
            if (!typed.equals(account.modelRules())) newRules = typed;
        }
        List<String> ticked = new ArrayList<>();
        for (int i = 0; i < CLIENTS.length; i++) if (clients[i].isSelected()) ticked.add(CLIENTS[i]);
        List<String> newClients = ticked.equals(account.clients()) ? null : ticked;
        ControlApi.BalanceSetting balance = null;
        if (key) {
            String url = balanceUrl.getText().trim();
            Integer interval = balanceInterval.getText().isBlank() ? null : parseInterval(balanceInterval.getText().trim());
            var now = account.balance();
            ControlApi.BalanceSetting typedBalance = url.isEmpty() ? null : new ControlApi.BalanceSetting(url,
                    emptyToNull(balancePath.getText()), emptyToNull(balanceLimitPath.getText()), interval);
            if (typedBalance == null && now != null) balance = new ControlApi.BalanceSetting("", null, null, null);
            else if (typedBalance != null && !sameBalance(typedBalance, now)) balance = typedBalance;
        }
        String newTransport = null;
        if (key && transport.isEnabled()) {
            String chosen = TRANSPORTS[Math.max(0, transport.getSelectedIndex())];
            String now = account.websocket() == null ? "pool" : account.websocket() ? "on" : "off";
            if (!chosen.equals(now)) newTransport = chosen;
        }
        return new AccountChanges(null, null, null, newWire, newRules, newClients, balance, newTransport);
    }

    private static boolean sameBalance(ControlApi.BalanceSetting a, ControlApi.BalanceSetting b) {
        return b != null && a.url().equals(b.url()) && java.util.Objects.equals(a.remainingPath(), b.remainingPath())
                && java.util.Objects.equals(a.limitPath(), b.limitPath())
                && (a.intervalSeconds() == null || a.intervalSeconds().equals(b.intervalSeconds()));
    }

    private static Integer parseInterval(String s) {
        try {
            return Integer.valueOf(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("The poll interval must be a whole number of seconds (at least 30).");
        }
    }

    void save() {
        AccountChanges changes;
        try {
            changes = changes();
        } catch (IllegalArgumentException e) {
            error(e.getMessage());
            return;
        }
        if (changes.isEmpty()) {
            info("Nothing changed.");
            return;
        }
        save.setEnabled(false);
        tasks.run(() -> control.updateAccount(account.name(), changes), a -> {
            save.setEnabled(true);
            show(a);
            info("Saved " + a.name() + ".");
            onSaved.accept(a);
        }, e -> {
            save.setEnabled(true);
            error(e);
        });
    }

    private void forgetLearned() {
        String name = account.name();
        tasks.run(() -> control.learnedParameters(name, true), p -> {
            learned.setText(describe(p));
            info("Forgot " + p.forgotten() + " learned parameter" + (p.forgotten() == 1 ? "" : "s") + "; the next requests send everything again.");
        }, this::error);
    }

    private void info(String s) { message.setForeground(javax.swing.UIManager.getColor("Label.foreground")); message.setText(s); }
    private void error(String s) { message.setForeground(Theme.RED); message.setText(s); }

    private static String nullToEmpty(String s) { return s == null ? "" : s; }
    private static String emptyToNull(String s) { return s == null || s.isBlank() ? null : s.trim(); }
}
