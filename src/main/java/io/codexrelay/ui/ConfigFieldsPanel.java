package io.codexrelay.ui;

import io.codexrelay.app.SettingsDraft;
import io.codexrelay.app.SettingsDraft.SettingKey;

import javax.swing.BorderFactory;
import javax.swing.JCheckBox;
import javax.swing.JComboBox;
import javax.swing.JComponent;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JTextField;
import javax.swing.UIManager;
import javax.swing.event.DocumentEvent;
import javax.swing.event.DocumentListener;
import java.awt.Color;
import java.awt.Font;
import java.awt.GridBagConstraints;
import java.awt.GridBagLayout;
import java.awt.Insets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows of config fields generated from the settings schema: a check box for booleans, a choice for keys with
 * allowed values, a text field otherwise; each validated as you type through {@link SettingsDraft}, with the
 * problem shown under the field and the field outlined red.
 */
public final class ConfigFieldsPanel extends JPanel {

    public record Group(String title, List<String> keys) {}

    static final Map<String, String> LABELS = Map.ofEntries(
            Map.entry("server.port", "Port"),
            Map.entry("server.listen", "Listen address"),
            Map.entry("server.allow_remote", "Allow remote clients"),
            Map.entry("server.max_body_mb", "Largest request (MiB)"),
            Map.entry("server.body_memory_budget_mb", "All requests' bodies (MiB)"),
            Map.entry("server.header_timeout_ms", "Request headers timeout (ms)"),
            Map.entry("server.body_timeout_ms", "Request body idle timeout (ms)"),
            Map.entry("server.max_connections", "Most connections at once"),
            Map.entry("upstream.request_deadline_ms", "Whole request deadline (ms)"),
            Map.entry("upstream.chatgpt_base_url", "ChatGPT base URL"),
            Map.entry("upstream.oauth_issuer", "OAuth issuer"),
            Map.entry("upstream.default_api_base_url", "Default API base URL"),
            Map.entry("upstream.connect_timeout_ms", "Connect timeout (ms)"),
            Map.entry("upstream.first_byte_timeout_ms", "First answer timeout (ms)"),
            Map.entry("upstream.idle_timeout_ms", "Idle stream timeout (ms)"),
            Map.entry("websocket.enabled", "Let Codex use WebSocket"),
            Map.entry("websocket.idle_timeout_seconds", "Close quiet sockets after (s)"),
            Map.entry("websocket.api_key_upstream", "WebSocket to API-key upstreams"),
            Map.entry("clients.best_model", "Best model (\"best\")"),
            Map.entry("clients.fast_model", "Fast model (\"fast\")"),
            Map.entry("clients.model_rules", "Client model rules"),
            Map.entry("clients.reasoning_content", "Send reasoning to Chat clients"),
            Map.entry("pool.routing", "Routing policy"),
            Map.entry("pool.gate_wait_ms", "Wait for a free slot (ms)"),
            Map.entry("pool.chatgpt_max_concurrent", "ChatGPT: max in flight"),
            Map.entry("pool.api_key_max_concurrent", "API key: max in flight"),
            Map.entry("pool.requests_per_minute", "Requests per minute cap"),
            Map.entry("pool.primary_threshold_percent", "Skip at 5-hour usage (%)"),
            Map.entry("pool.secondary_threshold_percent", "Skip at weekly usage (%)"),
            Map.entry("pool.usage_poll_seconds", "Quota poll interval (s)"),
            Map.entry("pool.affinity_idle_hours", "Conversation stickiness (h)"),
            Map.entry("pool.report_pool_headers", "Quota reported to Codex"),
            Map.entry("log.retention_days", "Keep request log (days)"),
            Map.entry("log.max_rows", "Keep at most (rows)"),
            Map.entry("log.level", "Daemon log level"),
            Map.entry("codex.extra_homes", "Other Codex homes"),
            Map.entry("sync.url", "WebDAV file URL"),
            Map.entry("sync.user", "WebDAV user"),
            Map.entry("sync.password_env", "Password variable"),
            Map.entry("sync.passphrase_env", "Passphrase variable"),
            Map.entry("sync.interval_minutes", "Sync every (min)"),
            Map.entry("ui.theme", "Theme"),
            Map.entry("ui.notify_exhausted", "An account ran out (and what the relay did)"),
            Map.entry("ui.notify_pool_exhausted", "Every account is out"),
            Map.entry("ui.notify_relogin", "An account needs a new login"),
            Map.entry("ui.notify_recovered", "The pinned account has quota again"),
            Map.entry("ui.notify_threshold_percent", "Warn at 5-hour usage (%)"));

    /** Alt+letter jumps to these fields (keyboard users, and the Xvfb tests that drive the window with xdotool). */
    static final Map<String, Character> MNEMONICS = Map.of("pool.routing", 'P', "server.port", 'T', "ui.theme", 'H',
            "ui.notify_threshold_percent", 'W', "log.retention_days", 'K');

    private final SettingsDraft form;
    private final Runnable onChange;
    private final Map<String, JComponent> editors = new LinkedHashMap<>();
    private final Map<String, JLabel> notes = new LinkedHashMap<>();
    private boolean syncing;

    public ConfigFieldsPanel(SettingsDraft form, List<Group> groups, Runnable onChange) {
        super(new GridBagLayout());
        this.form = form;
        this.onChange = onChange;
        setBorder(BorderFactory.createEmptyBorder(12, 16, 12, 16));
        int row = 0;
        for (Group g : groups) {
            JLabel head = new JLabel(g.title());
            head.setFont(head.getFont().deriveFont(Font.BOLD, head.getFont().getSize2D() + 1f));
            add(head, gbc(0, row++, 2, new Insets(row == 1 ? 0 : 14, 0, 6, 0)));
            for (String path : g.keys()) row = addRow(path, row);
        }
        var filler = gbc(0, row, 2, new Insets(0, 0, 0, 0));
        filler.weighty = 1;
        add(new JPanel(), filler);
        syncFromForm();
    }

    private int addRow(String path, int row) {
        SettingKey k = SettingsDraft.key(path).orElseThrow();
        String label = LABELS.getOrDefault(path, path);
        JComponent editor;
        switch (k.type()) {
            case BOOLEAN -> {
                JCheckBox cb = new JCheckBox(label);
                cb.setName(path);
                cb.addActionListener(e -> edited(path, Boolean.toString(cb.isSelected())));
                editor = cb;
            }
            default -> {
                if (k.allowed() != null) {
                    JComboBox<String> combo = new JComboBox<>(k.allowed().toArray(String[]::new));
                    combo.setName(path);
                    combo.addActionListener(e -> { if (combo.getSelectedItem() != null) edited(path, (String) combo.getSelectedItem()); });
                    editor = combo;
                } else {
                    JTextField tf = new JTextField(k.type() == SettingsDraft.Type.STRING || k.type() == SettingsDraft.Type.STRING_LIST ? 28 : 10);
                    tf.setName(path);
                    tf.getDocument().addDocumentListener(new DocumentListener() {
                        @Override public void insertUpdate(DocumentEvent e) { edited(path, tf.getText()); }
                        @Override public void removeUpdate(DocumentEvent e) { edited(path, tf.getText()); }
                        @Override public void changedUpdate(DocumentEvent e) { edited(path, tf.getText()); }
                    });
                    editor = tf;
                }
            }
        }
        String tip = k.help() + (k.restartNeeded() ? " (takes effect after a restart)" : "") + "  [" + path + "]";
        editor.setToolTipText(tip);
        editors.put(path, editor);
        if (k.type() == SettingsDraft.Type.BOOLEAN) {
            add(editor, gbc(0, row++, 2, new Insets(3, 0, 0, 0)));
        } else {
            JLabel l = new JLabel(label + (k.restartNeeded() ? " *" : ""));
            l.setLabelFor(editor);
            Character m = MNEMONICS.get(path);
            if (m != null) l.setDisplayedMnemonic(m);
            l.setToolTipText(tip);
            add(l, gbc(0, row, 1, new Insets(6, 0, 0, 12)));
            var c = gbc(1, row++, 1, new Insets(6, 0, 0, 0));
            c.fill = GridBagConstraints.NONE;
            add(editor, c);
        }
        // Under each field: its one-line help, replaced by the problem while the value is wrong.
        JLabel note = new JLabel(help(k));
        note.setName(path + ".note");
        note.setFont(note.getFont().deriveFont(note.getFont().getSize2D() - 1f));
        note.setForeground(muted());
        notes.put(path, note);
        add(note, gbc(k.type() == SettingsDraft.Type.BOOLEAN ? 0 : 1, row++, k.type() == SettingsDraft.Type.BOOLEAN ? 2 : 1,
                new Insets(1, k.type() == SettingsDraft.Type.BOOLEAN ? 28 : 0, 2, 0)));
        return row;
    }

    private void edited(String path, String text) {
        if (syncing) return;
        var problem = form.setText(path, text);
        JComponent ed = editors.get(path);
        ed.putClientProperty("JComponent.outline", problem.isPresent() ? "error" : null);
        showNote(path, problem.orElse(null));
        onChange.run();
    }

    /** Puts the form's current text into every editor (after Revert or Apply). */
    public void syncFromForm() {
        syncing = true;
        try {
            for (var e : editors.entrySet()) {
                String t = form.text(e.getKey());
                JComponent ed = e.getValue();
                if (ed instanceof JCheckBox cb) cb.setSelected(Boolean.parseBoolean(t));
                else if (ed instanceof JComboBox<?> combo) combo.setSelectedItem(t);
                else if (ed instanceof JTextField tf && !tf.getText().equals(t)) tf.setText(t);
                ed.putClientProperty("JComponent.outline", null);
                showNote(e.getKey(), null);
            }
        } finally {
            syncing = false;
        }
    }

    public JComponent editor(String path) { return editors.get(path); }

    /** The note under a field: its problem in red, else its help. */
    public String note(String path) { return notes.get(path).getText(); }

    private void showNote(String path, String problem) {
        JLabel n = notes.get(path);
        if (problem == null) {
            n.setText(help(SettingsDraft.key(path).orElseThrow()));
            n.setForeground(muted());
        } else {
            n.setText("Must " + (problem.startsWith("must ") ? problem.substring(5) : problem));
            Color red = UIManager.getColor("Component.error.focusedBorderColor");
            n.setForeground(red != null ? red : Theme.RED);
        }
    }

    private static String help(SettingKey k) {
        String h = k.help();
        return h.length() > 110 ? h.substring(0, 107) + "…" : h;
    }

    private static Color muted() {
        Color c = UIManager.getColor("Label.disabledForeground");
        return c != null ? c : Color.GRAY;
    }

    private static GridBagConstraints gbc(int x, int y, int w, Insets insets) {
        var c = new GridBagConstraints();
        c.gridx = x;
        c.gridy = y;
        c.gridwidth = w;
        c.anchor = GridBagConstraints.WEST;
        c.fill = x == 1 ? GridBagConstraints.HORIZONTAL : GridBagConstraints.NONE;
        c.weightx = x == 1 ? 1 : 0;
        c.insets = insets;
        return c;
    }
}
