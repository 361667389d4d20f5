package io.codexrelay.ui;

import io.codexrelay.app.ControlApi;

import javax.swing.JCheckBox;
import javax.swing.JLabel;
import javax.swing.JOptionPane;
import javax.swing.JPanel;
import javax.swing.SwingUtilities;
import java.awt.BorderLayout;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** The Swing question of {@link QuitFlow}: keep Codex routed to the relay, or hand it the best account directly. */
final class QuitDialog implements QuitFlow.Asker {
    static final String HAND_OVER = "Hand Codex the best account", KEEP = "Keep Codex routed to the relay", CANCEL = "Cancel";

    @Override
    public Optional<QuitFlow.Answer> ask() {
        AtomicReference<Optional<QuitFlow.Answer>> result = new AtomicReference<>(Optional.empty());
        Runnable show = () -> {
            JPanel panel = new JPanel(new BorderLayout(0, 8));
            panel.add(new JLabel("<html>Codex is routed through the relay. While the relay is stopped, Codex cannot work<br>"
                    + "unless it gets an account directly (its own auth.json; the next start routes it back).</html>"),
                    BorderLayout.CENTER);
            JCheckBox remember = new JCheckBox("Remember my choice");
            panel.add(remember, BorderLayout.SOUTH);
            Object[] options = {HAND_OVER, KEEP, CANCEL};
            int i = JOptionPane.showOptionDialog(null, panel, "Quit codex-relay", JOptionPane.DEFAULT_OPTION,
                    JOptionPane.QUESTION_MESSAGE, null, options, options[0]);
            if (i == 0) result.set(Optional.of(new QuitFlow.Answer(ControlApi.StopChoice.HAND_OVER, remember.isSelected())));
            else if (i == 1) result.set(Optional.of(new QuitFlow.Answer(ControlApi.StopChoice.KEEP_ROUTED, remember.isSelected())));
        };
        try {
            if (SwingUtilities.isEventDispatchThread()) show.run();
            else SwingUtilities.invokeAndWait(show);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new IllegalStateException(e.getCause());
        }
        return result.get();
    }
}
