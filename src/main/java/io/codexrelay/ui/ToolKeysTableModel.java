package io.codexrelay.ui;

import io.codexrelay.app.ToolKeyView;

import javax.swing.table.AbstractTableModel;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The Tool keys tab's table: Codex's own key first, then the active per-tool keys by name, then the revoked ones
 * (kept so the request log's names still mean something). Never holds a key itself: {@link ToolKeyView} has none.
 */
final class ToolKeysTableModel extends AbstractTableModel {

    static final String[] COLUMNS = {"Name", "Account", "Limits", "Created", "Last used", "Requests since start", "State"};
    /** Header tooltips: what a column counts. */
    static final String[] TIPS = {null, "Where the key's requests go: any account (the pool chooses), an account first, or only one",
            "Requests a minute and at once", null, "Its newest request in the request log",
            "Requests since the daemon started; refused: over the key's limits", null};
    static final int NAME = 0, ACCOUNT = 1, LIMITS = 2, CREATED = 3, LAST_USED = 4, REQUESTS = 5, STATE = 6;

    private final Clock clock;
    private final ZoneId zone;
    private List<ToolKeyView> rows = List.of();
    private Map<String, Instant> lastUsed = Map.of();

    ToolKeysTableModel(Clock clock, ZoneId zone) {
        this.clock = clock;
        this.zone = zone;
    }

    /** The keys and, by name, each one's newest request in the log (absent: none there). */
    void setKeys(List<ToolKeyView> keys, Map<String, Instant> lastUsed) {
        this.lastUsed = Map.copyOf(lastUsed);
        List<ToolKeyView> sorted = new ArrayList<>(keys);
        sorted.sort(Comparator.comparing((ToolKeyView k) -> !isCodex(k)).thenComparing(k -> !k.active()).thenComparing(ToolKeyView::name));
        rows = List.copyOf(sorted);
        fireTableDataChanged();
    }

    List<ToolKeyView> keys() { return rows; }

    ToolKeyView at(int row) { return row < 0 || row >= rows.size() ? null : rows.get(row); }

    static boolean isCodex(ToolKeyView k) { return "codex".equals(k.name()); }

    /** Codex's key is replaced through client.key, not revoked here; a revoked key is gone already. */
    static boolean revocable(ToolKeyView k) { return k != null && k.active() && !isCodex(k); }

    @Override public int getRowCount() { return rows.size(); }
    @Override public int getColumnCount() { return COLUMNS.length; }
    @Override public String getColumnName(int c) { return COLUMNS[c]; }

    @Override
    public Object getValueAt(int r, int c) {
        ToolKeyView k = rows.get(r);
        return switch (c) {
            case NAME -> k.name();
            case ACCOUNT -> account(k);
            case LIMITS -> limits(k);
            case CREATED -> k.created() == null ? "—" : Fmt.clock(k.created(), clock.instant(), zone);
            case LAST_USED -> lastUsed.get(k.name()) == null ? "—" : TrayMenuModel.ago(lastUsed.get(k.name()), clock.instant());
            case REQUESTS -> requests(k);
            case STATE -> !k.active() ? "revoked " + Fmt.clock(k.revoked(), clock.instant(), zone) : isCodex(k) ? "active (Codex's own)" : "active";
            default -> "";
        };
    }

    /** "any" (the pool chooses), "Pro-1 first", "Pro-1 only". */
    static String account(ToolKeyView k) {
        if (k.account() == null || k.account().isBlank()) return "any";
        return k.account() + (k.strict() ? " only" : " first");
    }

    /** "60 a minute · 4 at once", "none". */
    static String limits(ToolKeyView k) {
        List<String> parts = new ArrayList<>();
        if (k.rpm() != null) parts.add(k.rpm() + " a minute");
        if (k.maxConcurrent() != null) parts.add(k.maxConcurrent() + " at once");
        return parts.isEmpty() ? "none" : String.join(" · ", parts);
    }

    /** "12 · 2 running · 3 refused" (requests since the daemon started; refused: by the key's limits). */
    static String requests(ToolKeyView k) {
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT, "%,d", k.requests()));
        if (k.inFlight() > 0) sb.append(" · ").append(k.inFlight()).append(" running");
        if (k.limited() > 0) sb.append(" · ").append(k.limited()).append(" refused");
        return sb.toString();
    }
}
