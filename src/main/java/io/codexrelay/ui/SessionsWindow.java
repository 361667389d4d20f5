package io.codexrelay.ui;

import io.codexrelay.app.SessionsService;

import javax.swing.AbstractAction;
import javax.swing.BorderFactory;
import javax.swing.ButtonGroup;
import javax.swing.JComboBox;
import javax.swing.JComponent;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JOptionPane;
import javax.swing.JPanel;
import javax.swing.JRadioButton;
import javax.swing.JScrollPane;
import javax.swing.JTextArea;
import javax.swing.KeyStroke;
import javax.swing.SwingUtilities;
import javax.swing.UIManager;
import java.awt.BorderLayout;
import java.awt.Component;
import java.awt.Dimension;
import java.awt.Font;
import java.awt.GridLayout;
import java.awt.Toolkit;
import java.awt.datatransfer.StringSelection;
import java.awt.event.KeyEvent;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The Sessions window ("Sessions…" in the tray; {@code codex-relay sessions window} until the tray exists).
 * Opens centred, remembers its size, closes on Esc, works with the plain Swing look and with FlatLaf.
 */
public final class SessionsWindow {
    static final String TITLE = "Codex sessions — codex-relay";

    private SessionsWindow() {}

    /** Opens the window and returns at once (for the tray). Call on the event thread. */
    public static JFrame open(SessionsService service) {
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "sessions-window");
            t.setDaemon(true);
            return t;
        });
        SessionsPanel panel = new SessionsPanel(service, new DesktopInteraction(), worker, Clock.systemUTC());
        JFrame f = new JFrame(TITLE);
        f.setName("sessions-window");
        f.setDefaultCloseOperation(JFrame.DISPOSE_ON_CLOSE);
        f.setContentPane(panel);
        Path sizeFile = service.uiStateFile("sessions-window.properties");
        f.setSize(loadSize(sizeFile));
        f.setLocationRelativeTo(null);
        f.getRootPane().getInputMap(JComponent.WHEN_IN_FOCUSED_WINDOW).put(KeyStroke.getKeyStroke(KeyEvent.VK_ESCAPE, 0), "close");
        f.getRootPane().getActionMap().put("close", new AbstractAction() {
            @Override
            public void actionPerformed(java.awt.event.ActionEvent e) {
                f.dispatchEvent(new WindowEvent(f, WindowEvent.WINDOW_CLOSING));
            }
        });
        f.addWindowListener(new WindowAdapter() {
            @Override
            public void windowClosed(WindowEvent e) {
                saveSize(sizeFile, f.getSize());
                worker.shutdownNow();
            }
        });
        f.setVisible(true);
        panel.reload();
        return f;
    }

    /** Opens the window and blocks until it is closed (the CLI's {@code sessions window}). */
    public static void showAndWait(SessionsService service) throws InterruptedException {
        CountDownLatch closed = new CountDownLatch(1);
        SwingUtilities.invokeLater(() -> {
            applyLookAndFeel();
            JFrame f = open(service);
            f.addWindowListener(new WindowAdapter() {
                @Override
                public void windowClosed(WindowEvent e) {
                    closed.countDown();
                }
            });
            // started by the tray (its process): its menu entry chosen again brings this window forward
            StandaloneWindow.listenForFront(System.in, () -> WindowMemory.bringForward(f));
        });
        closed.await();
    }

    /** FlatLaf when it is on the class path (the tray brings it), else the platform's own look. */
    static void applyLookAndFeel() {
        try {
            Class<?> flat = Class.forName("com.formdev.flatlaf.FlatLightLaf");
            UIManager.setLookAndFeel((javax.swing.LookAndFeel) flat.getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | javax.swing.UnsupportedLookAndFeelException | ClassCastException e) {
            // plain Swing look: fine
        }
    }

    private static Dimension loadSize(Path file) {
        Dimension d = new Dimension(1180, 720);
        if (Files.exists(file)) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                p.load(in);
                d = new Dimension(Math.max(640, Integer.parseInt(p.getProperty("width", "1180"))),
                        Math.max(400, Integer.parseInt(p.getProperty("height", "720"))));
            } catch (IOException | NumberFormatException ignored) {
                // default size
            }
        }
        Dimension screen = Toolkit.getDefaultToolkit().getScreenSize();
        return new Dimension(Math.min(d.width, screen.width), Math.min(d.height, screen.height));
    }

    private static void saveSize(Path file, Dimension d) {
        Properties p = new Properties();
        p.setProperty("width", Integer.toString(d.width));
        p.setProperty("height", Integer.toString(d.height));
        try {
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(file)) {
                p.store(out, "Size of the Sessions window");
            }
        } catch (IOException ignored) {
            // the size is a convenience
        }
    }

    /** Dialogs, the clipboard and a terminal, for real. */
    static final class DesktopInteraction implements SessionsPanel.Interaction {
        @Override
        public boolean confirm(Component parent, String title, String text, String okLabel) {
            Object[] options = {okLabel, "Cancel"};
            int r = JOptionPane.showOptionDialog(parent, scroll(text), title, JOptionPane.OK_CANCEL_OPTION,
                    JOptionPane.QUESTION_MESSAGE, null, options, options[1]);
            return r == 0;
        }

        @Override
        public void inform(Component parent, String title, String text) {
            JOptionPane.showMessageDialog(parent, scroll(text), title, JOptionPane.INFORMATION_MESSAGE);
        }

        @Override
        public int choose(Component parent, String title, String text, String... options) {
            return JOptionPane.showOptionDialog(parent, scroll(text), title, JOptionPane.DEFAULT_OPTION,
                    JOptionPane.PLAIN_MESSAGE, null, options, options[options.length - 1]);
        }

        private static JComponent scroll(String text) {
            JTextArea a = new JTextArea(text);
            a.setEditable(false);
            a.setLineWrap(true);
            a.setWrapStyleWord(true);
            a.setFont(new Font(Font.MONOSPACED, Font.PLAIN, UIManager.getFont("Label.font") == null ? 12 : UIManager.getFont("Label.font").getSize()));
            a.setBorder(BorderFactory.createEmptyBorder(6, 6, 6, 6));
            JScrollPane s = new JScrollPane(a);
            s.setPreferredSize(new Dimension(720, Math.min(420, 60 + 18 * (int) text.lines().count())));
            return s;
        }

        @Override
        public void copy(String text) {
            Toolkit.getDefaultToolkit().getSystemClipboard().setContents(new StringSelection(text), null);
        }

        @Override
        public boolean openTerminal(String dir, String command) {
            return TerminalLauncher.open(Path.of(dir), command);
        }

        @Override
        public SessionsPanel.RetagChoice chooseRetag(Component parent, List<String> providers, String current, int selected) {
            JComboBox<String> to = new JComboBox<>(providers.toArray(String[]::new));
            to.setEditable(true);
            to.setSelectedItem(current);
            JComboBox<String> from = new JComboBox<>(providers.toArray(String[]::new));
            JRadioButton sel = new JRadioButton("the " + selected + " selected session" + (selected == 1 ? "" : "s"));
            JRadioButton all = new JRadioButton("every session recorded under");
            ButtonGroup g = new ButtonGroup();
            g.add(sel);
            g.add(all);
            sel.setEnabled(selected > 0);
            (selected > 0 ? sel : all).setSelected(true);
            JPanel p = new JPanel(new GridLayout(0, 1, 4, 4));
            p.add(new JLabel("Record these sessions under the provider Codex uses, so `codex resume` takes them:"));
            JPanel row = new JPanel(new BorderLayout(6, 0));
            row.add(new JLabel("Move to provider"), BorderLayout.WEST);
            row.add(to, BorderLayout.CENTER);
            p.add(row);
            p.add(sel);
            JPanel allRow = new JPanel(new BorderLayout(6, 0));
            allRow.add(all, BorderLayout.WEST);
            allRow.add(from, BorderLayout.CENTER);
            p.add(allRow);
            p.add(new JLabel("You see exactly what changes before anything is written."));
            int r = JOptionPane.showConfirmDialog(parent, p, "Move sessions to a provider", JOptionPane.OK_CANCEL_OPTION,
                    JOptionPane.PLAIN_MESSAGE);
            if (r != JOptionPane.OK_OPTION || to.getSelectedItem() == null || to.getSelectedItem().toString().isBlank()) return null;
            return new SessionsPanel.RetagChoice(to.getSelectedItem().toString().strip(),
                    all.isSelected() ? (String) from.getSelectedItem() : null);
        }
    }

    /** Starts the platform's terminal in a directory running a command: best effort, false when none could start. */
    static final class TerminalLauncher {
        private TerminalLauncher() {}

        static boolean open(Path dir, String command) {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            List<List<String>> tries = new ArrayList<>();
            if (os.contains("mac")) {
                String script = "cd " + shell(dir.toString()) + " && " + command;
                tries.add(List.of("osascript", "-e", "tell application \"Terminal\" to do script \""
                        + script.replace("\\", "\\\\").replace("\"", "\\\"") + "\"", "-e", "tell application \"Terminal\" to activate"));
            } else if (os.contains("win")) {
                tries.add(List.of("cmd", "/c", "start", "", "cmd", "/k", command));
            } else {
                String keep = command + "; exec \"${SHELL:-bash}\"";
                tries.add(List.of("x-terminal-emulator", "-e", "bash", "-lc", keep));
                tries.add(List.of("gnome-terminal", "--", "bash", "-lc", keep));
                tries.add(List.of("konsole", "-e", "bash", "-lc", keep));
                tries.add(List.of("xfce4-terminal", "-x", "bash", "-lc", keep));
                tries.add(List.of("kitty", "bash", "-lc", keep));
                tries.add(List.of("alacritty", "-e", "bash", "-lc", keep));
                tries.add(List.of("xterm", "-e", "bash", "-lc", keep));
            }
            for (List<String> cmd : tries) {
                try {
                    new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                    return true;
                } catch (IOException e) {
                    // not installed: try the next one
                }
            }
            return false;
        }

        private static String shell(String s) {
            return "'" + s.replace("'", "'\\''") + "'";
        }
    }
}
