package io.codexrelay.ui;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.SettingsDraft;
import io.codexrelay.app.Desktop;

import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JCheckBox;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTabbedPane;
import javax.swing.UIManager;
import java.awt.BorderLayout;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.awt.event.KeyEvent;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Settings: Accounts (the account store), Relay and General (config.toml). Relay and General share one Apply,
 * which validates with the loader's rules, writes through the daemon ({@link ControlApi#applyConfig}, which
 * keeps comments and applies live what it can) and says which changes wait for a restart.
 */
public final class SettingsWindow {

    static final List<ConfigFieldsPanel.Group> RELAY_GROUPS = List.of(
            new ConfigFieldsPanel.Group("Choosing accounts", List.of("pool.routing", "pool.primary_threshold_percent",
                    "pool.secondary_threshold_percent", "pool.gate_wait_ms", "pool.chatgpt_max_concurrent",
                    "pool.api_key_max_concurrent", "pool.requests_per_minute", "pool.affinity_idle_hours", "pool.usage_poll_seconds", "pool.report_pool_headers")),
            new ConfigFieldsPanel.Group("Timeouts", List.of("upstream.connect_timeout_ms", "upstream.first_byte_timeout_ms",
                    "upstream.idle_timeout_ms", "upstream.request_deadline_ms", "server.header_timeout_ms",
                    "server.body_timeout_ms")),
            new ConfigFieldsPanel.Group("Listening (* = after a restart)", List.of("server.port", "server.listen", "server.allow_remote",
                    "server.max_body_mb", "server.body_memory_budget_mb", "server.max_connections")),
            new ConfigFieldsPanel.Group("Upstream addresses", List.of("upstream.chatgpt_base_url", "upstream.oauth_issuer",
                    "upstream.default_api_base_url")),
            new ConfigFieldsPanel.Group("Codex over WebSocket", List.of("websocket.enabled", "websocket.idle_timeout_seconds",
                    "websocket.api_key_upstream")),
            new ConfigFieldsPanel.Group("Other tools (Claude Code, Chat Completions clients)", List.of("clients.best_model",
                    "clients.fast_model", "clients.model_rules", "clients.reasoning_content")));

    static final List<ConfigFieldsPanel.Group> GENERAL_GROUPS = List.of(
            new ConfigFieldsPanel.Group("Notify me when", List.of("ui.notify_exhausted", "ui.notify_pool_exhausted",
                    "ui.notify_relogin", "ui.notify_recovered", "ui.notify_threshold_percent")),
            new ConfigFieldsPanel.Group("Appearance", List.of("ui.theme")),
            new ConfigFieldsPanel.Group("Request log", List.of("log.retention_days", "log.max_rows", "log.level")),
            new ConfigFieldsPanel.Group("Codex", List.of("codex.extra_homes")),
            new ConfigFieldsPanel.Group("Sync accounts between machines (WebDAV; password and passphrase: `codex-relay sync setup`)",
                    List.of("sync.url", "sync.user", "sync.password_env", "sync.passphrase_env", "sync.interval_minutes")));

    private final ControlApi control;
    private final UiTasks tasks;
    private final Desktop.StartAtLogin autostart;
    private final Consumer<Map<String, Object>> onApplied;
    private final JFrame frame = new JFrame("codex-relay settings");
    private final SettingsDraft form;
    private final AccountsPanel accounts;
    private final ConfigFieldsPanel relay;
    private final ConfigFieldsPanel general;
    private final ToolKeysPanel toolKeys;
    private final java.util.Set<java.awt.Component> configTabs = new java.util.HashSet<>();
    private final JTabbedPane tabs = new JTabbedPane();
    private final RedactionPanel redaction;
    private final JLabel message = new JLabel(" ");
    private final JButton apply = new JButton("Apply");
    private final JButton revert = new JButton("Revert");
    private final JCheckBox startAtLogin = new JCheckBox("Start codex-relay when I log in");
    private Map<String, Object> current = new LinkedHashMap<>(SettingsDraft.defaults());

    public SettingsWindow(ControlApi control, UiTasks tasks, Desktop.StartAtLogin autostart, WindowMemory memory, Clock clock, ZoneId zone,
                          Map<String, String> env, List<java.awt.Image> icons, Consumer<Map<String, Object>> onApplied) {
        this.control = control;
        this.tasks = tasks;
        this.autostart = autostart;
        this.onApplied = onApplied;
        List<String> keys = new ArrayList<>();
        for (var g : RELAY_GROUPS) keys.addAll(g.keys());
        for (var g : GENERAL_GROUPS) keys.addAll(g.keys());
        form = new SettingsDraft(keys, current);
        accounts = new AccountsPanel(control, tasks, clock, zone, env);
        relay = new ConfigFieldsPanel(form, RELAY_GROUPS, this::formChanged);
        general = new ConfigFieldsPanel(form, GENERAL_GROUPS, this::formChanged);
        toolKeys = new ToolKeysPanel(control, tasks, clock, zone, env);
        redaction = new RedactionPanel(control, tasks);

        JPanel generalTab = new JPanel(new BorderLayout());
        JPanel login = new JPanel(new FlowLayout(FlowLayout.LEFT, 16, 12));
        startAtLogin.setName("start-at-login");
        startAtLogin.setMnemonic(KeyEvent.VK_L);
        startAtLogin.setEnabled(autostart != null && autostart.supported());
        if (autostart != null && !autostart.supported()) startAtLogin.setToolTipText("Only available when running from the installed jar.");
        startAtLogin.addActionListener(e -> toggleAutostart());
        login.add(startAtLogin);
        generalTab.add(login, BorderLayout.NORTH);
        generalTab.add(general, BorderLayout.CENTER);

        tabs.setName("settings-tabs");
        tabs.addTab("Accounts", accounts);
        tabs.addTab("Relay", scroll(relay));
        tabs.addTab("General", scroll(generalTab));
        tabs.addTab("Tool keys", toolKeys);
        tabs.addTab("Redaction", redaction);
        configTabs.add(tabs.getComponentAt(1));
        configTabs.add(tabs.getComponentAt(2));
        tabs.setMnemonicAt(0, KeyEvent.VK_C);
        tabs.setMnemonicAt(1, KeyEvent.VK_R);
        tabs.setMnemonicAt(2, KeyEvent.VK_G);
        tabs.setMnemonicAt(tabs.indexOfComponent(toolKeys), KeyEvent.VK_K);

        apply.setName("settings-apply");
        apply.setMnemonic(KeyEvent.VK_A);
        revert.setMnemonic(KeyEvent.VK_V);
        apply.addActionListener(e -> apply());
        revert.addActionListener(e -> { form.reset(current); syncForms(); message.setText(" "); });
        message.setName("settings-message");
        JButton close = new JButton("Close");
        close.addActionListener(e -> frame.dispatchEvent(new java.awt.event.WindowEvent(frame, java.awt.event.WindowEvent.WINDOW_CLOSING)));

        JPanel south = new JPanel(new BorderLayout());
        south.setBorder(BorderFactory.createEmptyBorder(6, 12, 10, 12));
        south.add(message, BorderLayout.CENTER);
        JPanel bar = new JPanel(new FlowLayout(FlowLayout.RIGHT, 6, 0));
        bar.add(revert);
        bar.add(apply);
        bar.add(close);
        south.add(bar, BorderLayout.EAST);

        frame.getContentPane().add(tabs, BorderLayout.CENTER);
        frame.getContentPane().add(south, BorderLayout.SOUTH);
        frame.setMinimumSize(new Dimension(640, 420));
        if (icons != null) frame.setIconImages(icons);
        memory.install(frame, "settings", new Dimension(1000, 620));
        tabs.addChangeListener(e -> {
            updateButtons();
            if (tabs.getSelectedComponent() == toolKeys && frame.isVisible()) toolKeys.refresh();
            if (tabs.getSelectedComponent() == redaction && frame.isVisible() && !redaction.dirty()) redaction.refresh();
        });
        updateButtons();
    }

    private static JScrollPane scroll(java.awt.Component c) {
        JScrollPane sp = new JScrollPane(c);
        sp.setBorder(BorderFactory.createEmptyBorder());
        sp.getVerticalScrollBar().setUnitIncrement(16);
        return sp;
    }

    public JFrame frame() { return frame; }

    /** The Tool keys tab's index, for {@link #show}. */
    public int toolKeysTab() { return tabs.indexOfComponent(toolKeys); }

    /** Opens (or brings forward) the window on a tab: 0 Accounts, 1 Relay, 2 General, {@link #toolKeysTab()}. EDT. */
    public void show(int tab) {
        if (!frame.isVisible()) reload();
        if (tab >= 0) tabs.setSelectedIndex(tab);
        WindowMemory.bringForward(frame);
    }

    /** Re-reads the accounts, the configuration and the autostart state. */
    public void reload() {
        accounts.refresh();
        toolKeys.refresh();
        tasks.run(control::config, cfg -> {
            boolean editing = form.dirty();
            current = new LinkedHashMap<>(cfg);
            if (!editing) {
                form.reset(current);
                syncForms();
            }
            updateButtons();
        }, e -> showError("Could not read the settings: " + e));
        if (autostart != null && autostart.supported()) {
            tasks.run(autostart::enabled, startAtLogin::setSelected, e -> { });
        }
    }

    /** The pool changed (accounts added, quota moved): refresh the Accounts tab if it is visible. */
    public void poolChanged() {
        if (frame.isVisible()) accounts.refresh();
    }

    /**
     * The tray read a new pool snapshot (an event, or its periodic refresh): the Accounts tab shows it without reading
     * again (its Pace column follows quota and time), and the Tool keys tab re-reads its counts when it is in front. EDT.
     */
    public void poolUpdated(io.codexrelay.app.PoolStatus pool) {
        if (!frame.isVisible()) return;
        accounts.show(pool.accounts());
        if (tabs.getSelectedComponent() == toolKeys) toolKeys.refresh();
    }

    private void syncForms() {
        relay.syncFromForm();
        general.syncFromForm();
        updateButtons();
    }

    private void formChanged() {
        updateButtons();
        if (!form.valid()) showError("Some values need fixing (see the red notes).");
        else message.setText(form.dirty() ? "Unsaved changes." : " ");
        if (form.valid()) message.setForeground(UIManager.getColor("Label.foreground"));
    }

    private void updateButtons() {
        boolean configTab = configTabs.contains(tabs.getSelectedComponent());
        apply.setVisible(configTab);
        revert.setVisible(configTab);
        apply.setEnabled(form.valid() && !form.changes().isEmpty());
        revert.setEnabled(form.dirty());
    }

    private void apply() {
        var whole = form.checkWhole(current);
        if (whole.isPresent()) {
            showError(whole.get());
            return;
        }
        Map<String, Object> changes = form.changes();
        if (changes.isEmpty()) return;
        apply.setEnabled(false);
        tasks.run(() -> control.applyConfig(changes), restart -> {
            current.putAll(changes);
            form.reset(current);
            syncForms();
            message.setForeground(UIManager.getColor("Label.foreground"));
            message.setText(restart == null || restart.isEmpty() ? "Saved and applied."
                    : "Saved. Restart codex-relay for: " + String.join(", ", restart.stream().map(k -> ConfigFieldsPanel.LABELS.getOrDefault(k, k)).toList()) + ".");
            onApplied.accept(Map.copyOf(changes));
        }, e -> { showError(e); updateButtons(); });
    }

    private void toggleAutostart() {
        boolean on = startAtLogin.isSelected();
        tasks.run(() -> { autostart.set(on); return on; },
                v -> { message.setForeground(UIManager.getColor("Label.foreground")); message.setText(v ? "codex-relay will start at login." : "codex-relay will no longer start at login."); },
                e -> { startAtLogin.setSelected(!on); showError("Could not change start at login: " + e); });
    }

    private void showError(String s) {
        message.setForeground(Theme.RED);
        message.setText(s);
    }
}
