package io.codexrelay.ui;

import io.codexrelay.app.SessionsService;
import io.codexrelay.testing.SyntheticCodexHome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import javax.swing.SwingUtilities;
import java.awt.Component;
import java.awt.Container;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The Sessions panel without a display: model, details, repairs through the panel, and a rendered image. */
class SessionsPanelTest {
    @TempDir Path tmp;
    SessionsService service;
    SessionsPanel panel;
    final Recorder ui = new Recorder();
    List<SyntheticCodexHome.Made> made;

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    @BeforeEach
    void setUp() throws Exception {
        Path home = tmp.resolve("codex-home");
        made = new SyntheticCodexHome(false).write(home, Path.of("/home/dev/src"), 40, Instant.now(), 7);
        Files.writeString(home.resolve("config.toml"), "model_provider = \"codex-relay\"\n");
        service = SessionsService.open(Map.of("CODEX_RELAY_HOME", tmp.resolve("relay").toString()), home, Clock.systemUTC());
        SwingUtilities.invokeAndWait(() -> panel = new SessionsPanel(service, ui, Runnable::run, Clock.systemUTC()));
        panel.reload();
        flush();
    }

    @AfterEach
    void tearDown() {
        service.close();
    }

    static void flush() throws Exception {
        for (int i = 0; i < 3; i++) SwingUtilities.invokeAndWait(() -> { });
    }

    @Test
    void listsSessionsGroupedAndShowsTheFirstOnesDetailsWithTheDiagnosis() throws Exception {
        var model = panel.model();
        assertThat(model.rows().get(0)).isInstanceOf(SessionsListModel.Group.class);
        long archived = made.stream().filter(SyntheticCodexHome.Made::archived).count();
        assertThat(model.matching()).isEqualTo(made.size() - (int) archived);
        assertThat(panel.statusText()).startsWith("40 sessions in ");
        assertThat(panel.selected()).hasSize(1);
        String html = panel.detailsHtml();
        SessionsService.View first = panel.selected().get(0);
        assertThat(html).contains(first.id()).contains("Why might it be missing from").contains("Conversation")
                .contains(first.firstUserMessage());
        if (!"codex-relay".equals(first.provider())) assertThat(html).contains("retag --from openai --to codex-relay");

        panel.setSearch(first.id().substring(0, 13));
        flush();
        assertThat(model.matching()).isEqualTo(1);
    }

    @Test
    void aMoveToTheCurrentProviderIsPreviewedThenAppliedAndUndone() throws Exception {
        Set<String> openai = new HashSet<>();
        for (var m : made) if (m.provider().equals("openai")) openai.add(m.id());
        ui.answer = false;
        panel.retag("openai", "codex-relay", null);
        flush();
        assertThat(ui.confirms).singleElement().asString().contains("Move " + openai.size() + " sessions from provider 'openai' to 'codex-relay'")
                .contains("session_meta model_provider 'openai' -> 'codex-relay'");
        assertThat(service.providerCounts()).containsEntry("openai", openai.size());

        ui.answer = true;
        panel.retag("openai", "codex-relay", null);
        flush();
        assertThat(ui.informs).last().asString().contains("✓");
        assertThat(panel.model().providers()).containsExactly("codex-relay");
        assertThat(service.lastRepair()).isPresent();

        panel.undo();
        flush();
        assertThat(panel.model().providers()).containsExactly("codex-relay", "openai");
    }

    @Test
    void trashAndRestoreThroughThePanel() throws Exception {
        SessionsService.View v = panel.selected().get(0);
        ui.answer = true;
        panel.trashSelected();
        flush();
        assertThat(panel.model().indexOf(v.id())).isNegative();
        assertThat(service.trash()).extracting(SessionsService.TrashItem::sessionId).containsExactly(v.id());
        ui.choice = 0;      // "Restore all"
        panel.trashDialog();
        flush();
        assertThat(panel.model().indexOf(v.id())).isPositive();
        assertThat(service.trash()).isEmpty();

        panel.sessionList().setSelectedIndex(panel.model().indexOf(v.id()));
        panel.trashSelected();
        flush();
        ui.choice = 1;      // "Empty the trash…", then confirmed
        panel.trashDialog();
        flush();
        assertThat(ui.confirms).last().asString().contains("for good");
        assertThat(service.trash()).isEmpty();
        assertThat(panel.model().indexOf(v.id())).isNegative();
    }

    @Test
    void copyToHomeAsksWhichNamedHomePreviewsCopiesAndUndoRemovesTheCopy() throws Exception {
        SessionsService.View v = panel.selected().get(0);
        javax.swing.JButton button = (javax.swing.JButton) find(panel, "copy-to-home");
        assertThat(button.getText()).isEqualTo("Copy to home…");
        assertThat(button.isEnabled()).isTrue();

        // no named home yet: it says how to make one
        SwingUtilities.invokeAndWait(button::doClick);
        flush();
        assertThat(ui.informs).last().asString().contains("codex-relay homes create NAME");

        Path two = tmp.resolve("two");
        try (var control = io.codexrelay.app.Controls.open(new io.codexrelay.config.RelayHome(tmp.resolve("relay")), Clock.systemUTC())) {
            control.createHome("two", null, two, null, false);
        }
        ui.choice = 0;
        ui.answer = true;
        SwingUtilities.invokeAndWait(button::doClick);
        flush();
        assertThat(ui.informs).anySatisfy(t -> assertThat(t).contains("Copy 1 session to which Codex home?"));
        assertThat(ui.confirms).last().asString().contains("Copy 1 session to " + two.toAbsolutePath().normalize()).contains("copy ");
        Path original = Path.of(v.rolloutPath());
        Path home = tmp.resolve("codex-home");
        Path copy = two.toAbsolutePath().normalize().resolve(home.relativize(original).toString());
        assertThat(copy).exists().hasSameBinaryContentAs(original);
        assertThat(ui.informs).last().asString().contains("✓");
        assertThat(panel.model().indexOf(v.id())).as("the original stays listed").isNotNegative();

        panel.undo();
        flush();
        assertThat(copy).doesNotExist();
        assertThat(original).exists();
    }

    static Component find(Container c, String name) {
        for (Component k : c.getComponents()) {
            if (name.equals(k.getName())) return k;
            if (k instanceof Container sub) {
                Component f = find(sub, name);
                if (f != null) return f;
            }
        }
        return null;
    }

    @Test
    void copyAndTerminalFallback() throws Exception {
        SessionsService.View v = panel.selected().get(0);
        panel.copyResumeCommand();
        assertThat(ui.copied).containsExactly("cd " + v.cwd() + " && codex resume " + v.id());
        ui.terminalWorks = false;
        panel.openInTerminal();
        assertThat(ui.copied).hasSize(2);
        assertThat(ui.informs).last().asString().contains("copied instead");
    }

    @Test
    void rendersToAnImage() throws Exception {
        BufferedImage img = new BufferedImage(1180, 720, BufferedImage.TYPE_INT_RGB);
        SwingUtilities.invokeAndWait(() -> {
            panel.setSize(1180, 720);
            layout(panel);
            Graphics2D g = img.createGraphics();
            panel.printAll(g);
            g.dispose();
        });
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) for (int x = 0; x < img.getWidth(); x += 3) colours.add(img.getRGB(x, y));
        assertThat(colours.size()).as("distinct colours in the rendering").isGreaterThan(20);
        // The selection highlight of the first session is drawn in the list (left third, near the top).
        int sel = panel.sessionList().getSelectionBackground().getRGB();
        boolean found = false;
        for (int y = 40; y < 200 && !found; y++) for (int x = 10; x < 400 && !found; x++) found = img.getRGB(x, y) == sel;
        assertThat(found).as("selected row painted").isTrue();
        Path out = Path.of("target", "screenshots");
        Files.createDirectories(out);
        ImageIO.write(img, "png", out.resolve("sessions-headless.png").toFile());
    }

    static void layout(Component c) {
        c.doLayout();
        if (c instanceof Container k) for (Component child : k.getComponents()) layout(child);
    }

    static final class Recorder implements SessionsPanel.Interaction {
        boolean answer = true, terminalWorks = true;
        final List<String> confirms = new ArrayList<>(), informs = new ArrayList<>(), copied = new ArrayList<>();

        @Override public boolean confirm(Component parent, String title, String text, String okLabel) {
            confirms.add(text);
            return answer;
        }

        @Override public void inform(Component parent, String title, String text) { informs.add(text); }

        int choice = -1;

        @Override public int choose(Component parent, String title, String text, String... options) {
            informs.add(text);
            return choice;
        }

        @Override public void copy(String text) { copied.add(text); }

        @Override public boolean openTerminal(String dir, String command) { return terminalWorks; }

        @Override public SessionsPanel.RetagChoice chooseRetag(Component parent, List<String> providers, String current, int selected) {
            return new SessionsPanel.RetagChoice(current, null);
        }
    }
}
