package io.codexrelay.ui;

import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.Controls;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.Desktop;

import javax.swing.AbstractButton;
import javax.swing.JComboBox;
import javax.swing.JDialog;
import javax.swing.JLabel;
import javax.swing.JTable;
import javax.swing.SwingUtilities;
import javax.swing.text.JTextComponent;
import java.awt.Component;
import java.awt.Container;
import java.awt.Toolkit;
import java.awt.Window;
import java.awt.datatransfer.DataFlavor;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Child process of {@link SettingsKeysXvfbTest}: the real Settings window on the test's X server, on an offline
 * {@link ControlApi} of a temp relay home, driven like a person would (buttons clicked, fields typed, dialogs answered)
 * by finding its components by name. It prints what is visible as {@code FACT name=value} lines (never a key), and
 * at {@code SHOT name} / {@code CHECK name} lines waits for the test to photograph the screen or check the files and
 * the keys, which answers with a line on stdin.
 */
public final class SettingsKeysDriver {
    private static BufferedReader in;

    private SettingsKeysDriver() {}

    public static void main(String[] args) throws Exception {
        in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Map<String, String> env = Map.of("CODEX_RELAY_HOME", args[0], "HOME", args[1]);
        try (ControlHandle control = Controls.open(env, Clock.systemUTC())) {
            control.addApiKey(new ControlApi.NewApiKey("Pro-1", "sk-test-driver-0123456789abcdef", null, 10, null));
            run(control, env);
        } catch (Throwable t) {
            System.out.println("FAILED " + t);
            t.printStackTrace(System.out);
            System.out.flush();
            System.exit(2);
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }

    private static void run(ControlApi control, Map<String, String> env) throws Exception {
        UiTasks tasks = new UiTasks();
        AtomicReference<SettingsWindow> window = new AtomicReference<>();
        SwingUtilities.invokeAndWait(() -> {
            Theme.install("light", Desktop.of(Desktop.Family.LINUX, env));
            SettingsWindow w = new SettingsWindow(control, tasks, null, new WindowMemory(null), Clock.systemUTC(), ZoneId.of("UTC"),
                    env, null, changes -> { });
            window.set(w);
            w.show(w.toolKeysTab());
        });
        Window frame = window.get().frame();
        JTable table = find(frame, "tool-keys-table", JTable.class);
        await("the keys listed", () -> onEdt(() -> table.getRowCount() >= 1));
        fact("rows", onEdt(() -> rows(table)));
        fact("tab", onEdt(() -> {
            var tabs = find(frame, "settings-tabs", javax.swing.JTabbedPane.class);
            return tabs.getTitleAt(tabs.getSelectedIndex());
        }));
        fact("apply-visible", onEdt(() -> find(frame, "settings-apply", AbstractButton.class).isVisible()));
        pause("SHOT", "settings-tool-keys");

        // ---- create a key: shown once, with Copy ----
        click(frame, "create-key");
        JDialog create = awaitDialog("create-key-dialog");
        SwingUtilities.invokeAndWait(() -> {
            find(create, "key-name", JTextComponent.class).setText("my-script");
            find(create, "key-rpm", JTextComponent.class).setText("30");
        });
        @SuppressWarnings("unchecked") JComboBox<String> account = find(create, "key-account", JComboBox.class);
        await("the accounts offered", () -> onEdt(() -> account.getItemCount() >= 2));
        fact("accounts-offered", onEdt(() -> {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < account.getItemCount(); i++) items.add(account.getItemAt(i));
            return String.join("|", items);
        }));
        pause("SHOT", "settings-create-key");
        click(create, "key-create");
        await("the new key shown", () -> onEdt(() -> findAll(create, JTextComponent.class).stream()
                .anyMatch(c -> "key-value".equals(c.getName()) && c.isShowing() && !c.getText().isEmpty())));
        JTextComponent value = onEdt(() -> find(create, "key-value", JTextComponent.class));
        String key = onEdt(value::getText);
        fact("key-length", key.length());
        fact("key-prefix", key.substring(0, 3));
        fact("key-note", onEdt(() -> labels(create)));
        click(create, "key-copy");
        await("the clipboard", () -> key.equals(clipboard()));
        fact("clipboard-is-the-key", key.equals(clipboard()));
        pause("SHOT", "settings-key-shown");
        click(create, "key-done");
        await("the key dialog closed", () -> onEdt(() -> !create.isDisplayable()));
        fact("key-visible-after-close", onEdt(() -> anyWindowShows(key)));
        await("my-script listed", () -> onEdt(() -> rows(table).contains("my-script")));
        fact("rows", onEdt(() -> rows(table)));
        pause("CHECK", "key-created");

        // ---- revoke it (confirm) ----
        SwingUtilities.invokeAndWait(() -> {
            for (int r = 0; r < table.getRowCount(); r++)
                if ("my-script".equals(table.getValueAt(r, ToolKeysTableModel.NAME))) table.setRowSelectionInterval(r, r);
        });
        fact("revoke-enabled", onEdt(() -> find(frame, "revoke-key", AbstractButton.class).isEnabled()));
        click(frame, "revoke-key");
        JDialog confirm = awaitDialogTitled("Revoke key");
        fact("confirm-text", onEdt(() -> labels(confirm)));
        pause("SHOT", "settings-revoke-confirm");
        clickText(confirm, "Revoke");
        await("my-script revoked", () -> onEdt(() -> rows(table).matches("(?s).*my-script;[^\\n]*;revoked.*")));
        fact("rows", onEdt(() -> rows(table)));
        pause("CHECK", "key-revoked");

        // ---- connect Claude Code: the settings file written (backup first), then undone ----
        click(frame, "connect-tool");
        JDialog connect = awaitDialog("connect-tool-dialog");
        await("Connect enabled", () -> onEdt(() -> find(connect, "connect", AbstractButton.class).isEnabled()));
        pause("SHOT", "settings-connect-tool");
        click(connect, "connect");
        JLabel message = find(connect, "connect-message", JLabel.class);
        await("Claude Code connected", () -> onEdt(() -> message.getText().contains("Wrote the env block")));
        fact("connect-message", onEdt(() -> plain(message.getText())));
        fact("undo-label", onEdt(() -> find(connect, "disconnect", AbstractButton.class).getText()));
        pause("SHOT", "settings-connect-claude");
        pause("CHECK", "claude-connected");
        click(connect, "disconnect");
        await("Claude Code disconnected", () -> onEdt(() -> message.getText().contains("Restored")));
        fact("undo-message", onEdt(() -> plain(message.getText())));
        pause("CHECK", "claude-undone");

        // ---- the SDK environment: values to paste, each with Copy ----
        click(connect, "tool-env");
        await("Connect enabled for env", () -> onEdt(() -> find(connect, "connect", AbstractButton.class).isEnabled()));
        click(connect, "connect");
        await("the values to paste", () -> onEdt(() -> findAll(connect, JTextComponent.class).stream()
                .anyMatch(c -> "paste-3".equals(c.getName()))));
        List<String> pastes = onEdt(() -> {
            List<String> out = new ArrayList<>();
            for (JTextComponent c : findAll(connect, JTextComponent.class))
                if (c.getName() != null && c.getName().startsWith("paste-")) out.add(c.getText());
            return out;
        });
        fact("pastes", pastes.size());
        fact("paste-names", String.join("|", pastes.stream().map(p -> p.replaceAll("=.*", "=…")).toList()));
        click(connect, "copy-1");
        await("the clipboard", () -> pastes.get(1).equals(clipboard()));
        fact("clipboard-is-paste-1", pastes.get(1).equals(clipboard()));
        pause("SHOT", "settings-connect-env");
        click(connect, "connect-close");
        await("the connect dialog closed", () -> onEdt(() -> !connect.isDisplayable()));
        String envKey = pastes.get(1).replaceFirst("^export OPENAI_API_KEY=", "");
        fact("env-key-visible-after-close", onEdt(() -> anyWindowShows(envKey)));
        await("env listed", () -> onEdt(() -> rows(table).contains("\nenv;")));
        fact("rows", onEdt(() -> rows(table)));
        pause("CHECK", "env-connected");

        // ---- the Accounts tab follows the tray's snapshots: the Pace column moves with a quota event ----
        SwingUtilities.invokeAndWait(() -> find(frame, "settings-tabs", javax.swing.JTabbedPane.class).setSelectedIndex(0));
        JTable accounts = find(frame, "accounts-table", JTable.class);
        await("the accounts listed", () -> onEdt(() -> accounts.getRowCount() == 1));
        fact("pace-before", onEdt(() -> accounts.getValueAt(0, AccountsTableModel.PACE)));
        SwingUtilities.invokeAndWait(() -> window.get().poolUpdated(poolUsing(80)));   // what DesktopUi hands over on QuotaChanged
        fact("pace-after-event", onEdt(() -> accounts.getValueAt(0, AccountsTableModel.PACE)));
        pause("SHOT", "settings-accounts-pace");
        SwingUtilities.invokeAndWait(() -> window.get().poolUpdated(poolUsing(20)));
        fact("pace-after-second-event", onEdt(() -> accounts.getValueAt(0, AccountsTableModel.PACE)));
        SwingUtilities.invokeAndWait(() -> window.get().frame().dispose());
        tasks.close();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /** Pro-1 having used {@code percent} of a 5-hour window that resets in 2 hours (so 3 hours are gone). */
    private static io.codexrelay.app.PoolStatus poolUsing(double percent) {
        java.time.Instant now = java.time.Instant.now();
        var q = new io.codexrelay.events.QuotaSnapshot(new io.codexrelay.events.QuotaWindow(percent, 300, now.plusSeconds(7200)),
                null, null, null, null, "pro", "headers", now);
        var a = new io.codexrelay.app.AccountStatus("Pro-1", "api-key", null, null, "https://api.openai.com/v1", true, 10, 64, "…cdef",
                "ready", null, null, 0, false, q);
        return new io.codexrelay.app.PoolStatus(true, null, "Pro-1", false, 0, null, List.of(a));
    }

    /** "name;account;limits;created;requests;state" per row, one a line. */
    private static String rows(JTable t) {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < t.getRowCount(); r++) {
            if (r > 0) sb.append('\n');
            for (int c = 0; c < t.getColumnCount(); c++) {
                if (c > 0) sb.append(';');
                String v = String.valueOf(t.getValueAt(r, c));
                sb.append(c == ToolKeysTableModel.STATE ? v.replaceAll(" .*", "") : v);
            }
        }
        return sb.toString();
    }

    private static void fact(String name, Object value) {
        System.out.println("FACT " + name + "=" + String.valueOf(value).replace("\n", "\\n"));
        System.out.flush();
    }

    private static void pause(String kind, String name) throws Exception {
        Thread.sleep(600);   // let the last change paint before the photograph
        System.out.println(kind + " " + name);
        System.out.flush();
        String answer = in.readLine();
        if (!"go".equals(answer)) throw new IllegalStateException("the test answered " + answer + " at " + name);
    }

    private static String plain(String html) { return html.replaceAll("<[^>]+>", "").replace("&lt;", "<").replace("&amp;", "&").strip(); }

    private static String clipboard() {
        try {
            return onEdt(() -> (String) Toolkit.getDefaultToolkit().getSystemClipboard().getData(DataFlavor.stringFlavor));
        } catch (Exception e) {
            return null;
        }
    }

    private static boolean anyWindowShows(String secret) {
        for (Window w : Window.getWindows()) {
            if (!w.isDisplayable()) continue;
            for (JTextComponent c : findAll(w, JTextComponent.class)) if (c.getText().contains(secret)) return true;
            for (JLabel l : findAll(w, JLabel.class)) if (l.getText() != null && l.getText().contains(secret)) return true;
        }
        return false;
    }

    private static String labels(Container root) {
        List<String> out = new ArrayList<>();
        for (JLabel l : findAll(root, JLabel.class)) if (l.getText() != null && !l.getText().isBlank()) out.add(plain(l.getText()));
        return String.join(" | ", out);
    }

    private static void click(Container root, String name) throws Exception {
        AbstractButton b = onEdt(() -> find(root, name, AbstractButton.class));
        // later, not and-wait: a button may open a modal dialog, whose loop would hold this thread
        SwingUtilities.invokeLater(b::doClick);
        Thread.sleep(200);
    }

    private static void clickText(Container root, String text) throws Exception {
        AbstractButton b = onEdt(() -> findAll(root, AbstractButton.class).stream().filter(x -> text.equals(x.getText())).findFirst().orElseThrow());
        SwingUtilities.invokeLater(b::doClick);
        Thread.sleep(200);
    }

    private static JDialog awaitDialog(String name) throws Exception {
        AtomicReference<JDialog> d = new AtomicReference<>();
        await("the dialog " + name, () -> onEdt(() -> {
            for (Window w : Window.getWindows())
                if (w instanceof JDialog j && name.equals(j.getName()) && j.isShowing()) { d.set(j); return true; }
            return false;
        }));
        return d.get();
    }

    private static JDialog awaitDialogTitled(String title) throws Exception {
        AtomicReference<JDialog> d = new AtomicReference<>();
        await("the dialog " + title, () -> onEdt(() -> {
            for (Window w : Window.getWindows())
                if (w instanceof JDialog j && title.equals(j.getTitle()) && j.isShowing()) { d.set(j); return true; }
            return false;
        }));
        return d.get();
    }

    static <T extends Component> T find(Container root, String name, Class<T> type) {
        for (T c : findAll(root, type)) if (name.equals(c.getName())) return c;
        throw new IllegalStateException("no " + type.getSimpleName() + " named " + name);
    }

    static <T extends Component> List<T> findAll(Container root, Class<T> type) {
        List<T> out = new ArrayList<>();
        if (type.isInstance(root)) out.add(type.cast(root));
        for (Component c : root.getComponents()) {
            if (c instanceof Container k) out.addAll(findAll(k, type));
            else if (type.isInstance(c)) out.add(type.cast(c));
        }
        return out;
    }

    private static <T> T onEdt(Callable<T> f) throws Exception {
        AtomicReference<T> v = new AtomicReference<>();
        AtomicReference<Exception> err = new AtomicReference<>();
        SwingUtilities.invokeAndWait(() -> {
            try {
                v.set(f.call());
            } catch (Exception e) {
                err.set(e);
            }
        });
        if (err.get() != null) throw err.get();
        return v.get();
    }

    private interface Check { boolean ok() throws Exception; }

    /** Waits for what a person would wait for; the bound only turns a broken build into a clear failure. */
    private static void await(String what, Check ok) throws Exception {
        long end = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < end) {
            if (ok.ok()) return;
            Thread.sleep(100);
        }
        if (!ok.ok()) throw new IllegalStateException("gave up waiting for " + what);
    }
}
