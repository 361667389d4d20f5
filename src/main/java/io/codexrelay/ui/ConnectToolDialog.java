package io.codexrelay.ui;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlException;
import io.codexrelay.app.ToolConnections;

import javax.swing.BorderFactory;
import javax.swing.BoxLayout;
import javax.swing.ButtonGroup;
import javax.swing.JButton;
import javax.swing.JComponent;
import javax.swing.JDialog;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JRadioButton;
import javax.swing.JScrollPane;
import javax.swing.JTextArea;
import javax.swing.SwingUtilities;
import javax.swing.UIManager;
import java.awt.BorderLayout;
import java.awt.Component;
import java.awt.Dialog;
import java.awt.FlowLayout;
import java.awt.Font;
import java.awt.GridBagConstraints;
import java.awt.GridBagLayout;
import java.awt.Insets;
import java.awt.Toolkit;
import java.awt.Window;
import java.awt.datatransfer.StringSelection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * "Connect a tool…": pick Claude Code, the OpenAI/Anthropic SDKs (environment), opencode or Cursor. It makes the
 * tool its own key and then, through the same app call as {@code codex-relay connect TOOL} ({@link ToolConnections}):
 * for Claude Code writes the env block of {@code ~/.claude/settings.json} (backup first; Undo is
 * {@code codex-relay disconnect claude-code}: the old values back, the key revoked); for the others shows each value
 * to paste with its own Copy button. The key appears only in this dialog, and is cleared from it when it closes.
 */
final class ConnectToolDialog {

    /** The tools in the order offered, with what connecting does for each. */
    record Choice(String tool, String title, String what) {}

    static final List<Choice> CHOICES = List.of(
            new Choice("claude-code", "Claude Code", "Writes the relay's address and a new key into the env block of "
                    + "~/.claude/settings.json (backed up first; Undo puts it back). Claude Code uses the relay from its next start."),
            new Choice("env", "OpenAI SDK & environment", "Shows the environment variables for scripts and tools on the OpenAI or "
                    + "Anthropic SDKs (OPENAI_BASE_URL, OPENAI_API_KEY, ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN)."),
            new Choice("opencode", "opencode", "Shows a provider entry to paste into opencode.json."),
            new Choice("cursor", "Cursor", "Shows the key and the base URL to paste into Cursor's model settings. Cursor calls from "
                    + "its own servers, so the relay must be reachable from outside (README: \"Point other tools at the relay\")."));

    private final ControlApi control;
    private final UiTasks tasks;
    private final Map<String, String> env;
    private final Clock clock;
    private final Runnable keysChanged;
    private final List<JTextArea> secrets = new ArrayList<>();   // cleared when the dialog closes
    private JDialog dialog;
    private JPanel result;
    private JLabel message;
    private JButton connect;
    private JButton disconnect;
    private String chosen = CHOICES.get(0).tool();

    ConnectToolDialog(ControlApi control, UiTasks tasks, Map<String, String> env, Clock clock, Runnable keysChanged) {
        this.control = control;
        this.tasks = tasks;
        this.env = env;
        this.clock = clock;
        this.keysChanged = keysChanged;
    }

    /** Opens the dialog over {@code parent}'s window (modal: one connection at a time). EDT. */
    void show(Component parent) {
        Window owner = SwingUtilities.getWindowAncestor(parent);
        dialog = new JDialog(owner, "Connect a tool", Dialog.ModalityType.APPLICATION_MODAL);
        dialog.setName("connect-tool-dialog");

        JPanel choices = new JPanel();
        choices.setLayout(new BoxLayout(choices, BoxLayout.Y_AXIS));
        ButtonGroup group = new ButtonGroup();
        for (Choice c : CHOICES) {
            JRadioButton b = new JRadioButton(c.title(), c.tool().equals(chosen));
            b.setName("tool-" + c.tool());
            b.setFont(b.getFont().deriveFont(Font.BOLD));
            b.addActionListener(e -> choose(c.tool()));
            group.add(b);
            JLabel what = new JLabel(SettingsText.wrap(c.what(), 460));
            what.setBorder(BorderFactory.createEmptyBorder(0, 26, 8, 0));
            b.setAlignmentX(Component.LEFT_ALIGNMENT);
            what.setAlignmentX(Component.LEFT_ALIGNMENT);
            choices.add(b);
            choices.add(what);
        }

        connect = new JButton("Connect");
        connect.setName("connect");
        disconnect = new JButton("Disconnect");
        disconnect.setName("disconnect");
        JButton close = new JButton("Close");
        close.setName("connect-close");
        message = new JLabel(" ");
        message.setName("connect-message");
        result = new JPanel(new GridBagLayout());
        result.setName("connect-result");

        JPanel top = new JPanel(new BorderLayout(0, 8));
        top.add(choices, BorderLayout.CENTER);
        JPanel actions = new JPanel(new FlowLayout(FlowLayout.LEFT, 6, 0));
        actions.add(connect);
        actions.add(disconnect);
        top.add(actions, BorderLayout.SOUTH);

        JPanel content = new JPanel(new BorderLayout(0, 10));
        content.setBorder(BorderFactory.createEmptyBorder(14, 16, 12, 16));
        content.add(top, BorderLayout.NORTH);
        JPanel middle = new JPanel(new BorderLayout(0, 6));
        middle.add(message, BorderLayout.NORTH);
        middle.add(result, BorderLayout.CENTER);
        content.add(middle, BorderLayout.CENTER);
        JPanel bar = new JPanel(new FlowLayout(FlowLayout.RIGHT, 6, 0));
        bar.add(close);
        content.add(bar, BorderLayout.SOUTH);
        dialog.setContentPane(content);
        dialog.getRootPane().setDefaultButton(connect);

        connect.addActionListener(e -> connect());
        disconnect.addActionListener(e -> disconnect());
        close.addActionListener(e -> close());
        ToolKeysPanel.escapeCloses(dialog, this::close);
        dialog.addWindowListener(new java.awt.event.WindowAdapter() {
            @Override public void windowClosing(java.awt.event.WindowEvent e) { clearSecrets(); }
        });
        choose(chosen);
        dialog.pack();
        dialog.setLocationRelativeTo(owner);
        dialog.setVisible(true);
    }

    private void close() {
        clearSecrets();
        dialog.dispose();
    }

    private void clearSecrets() {
        for (JTextArea a : secrets) a.setText("");
        secrets.clear();
    }

    private ToolConnections connections() throws ControlException {
        return ToolConnections.fromEnvironment(env, clock);
    }

    /** A tool was picked: say whether it is connected already (then Disconnect, not Connect). */
    private void choose(String tool) {
        chosen = tool;
        clearSecrets();
        result.removeAll();
        result.revalidate();
        info(" ");
        connect.setEnabled(false);
        disconnect.setEnabled(false);
        disconnect.setText("Disconnect");
        tasks.run(() -> connections().connected(tool), connected -> {
            if (!tool.equals(chosen)) return;
            connect.setEnabled(!connected);
            disconnect.setEnabled(connected);
            if (connected) info(title(tool) + " is connected. Disconnect puts its settings back and revokes its key.");
        }, this::error);
    }

    private void connect() {
        String tool = chosen;
        connect.setEnabled(false);
        info("Connecting " + title(tool) + "…");
        tasks.run(() -> connections().connect(control, tool), c -> {
            keysChanged.run();
            showConnected(c);
            disconnect.setEnabled(true);
            packKeepingWidth();
        }, msg -> { error(msg); connect.setEnabled(true); });
    }

    private void disconnect() {
        String tool = chosen;
        disconnect.setEnabled(false);
        tasks.run(() -> connections().disconnect(control, tool), done -> {
            keysChanged.run();
            clearSecrets();
            result.removeAll();
            result.revalidate();
            result.repaint();
            info(String.join(". ", done) + ".");
            connect.setEnabled(true);
            packKeepingWidth();
        }, msg -> { error(msg); disconnect.setEnabled(true); });
    }

    private void showConnected(ToolConnections.Connected c) {
        result.removeAll();
        clearSecrets();
        if (c.file() != null) {
            info(c.instructions());
            disconnect.setText("Undo");   // what disconnect means right after a write: the file as it was, the key revoked
        } else {
            info("Key “" + c.keyName() + "” made for " + title(c.tool()) + ". Paste these now: the key is shown only here.");
            int row = 0;
            for (ToolConnections.Paste p : c.pastes()) {
                var lc = new GridBagConstraints();
                lc.gridx = 0; lc.gridy = row; lc.anchor = GridBagConstraints.NORTHWEST; lc.insets = new Insets(6, 0, 2, 10);
                result.add(new JLabel(p.label()), lc);
                JTextArea value = new JTextArea(p.value());
                value.setName("paste-" + row);
                value.setEditable(false);
                value.setLineWrap(true);
                value.setColumns(44);
                value.setRows(Math.min(6, p.value().split("\n", -1).length + p.value().length() / 60));
                value.setFont(new Font(Font.MONOSPACED, Font.PLAIN, UIManager.getFont("Label.font").getSize()));
                secrets.add(value);
                var vc = new GridBagConstraints();
                vc.gridx = 1; vc.gridy = row; vc.fill = GridBagConstraints.HORIZONTAL; vc.weightx = 1; vc.insets = new Insets(4, 0, 2, 6);
                result.add(new JScrollPane(value), vc);
                JButton copy = new JButton("Copy");
                copy.setName("copy-" + row);
                String label = p.label();
                copy.addActionListener(e -> {
                    Toolkit.getDefaultToolkit().getSystemClipboard().setContents(new StringSelection(value.getText()), null);
                    info("Copied: " + label + ".");
                });
                var bc = new GridBagConstraints();
                bc.gridx = 2; bc.gridy = row; bc.anchor = GridBagConstraints.NORTH; bc.insets = new Insets(4, 0, 2, 0);
                result.add(copy, bc);
                row++;
            }
            if (c.tool().equals("env")) {   // the exports go into a shell profile together
                JButton all = new JButton("Copy all");
                all.setName("copy-all");
                String joined = String.join("\n", c.pastes().stream().map(ToolConnections.Paste::value).toList()) + "\n";
                all.addActionListener(e -> {
                    Toolkit.getDefaultToolkit().getSystemClipboard().setContents(new StringSelection(joined), null);
                    info("Copied all four lines.");
                });
                var ac = new GridBagConstraints();
                ac.gridx = 2; ac.gridy = row; ac.anchor = GridBagConstraints.NORTH; ac.insets = new Insets(8, 0, 2, 0);
                result.add(all, ac);
            }
        }
        result.revalidate();
        result.repaint();
    }

    private void packKeepingWidth() {
        int w = dialog.getWidth();
        dialog.pack();
        if (dialog.getWidth() < w) dialog.setSize(w, dialog.getHeight());
    }

    private static String title(String tool) {
        return CHOICES.stream().filter(c -> c.tool().equals(tool)).map(Choice::title).findFirst().orElse(tool);
    }

    private void info(String s) {
        message.setForeground(UIManager.getColor("Label.foreground"));
        message.setText(s.isBlank() ? " " : SettingsText.wrap(s, 520));
    }

    private void error(String s) {
        message.setForeground(Theme.RED);
        message.setText(SettingsText.wrap(s, 520));
    }

    /** For tests: the values shown to paste (empty when none). */
    List<JComponent> pasteFields() { return List.copyOf(secrets); }
}
