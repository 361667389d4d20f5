package io.codexrelay.ui;

import javax.swing.JTable;
import java.awt.Component;

/**
 * Columns as wide as their title and their longest text, so nothing is cut ("Week l…", "lasts to the res…" at the
 * default size); the extra room of a wide window is shared out, and when the texts need more room than the window
 * has, the table scrolls sideways instead of cutting them.
 */
final class TableColumns {
    private TableColumns() {}

    /** Fits the columns now, whenever the rows change, and when the table's viewport is resized. EDT. */
    static void keepFitted(JTable table) {
        table.getModel().addTableModelListener(e -> fit(table));
        // the viewport's width is known only once the window is laid out, and changes with it
        table.addHierarchyBoundsListener(new java.awt.event.HierarchyBoundsAdapter() {
            @Override public void ancestorResized(java.awt.event.HierarchyEvent e) { fit(table); }
        });
        fit(table);
    }

    static void fit(JTable table) {
        java.awt.FontMetrics fm = table.getFontMetrics(table.getFont());
        java.awt.FontMetrics hm = table.getTableHeader().getFontMetrics(table.getTableHeader().getFont());
        int rows = Math.min(table.getRowCount(), 200);
        int total = 0;
        for (int c = 0; c < table.getColumnCount(); c++) {
            int w = hm.stringWidth(table.getColumnName(c)) + 14;
            for (int r = 0; r < rows; r++) {
                Object v = table.getValueAt(r, c);
                if (v instanceof String s) w = Math.max(w, fm.stringWidth(s) + 12);
            }
            w = Math.min(w, 600);
            table.getColumnModel().getColumn(c).setPreferredWidth(w);
            total += w;
        }
        Component viewport = table.getParent();
        int room = viewport == null ? 0 : viewport.getWidth();
        table.setAutoResizeMode(room > 0 && total > room ? JTable.AUTO_RESIZE_OFF : JTable.AUTO_RESIZE_SUBSEQUENT_COLUMNS);
    }
}
