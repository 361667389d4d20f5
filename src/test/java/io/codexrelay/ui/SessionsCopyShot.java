package io.codexrelay.ui;

import io.codexrelay.app.SessionsService;

import javax.swing.AbstractButton;
import javax.swing.JDialog;
import javax.swing.JFrame;
import javax.swing.SwingUtilities;
import java.awt.AWTEvent;
import java.awt.Component;
import java.awt.Container;
import java.awt.Point;
import java.awt.Toolkit;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Child process of {@link SessionsWindowXvfbTest}'s copy test: opens the real Sessions window (real dialogs), selects
 * the first session, and prints where things are on screen so the test can click them with xdotool:
 * {@code SELECTED <id> <rollout>}, {@code BUTTON <x> <y>} (Copy to home…), and for every dialog that opens
 * {@code DIALOG <title>} followed by {@code OPTION <label> <x> <y> <x in dialog> <y in dialog>} per button, and {@code CLOSED <title>} when it
 * closes; "where" on stdin prints the showing dialogs' buttons again ({@code AT <title>}, OPTION lines,
 * {@code WHERE-END}). Exits when the window is closed.
 */
public final class SessionsCopyShot {
    private SessionsCopyShot() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]), relay = Path.of(args[1]);
        SessionsService svc = SessionsService.open(Map.of("CODEX_RELAY_HOME", relay.toString()), home, Clock.systemUTC());
        AtomicReference<JFrame> frame = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        Toolkit.getDefaultToolkit().addAWTEventListener(e -> {
            if (e.getID() == WindowEvent.WINDOW_OPENED && e.getSource() instanceof JDialog d) {
                SwingUtilities.invokeLater(() -> {
                    StringBuilder sb = new StringBuilder("DIALOG ").append(d.getTitle()).append('\n');
                    buttons(d.getContentPane(), sb);
                    print(sb.toString());
                });
            } else if (e.getID() == WindowEvent.WINDOW_CLOSED && e.getSource() instanceof JDialog d) {
                print("CLOSED " + d.getTitle() + "\n");
            }
        }, AWTEvent.WINDOW_EVENT_MASK);
        // "where" on stdin: the buttons of every dialog showing now, where they are at this moment (a dialog can be
        // placed again after it opened; the test asks before it clicks again)
        Thread where = new Thread(() -> {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.equals("where")) continue;
                    SwingUtilities.invokeLater(() -> {
                        StringBuilder sb = new StringBuilder();
                        for (java.awt.Window w : java.awt.Window.getWindows()) {
                            if (w instanceof JDialog d && d.isShowing()) {
                                sb.append("AT ").append(d.getTitle()).append('\n');
                                buttons(d.getContentPane(), sb);
                            }
                        }
                        print(sb.append("WHERE-END\n").toString());
                    });
                }
            } catch (java.io.IOException ignored) {
                // the test went away
            }
        }, "where");
        where.setDaemon(true);
        where.start();
        SwingUtilities.invokeAndWait(() -> {
            SessionsWindow.applyLookAndFeel();
            JFrame f = SessionsWindow.open(svc);
            f.addWindowListener(new WindowAdapter() {
                @Override public void windowClosed(WindowEvent e) { closed.countDown(); }
            });
            frame.set(f);
        });
        SessionsPanel panel = (SessionsPanel) frame.get().getContentPane();
        long end = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < end) {
            AtomicReference<String> status = new AtomicReference<>();
            SwingUtilities.invokeAndWait(() -> status.set(panel.statusText()));
            if (!status.get().isEmpty() && Character.isDigit(status.get().charAt(0))) break;
            Thread.sleep(100);
        }
        AtomicReference<String> out = new AtomicReference<>();
        SwingUtilities.invokeAndWait(() -> {
            var rows = panel.model().rows();
            for (int i = 0; i < rows.size(); i++) {
                if (rows.get(i) instanceof SessionsListModel.Item it && !it.view().archived()) {
                    panel.sessionList().setSelectedIndex(i);
                    panel.sessionList().ensureIndexIsVisible(i);
                    out.set("SELECTED " + it.view().id() + " " + it.view().rolloutPath());
                    break;
                }
            }
        });
        // the selection's details load in the background and enable the buttons; a slow machine takes longer
        long enabledBy = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < enabledBy) {
            AtomicReference<Boolean> enabled = new AtomicReference<>();
            SwingUtilities.invokeAndWait(() -> enabled.set(SessionsPanelTest.find(panel, "copy-to-home").isEnabled()));
            if (enabled.get()) break;
            Thread.sleep(100);
        }
        Thread.sleep(500);   // painted and mapped before the test clicks
        SwingUtilities.invokeAndWait(() -> {
            Component b = SessionsPanelTest.find(panel, "copy-to-home");
            Point p = b.getLocationOnScreen();
            out.set(out.get() + "\nBUTTON " + (p.x + b.getWidth() / 2) + " " + (p.y + b.getHeight() / 2) + " " + b.isEnabled());
        });
        print(out.get() + "\nREADY\n");
        closed.await();
        svc.close();
        System.exit(0);
    }

    private static void buttons(Container c, StringBuilder sb) {
        for (Component k : c.getComponents()) {
            if (k instanceof AbstractButton b && b.isShowing()) {
                Point p = b.getLocationOnScreen();
                // and where it is inside its dialog: the test can add that to where X has the dialog's window, when the
                // screen position Java reports is not where the window is (seen under Xvfb with no window manager)
                Point r = SwingUtilities.convertPoint(b, b.getWidth() / 2, b.getHeight() / 2, SwingUtilities.getWindowAncestor(b));
                sb.append("OPTION ").append(b.getText()).append(' ').append(p.x + b.getWidth() / 2).append(' ').append(p.y + b.getHeight() / 2)
                        .append(' ').append(r.x).append(' ').append(r.y).append('\n');
            } else if (k instanceof Container sub) {
                buttons(sub, sb);
            }
        }
    }

    private static synchronized void print(String s) {
        System.out.print(s);
        System.out.flush();
    }
}
