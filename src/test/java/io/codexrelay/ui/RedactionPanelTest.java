package io.codexrelay.ui;

import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.Controls;
import io.codexrelay.config.ConfigLoader;
import io.codexrelay.config.RelayHome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.swing.SwingUtilities;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Settings window's Redaction tab (issue 12), headless, on a real relay home (the offline control): it lists the
 * rules of config.toml, refuses a bad regex with the loader's message (without echoing the pattern), adds, edits and
 * removes rules, saves them into config.toml with a backup while the other lines stay, and its "Try it" box shows
 * what the relay's redactor makes of a sample.
 */
class RedactionPanelTest {
    @TempDir Path dir;
    RelayHome home;
    ControlHandle control;
    UiTasks tasks = new UiTasks();

    @BeforeEach
    void setUp() throws Exception {
        home = new RelayHome(dir.resolve("relay"));
        home.ensureExists();
        Files.writeString(home.configFile(), """
                [log]
                level = "debug"   # kept

                [[redact]]
                name = "keys"
                pattern = "sk-[a-z0-9]{8,}"
                replacement = "<key>"
                """);
        control = Controls.open(home, Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws Exception {
        tasks.close();
        control.close();
    }

    void onEdt(Runnable r) throws Exception {
        SwingUtilities.invokeAndWait(r);
        tasks.drain();
        SwingUtilities.invokeAndWait(() -> { });
    }

    @Test
    void itListsRefusesABadRegexEditsSavesAndTriesTheRules() throws Exception {
        AtomicReference<RedactionPanel> panel = new AtomicReference<>();
        onEdt(() -> panel.set(new RedactionPanel(control, tasks)));
        RedactionPanel p = panel.get();
        onEdt(p::refresh);

        onEdt(() -> {
            assertThat(p.model.getRowCount()).isEqualTo(1);
            assertThat(p.model.getValueAt(0, 0)).isEqualTo("keys");
            assertThat(p.model.getValueAt(0, 2)).isEqualTo("<key>");
            assertThat(p.model.getValueAt(0, 3)).isEqualTo("all accounts; all tools");
            assertThat(p.save.isEnabled()).as("nothing to save yet").isFalse();
        });

        onEdt(() -> {
            p.name.setText("bad");
            p.kind.setSelectedItem("regex");
            p.text.setText("hunter(2");
            p.addRule();
            assertThat(p.rules).hasSize(1);
            assertThat(p.message.getText()).contains("'bad'").contains("not a valid regular expression").doesNotContain("hunter");
        });

        onEdt(() -> {
            p.name.setText("company");
            p.kind.setSelectedItem("literal");
            p.text.setText("ACME");
            p.ignoreCase.setSelected(true);
            p.replacement.setText("the company");
            p.clients[0].setSelected(true);   // codex
            p.addRule();
            assertThat(p.rules).hasSize(2);
            assertThat(p.model.getValueAt(1, 3)).isEqualTo("all accounts; codex");
            p.sample.setText("use sk-abcdef123456 at acme");
            p.tryRules();
            assertThat(p.result.getText()).isEqualTo("use <key> at the company");
            assertThat(p.tryCount.getText()).isEqualTo("2 replacement(s)");
            assertThat(p.save.isEnabled()).isTrue();
        });

        onEdt(() -> {
            p.table.getSelectionModel().setSelectionInterval(0, 0);
            assertThat(p.text.getText()).as("the editor shows the selected rule").isEqualTo("sk-[a-z0-9]{8,}");
            p.replacement.setText("");
            p.updateRule();
            assertThat(p.model.getValueAt(0, 2)).isEqualTo("(removed)");
            p.save();
        });

        String text = Files.readString(home.configFile());
        assertThat(text).startsWith("[log]\nlevel = \"debug\"   # kept\n");
        var cfg = ConfigLoader.load(home.configFile());
        assertThat(cfg.redactions()).extracting(r -> r.label()).containsExactly("keys", "company");
        assertThat(cfg.redactions().get(0).replacement()).isEmpty();
        assertThat(cfg.redactions().get(1).clients()).containsExactly("codex");
        try (var backups = Files.list(home.backupsDir())) {
            assertThat(backups.filter(f -> f.getFileName().toString().startsWith("config.toml"))).as("a backup was made").isNotEmpty();
        }
        onEdt(() -> assertThat(p.message.getText()).startsWith("Saved 2 rule(s)"));

        onEdt(() -> {
            p.table.getSelectionModel().setSelectionInterval(0, 0);
            p.removeRule();
            p.save();
        });
        assertThat(ConfigLoader.load(home.configFile()).redactions()).extracting(r -> r.label()).containsExactly("company");
    }
}
