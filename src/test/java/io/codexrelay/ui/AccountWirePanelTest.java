package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi;
import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.Controls;
import io.codexrelay.config.RelayHome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.swing.SwingUtilities;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The account provider panel (issue 12), headless, on a real relay home (the offline control): it shows the wire,
 * rules, tools and balance source the relay holds, saves only what changed, shows the relay's own error for bad input,
 * and keeps ChatGPT logins' wire fields locked.
 */
class AccountWirePanelTest {
    @TempDir Path dir;
    ControlHandle control;
    UiTasks tasks = new UiTasks();

    @BeforeEach
    void setUp() throws Exception {
        control = Controls.open(new RelayHome(dir.resolve("relay")), Clock.systemUTC());
        control.addApiKey(new ControlApi.NewApiKey("deepseek", "sk-deepseek-0123456789", "https://api.deepseek.com/v1", 1, null,
                "chat", List.of("gpt-5*=deepseek-chat")));
    }

    @AfterEach
    void tearDown() throws Exception {
        tasks.close();
        control.close();
    }

    AccountStatus stored() throws Exception {
        return control.status().accounts().get(0);
    }

    /** Runs {@code r} on the EDT, then lets the queued control calls and their EDT callbacks finish. */
    void onEdt(Runnable r) throws Exception {
        SwingUtilities.invokeAndWait(r);
        tasks.drain();
        SwingUtilities.invokeAndWait(() -> { });
    }

    @Test
    void itShowsWhatTheRelayHoldsAndSavesTheChangedWireRulesToolsAndBalanceSource() throws Exception {
        AtomicReference<AccountWirePanel> panel = new AtomicReference<>();
        AtomicReference<AccountStatus> saved = new AtomicReference<>();
        AccountStatus before = stored();
        onEdt(() -> panel.set(new AccountWirePanel(control, tasks, before, saved::set)));
        AccountWirePanel p = panel.get();

        onEdt(() -> {
            assertThat(p.wire.getSelectedItem()).isEqualTo("chat");
            assertThat(p.rules.getText()).isEqualTo("gpt-5*=deepseek-chat");
            assertThat(p.clients).noneMatch(javax.swing.JCheckBox::isSelected);
            assertThat(p.balanceUrl.getText()).isEmpty();
            assertThat(p.learned.getText()).isEqualTo("none");
            assertThat(p.changes().isEmpty()).as("nothing typed, nothing to save").isTrue();
        });

        onEdt(() -> {
            p.rules.setText("gpt-5*=deepseek-chat\n\no3*=deepseek-reasoner\n");
            p.clients[0].setSelected(true);   // codex
            p.clients[1].setSelected(true);   // claude
            p.balanceUrl.setText("https://api.deepseek.com/user/balance");
            p.balancePath.setText("balance_infos[0].total_balance");
            var changes = p.changes();
            assertThat(changes.wire()).as("the wire did not change").isNull();
            assertThat(changes.modelRules()).containsExactly("gpt-5*=deepseek-chat", "o3*=deepseek-reasoner");
            p.save();
        });

        AccountStatus after = stored();
        assertThat(after.modelRules()).containsExactly("gpt-5*=deepseek-chat", "o3*=deepseek-reasoner");
        assertThat(after.clients()).containsExactly("codex", "claude");
        assertThat(after.balance().url()).isEqualTo("https://api.deepseek.com/user/balance");
        assertThat(after.balance().remainingPath()).isEqualTo("balance_infos[0].total_balance");
        assertThat(after.wire()).isEqualTo("chat");
        assertThat(saved.get()).isNotNull();
        assertThat(p.message.getText()).isEqualTo("Saved deepseek.");

        // clearing the URL removes the balance source; switching the wire saves it
        onEdt(() -> {
            p.balanceUrl.setText("");
            p.wire.setSelectedItem("anthropic");
            p.save();
        });
        assertThat(stored().balance()).isNull();
        assertThat(stored().wire()).isEqualTo("anthropic");
    }

    @Test
    void aResponsesKeyChoosesItsUpstreamTransportAndAChatWireCannot() throws Exception {
        control.addApiKey(new ControlApi.NewApiKey("openai", "sk-openai-0123456789", "https://api.openai.com/v1", 2, null));
        AccountStatus openai = control.status().accounts().stream().filter(a -> a.name().equals("openai")).findFirst().orElseThrow();
        AtomicReference<AccountWirePanel> panel = new AtomicReference<>();
        onEdt(() -> panel.set(new AccountWirePanel(control, tasks, openai, a -> { })));
        AccountWirePanel p = panel.get();
        onEdt(() -> {
            assertThat(p.transport.isEnabled()).isTrue();
            assertThat(p.transport.getSelectedIndex()).as("the pool's setting").isZero();
            p.transport.setSelectedIndex(1);   // WebSocket
            assertThat(p.changes().websocket()).isEqualTo("on");
            p.save();
        });
        AccountStatus after = control.status().accounts().stream().filter(a -> a.name().equals("openai")).findFirst().orElseThrow();
        assertThat(after.websocket()).isTrue();
        onEdt(() -> {
            assertThat(p.changes().isEmpty()).as("shown as saved").isTrue();
            p.transport.setSelectedIndex(0);
            p.save();
        });
        assertThat(control.status().accounts().stream().filter(a -> a.name().equals("openai")).findFirst().orElseThrow().websocket()).isNull();

        AtomicReference<AccountWirePanel> chat = new AtomicReference<>();
        AccountStatus deepseek = stored();
        onEdt(() -> chat.set(new AccountWirePanel(control, tasks, deepseek, a -> { })));
        onEdt(() -> assertThat(chat.get().transport.isEnabled()).as("a chat wire has no WebSocket").isFalse());
    }

    @Test
    void badInputShowsTheRelaysMessageAndSavesNothing() throws Exception {
        AtomicReference<AccountWirePanel> panel = new AtomicReference<>();
        AccountStatus before = stored();
        onEdt(() -> panel.set(new AccountWirePanel(control, tasks, before, a -> { })));
        AccountWirePanel p = panel.get();

        onEdt(() -> {
            p.rules.setText("gpt-5");
            p.save();
        });
        assertThat(p.message.getText()).contains("must look like PATTERN=MODEL");
        onEdt(() -> {
            p.rules.setText("gpt-5*=deepseek-chat");
            p.balanceUrl.setText("https://relay.example/balance");
            p.save();
        });
        assertThat(p.message.getText()).contains("--balance-path").doesNotContain("sk-deepseek");
        onEdt(() -> {
            p.balancePath.setText("data.x");
            p.balanceInterval.setText("soon");
            p.save();
        });
        assertThat(p.message.getText()).isEqualTo("The poll interval must be a whole number of seconds (at least 30).");
        assertThat(stored().balance()).isNull();
        assertThat(stored().modelRules()).containsExactly("gpt-5*=deepseek-chat");
    }

    @Test
    void aChatGptLoginKeepsItsWireFieldsLockedAndThePanelRenders() throws Exception {
        AccountStatus login = new AccountStatus("pro", "chatgpt", "me@example.com", "pro", null, true, 1, 2, "…abcd", "ready",
                null, null, 0, false, null);
        AtomicReference<AccountWirePanel> panel = new AtomicReference<>();
        onEdt(() -> panel.set(new AccountWirePanel(control, tasks, login, a -> { })));
        AccountWirePanel p = panel.get();
        onEdt(() -> {
            assertThat(p.wire.isEnabled()).isFalse();
            assertThat(p.rules.isEnabled()).isFalse();
            assertThat(p.balanceUrl.isEnabled()).isFalse();
            assertThat(p.clients[0].isEnabled()).isTrue();
            assertThat(p.message.getText()).contains("A ChatGPT login always speaks the Responses API");
            p.clients[0].setSelected(true);
            var changes = p.changes();
            assertThat(changes.clients()).containsExactly("codex");
            assertThat(changes.wire()).isNull();
            assertThat(changes.modelRules()).isNull();
            assertThat(changes.balance()).isNull();
            p.setSize(p.getPreferredSize());
            layoutTree(p);
            BufferedImage img = new BufferedImage(p.getWidth(), p.getHeight(), BufferedImage.TYPE_INT_RGB);
            var g = img.createGraphics();
            p.printAll(g);
            g.dispose();
            assertThat(img.getHeight()).isGreaterThan(200);
        });
    }

    private static void layoutTree(java.awt.Container c) {
        c.doLayout();
        for (var child : c.getComponents()) if (child instanceof java.awt.Container cc) layoutTree(cc);
    }
}
