package io.codexrelay.ui;

import io.codexrelay.app.SettingsDraft;
import io.codexrelay.config.RelayConfig;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import javax.swing.JComboBox;
import javax.swing.JTextField;
import javax.swing.SwingUtilities;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The Relay tab's fields, headless: typing validates at once with the loader's rules, and the panel renders. */
class ConfigFieldsPanelTest {

    @Test
    void typingAWrongValueShowsTheProblemUnderTheFieldAndOutlinesIt() throws Exception {
        List<String> keys = new ArrayList<>();
        for (var g : SettingsWindow.RELAY_GROUPS) keys.addAll(g.keys());
        SettingsDraft form = new SettingsDraft(keys, RelayConfig.defaults().values());
        AtomicInteger changes = new AtomicInteger();
        SwingUtilities.invokeAndWait(() -> {
            ConfigFieldsPanel panel = new ConfigFieldsPanel(form, SettingsWindow.RELAY_GROUPS, changes::incrementAndGet);
            JTextField port = (JTextField) panel.editor("server.port");
            assertThat(port.getText()).isEqualTo("17771");
            assertThat(panel.note("server.port")).isEqualTo("TCP port of the relay.");

            port.setText("99999");
            assertThat(panel.note("server.port")).isEqualTo("Must be at most 65535");
            assertThat(port.getClientProperty("JComponent.outline")).isEqualTo("error");
            assertThat(form.valid()).isFalse();

            port.setText("18000");
            assertThat(panel.note("server.port")).isEqualTo("TCP port of the relay.");
            assertThat(port.getClientProperty("JComponent.outline")).isNull();

            @SuppressWarnings("unchecked")
            JComboBox<String> routing = (JComboBox<String>) panel.editor("pool.routing");
            routing.setSelectedItem("fill-first");
            assertThat(form.changes()).containsEntry("server.port", 18000L).containsEntry("pool.routing", "fill-first");
            assertThat(form.restartNeeded()).containsExactly("server.port");

            // Revert: the editors show the running values again.
            form.reset(RelayConfig.defaults().values());
            panel.syncFromForm();
            assertThat(port.getText()).isEqualTo("17771");
            assertThat(routing.getSelectedItem()).isEqualTo("most-remaining");
            assertThat(form.dirty()).isFalse();

            panel.setSize(panel.getPreferredSize());
            panel.doLayout();
            layoutTree(panel);
            BufferedImage img = new BufferedImage(panel.getWidth(), panel.getHeight(), BufferedImage.TYPE_INT_RGB);
            var g = img.createGraphics();
            panel.printAll(g);
            g.dispose();
            try {
                Path out = Path.of("target", "screenshots", "relay-fields-headless.png");
                Files.createDirectories(out.getParent());
                ImageIO.write(img, "png", out.toFile());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            assertThat(img.getHeight()).isGreaterThan(600);
        });
        assertThat(changes.get()).isGreaterThanOrEqualTo(3);
    }

    private static void layoutTree(java.awt.Container c) {
        c.doLayout();
        for (var child : c.getComponents()) if (child instanceof java.awt.Container cc) layoutTree(cc);
    }
}
