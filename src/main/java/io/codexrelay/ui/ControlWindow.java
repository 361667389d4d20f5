package io.codexrelay.ui;

import javax.swing.BorderFactory;
import javax.swing.BoxLayout;
import javax.swing.ImageIcon;
import javax.swing.JButton;
import javax.swing.JCheckBox;
import javax.swing.JComponent;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JSeparator;
import javax.swing.SwingUtilities;
import javax.swing.WindowConstants;
import java.awt.BorderLayout;
import java.awt.Component;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.awt.Font;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes the tray's place where no tray host runs: a small window with the same status line, accounts, switches and
 * actions as the tray menu. Closing it minimises it (it is the only way back in); Quit stops the relay.
 */
final class ControlWindow implements TraySurface {
    static final String TITLE = "codex-relay";

    private final JFrame frame = new JFrame(TITLE);
    private final TrayIconPainter painter;
    private final Actions actions;
    private final JLabel status = new JLabel(" ");
    private final JPanel items = new JPanel();
    private final Map<String, JComponent> components = new HashMap<>();
    private List<String> shape = List.of();
    private IconState shownIcon;
    private boolean updating;

    ControlWindow(TrayIconPainter painter, Actions actions, String reason, List<java.awt.Image> icons) {
        this.painter = painter;
        this.actions = actions;
        frame.setName("control-window");
        frame.setDefaultCloseOperation(WindowConstants.DO_NOTHING_ON_CLOSE);
        frame.addWindowListener(new WindowAdapter() {
            @Override public void windowClosing(WindowEvent e) { frame.setExtendedState(JFrame.ICONIFIED); }
            @Override public void windowActivated(WindowEvent e) { actions.menuOpening(); }   // what opening the menu is for the tray
        });
        JPanel content = new JPanel(new BorderLayout(0, 8));
        content.setBorder(BorderFactory.createEmptyBorder(12, 14, 12, 14));
        status.setFont(status.getFont().deriveFont(Font.BOLD));
        status.setName("control-status");
        status.setIconTextGap(10);
        content.add(status, BorderLayout.NORTH);
        items.setLayout(new BoxLayout(items, BoxLayout.Y_AXIS));
        content.add(items, BorderLayout.CENTER);
        JLabel why = new JLabel("<html><small>Shown because " + escape(reason) + ".</small></html>");
        why.setEnabled(false);
        content.add(why, BorderLayout.SOUTH);
        frame.setContentPane(content);
        if (icons != null) frame.setIconImages(icons);
        frame.setMinimumSize(new Dimension(380, 200));
    }

    /** Shows the window (centred, not stealing focus from whatever the user does). */
    void show() {
        SwingUtilities.invokeLater(() -> {
            frame.pack();
            frame.setLocationRelativeTo(null);
            frame.setAutoRequestFocus(false);
            frame.setVisible(true);
        });
    }

    JFrame frame() { return frame; }

    @Override
    public String kind() { return "control window"; }

    @Override
    public void update(TrayMenuModel model, IconState icon) {
        SwingUtilities.invokeLater(() -> {
            updating = true;
            try {
                if (!icon.equals(shownIcon)) {
                    status.setIcon(new ImageIcon(painter.paintMultiResolution(icon, 32)));
                    shownIcon = icon;
                }
                status.setText(model.status());
                frame.setTitle(TITLE + " — " + model.status());
                if (!model.shape().equals(shape)) rebuild(model);
                else for (TrayMenuModel.Item i : model.items()) apply(i, components.get(i.id()));
                shape = model.shape();
            } finally {
                updating = false;
            }
            if (frame.isVisible() && frame.getHeight() < frame.getPreferredSize().height) frame.pack();
        });
    }

    private void rebuild(TrayMenuModel model) {
        items.removeAll();
        components.clear();
        JPanel buttons = null;
        for (TrayMenuModel.Item item : model.items()) {
            JComponent c;
            if (item instanceof TrayMenuModel.Label l && l.id().equals(TrayMenuModel.STATUS)) {
                continue;   // the bold line at the top
            } else if (item instanceof TrayMenuModel.Label l) {
                JLabel info = new JLabel(l.text());
                info.setName(l.id());
                c = info;
            } else if (item instanceof TrayMenuModel.Separator) {
                if (buttons != null) { items.add(buttons); buttons = null; }
                JSeparator sep = new JSeparator();
                sep.setMaximumSize(new Dimension(Integer.MAX_VALUE, 8));
                c = sep;
            } else if (item instanceof TrayMenuModel.Toggle t) {
                JCheckBox cb = new JCheckBox(t.text());
                cb.setName(t.id());
                cb.addActionListener(e -> { if (!updating) actions.chosen(t.id(), cb.isSelected()); });
                c = cb;
            } else {
                TrayMenuModel.Action a = (TrayMenuModel.Action) item;
                JButton b = new JButton(a.text());
                b.setName(a.id());
                b.addActionListener(e -> actions.chosen(a.id(), false));
                if (buttons == null) buttons = new JPanel(new FlowLayout(FlowLayout.LEFT, 0, 4));
                else buttons.add(javax.swing.Box.createHorizontalStrut(6));
                buttons.add(b);
                buttons.setAlignmentX(Component.LEFT_ALIGNMENT);
                apply(item, b);
                components.put(item.id(), b);
                continue;
            }
            c.setAlignmentX(Component.LEFT_ALIGNMENT);
            apply(item, c);
            components.put(item.id(), c);
            items.add(c);
        }
        if (buttons != null) items.add(buttons);
        items.revalidate();
        items.repaint();
    }

    private static void apply(TrayMenuModel.Item item, JComponent c) {
        if (c instanceof JCheckBox cb && item instanceof TrayMenuModel.Toggle t) {
            cb.setText(t.text());
            cb.setSelected(t.checked());
            cb.setEnabled(t.enabled());
        } else if (c instanceof JButton b && item instanceof TrayMenuModel.Action a) {
            b.setText(a.text());
            b.setEnabled(a.enabled());
        } else if (c instanceof JLabel l && item instanceof TrayMenuModel.Label m) {
            l.setText(m.text());
        }
    }

    /** Brings the window back from the task bar. */
    void bringForward() {
        SwingUtilities.invokeLater(() -> WindowMemory.bringForward(frame));
    }

    @Override
    public void close() {
        SwingUtilities.invokeLater(frame::dispose);
    }

    private static String escape(String s) { return s.replace("&", "&amp;").replace("<", "&lt;"); }
}
