package io.codexrelay.ui;

import io.codexrelay.app.UiStateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.swing.AbstractAction;
import javax.swing.JComponent;
import javax.swing.JFrame;
import javax.swing.KeyStroke;
import java.awt.Dimension;
import java.awt.GraphicsEnvironment;
import java.awt.Rectangle;
import java.awt.event.ActionEvent;
import java.awt.event.ComponentAdapter;
import java.awt.event.ComponentEvent;
import java.awt.event.KeyEvent;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Window habits: open centred at the size the user last gave it (kept in {@code ui-state.properties} in the relay
 * home, or nowhere when no file is given), close on Esc. Closing disposes the window (issue 9: a hidden window keeps
 * its Swing tree, native peer and caches for the rest of the day); the owner builds a new one for the next opening.
 */
public final class WindowMemory {
    private static final Logger log = LoggerFactory.getLogger(WindowMemory.class);

    private final Path file;
    private final Properties props = new Properties();

    public WindowMemory(Path file) {
        this.file = file;
        if (file != null && Files.isRegularFile(file)) {
            try {
                props.load(new StringReader(Files.readString(file)));
            } catch (IOException e) {
                log.debug("Ignoring unreadable {}: {}", file, e.toString());
            }
        }
    }

    /** Sets the frame up; call once before the first show. */
    public void install(JFrame frame, String key, Dimension defaultSize) {
        frame.setDefaultCloseOperation(JFrame.DISPOSE_ON_CLOSE);
        Dimension size = defaultSize;
        String saved = props.getProperty(key + ".size");
        if (saved != null) {
            try {
                String[] wh = saved.split("x");
                size = new Dimension(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
            } catch (RuntimeException ignored) {
            }
        }
        Rectangle screen = GraphicsEnvironment.getLocalGraphicsEnvironment().getMaximumWindowBounds();
        size = new Dimension(Math.max(frame.getMinimumSize().width, Math.min(size.width, screen.width)),
                Math.max(frame.getMinimumSize().height, Math.min(size.height, screen.height)));
        frame.setSize(size);
        frame.setLocationRelativeTo(null);
        frame.addComponentListener(new ComponentAdapter() {
            @Override public void componentResized(ComponentEvent e) {
                if (frame.isShowing() && (frame.getExtendedState() & JFrame.MAXIMIZED_BOTH) == 0) {
                    props.setProperty(key + ".size", frame.getWidth() + "x" + frame.getHeight());
                }
            }
            @Override public void componentHidden(ComponentEvent e) { save(); }
        });
        JComponent root = frame.getRootPane();
        root.getInputMap(JComponent.WHEN_IN_FOCUSED_WINDOW).put(KeyStroke.getKeyStroke(KeyEvent.VK_ESCAPE, 0), "close-window");
        root.getActionMap().put("close-window", new AbstractAction() {
            @Override public void actionPerformed(ActionEvent e) {
                frame.dispatchEvent(new java.awt.event.WindowEvent(frame, java.awt.event.WindowEvent.WINDOW_CLOSING));
            }
        });
    }

    /** Shows the frame, or brings it forward when it is already open. EDT. */
    public static void bringForward(JFrame frame) {
        if (!frame.isVisible()) {
            frame.setLocationRelativeTo(null);
            frame.setVisible(true);
        }
        if ((frame.getExtendedState() & JFrame.ICONIFIED) != 0) frame.setExtendedState(frame.getExtendedState() & ~JFrame.ICONIFIED);
        frame.toFront();
        frame.requestFocus();
    }

    private void save() {
        if (file == null) return;
        try {
            StringWriter w = new StringWriter();
            props.store(w, "codex-relay window sizes");
            UiStateFiles.write(file, w.toString(), true);
        } catch (IOException e) {
            log.debug("Could not save window sizes to {}: {}", file, e.toString());
        }
    }
}
