package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi.AccountChanges;
import io.codexrelay.events.QuotaWindow;

import javax.swing.table.AbstractTableModel;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiConsumer;

/** The Accounts tab table, in priority order; priority, max in flight and enabled are edited in place. */
public final class AccountsTableModel extends AbstractTableModel {

    static final String[] COLUMNS = {"Name", "Kind", "Plan", "5 h left", "Week left", "State", "Priority", "Max in flight", "Enabled"};
    static final int PRIORITY = 6, MAX = 7, ENABLED = 8;

    private final Clock clock;
    private final ZoneId zone;
    private final BiConsumer<String, AccountChanges> onEdit;
    private List<AccountStatus> rows = List.of();

    public AccountsTableModel(Clock clock, ZoneId zone, BiConsumer<String, AccountChanges> onEdit) {
        this.clock = clock;
        this.zone = zone;
        this.onEdit = onEdit;
    }

    public void setAccounts(List<AccountStatus> accounts) {
        List<AccountStatus> sorted = new ArrayList<>(accounts);
        sorted.sort(order());
        rows = List.copyOf(sorted);
        fireTableDataChanged();
    }

    static Comparator<AccountStatus> order() {
        return Comparator.comparingInt(AccountStatus::priority).thenComparing(AccountStatus::name);
    }

    public List<AccountStatus> accounts() { return rows; }
    public AccountStatus at(int row) { return row < 0 || row >= rows.size() ? null : rows.get(row); }

    /**
     * The priority updates that move row {@code row} by {@code delta} (-1 up, +1 down): every account is renumbered
     * 10, 20, 30... in the new order and only the changed ones are returned.
     */
    public List<PriorityChange> move(int row, int delta) {
        int to = row + delta;
        if (row < 0 || row >= rows.size() || to < 0 || to >= rows.size()) return List.of();
        List<AccountStatus> order = new ArrayList<>(rows);
        AccountStatus a = order.remove(row);
        order.add(to, a);
        List<PriorityChange> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            int p = (i + 1) * 10;
            if (order.get(i).priority() != p) out.add(new PriorityChange(order.get(i).name(), p));
        }
        return out;
    }

    public record PriorityChange(String account, int priority) {}

    @Override public int getRowCount() { return rows.size(); }
    @Override public int getColumnCount() { return COLUMNS.length; }
    @Override public String getColumnName(int c) { return COLUMNS[c]; }

    @Override
    public Class<?> getColumnClass(int c) {
        return switch (c) {
            case PRIORITY, MAX -> Integer.class;
            case ENABLED -> Boolean.class;
            default -> String.class;
        };
    }

    @Override public boolean isCellEditable(int r, int c) { return c == PRIORITY || c == MAX || c == ENABLED; }

    @Override
    public Object getValueAt(int r, int c) {
        AccountStatus a = rows.get(r);
        return switch (c) {
            case 0 -> a.name();
            case 1 -> "api-key".equals(a.kind()) ? "API key" : "ChatGPT";
            case 2 -> a.plan() == null ? "" : a.plan();
            case 3 -> left(a.quota() == null ? null : a.quota().primary());
            case 4 -> left(a.quota() == null ? null : a.quota().secondary());
            case 5 -> state(a);
            case PRIORITY -> a.priority();
            case MAX -> a.maxConcurrent();
            case ENABLED -> a.enabled();
            default -> "";
        };
    }

    @Override
    public void setValueAt(Object v, int r, int c) {
        AccountStatus a = rows.get(r);
        switch (c) {
            case PRIORITY -> { if (v instanceof Integer i && i != a.priority()) onEdit.accept(a.name(), new AccountChanges(i, null, null)); }
            case MAX -> { if (v instanceof Integer i && i != a.maxConcurrent()) onEdit.accept(a.name(), new AccountChanges(null, i, null)); }
            case ENABLED -> { if (v instanceof Boolean b && b != a.enabled()) onEdit.accept(a.name(), new AccountChanges(null, null, b)); }
            default -> { }
        }
    }

    private static String left(QuotaWindow w) {
        return w == null ? "—" : Fmt.percent(w.remainingPercent());
    }

    String state(AccountStatus a) {
        String s = a.state() == null ? "" : a.state();
        String until = a.stateUntil() == null ? "" : " until " + Fmt.clock(a.stateUntil(), clock.instant(), zone);
        String text = switch (s) {
            case "busy" -> "busy (" + a.inFlight() + ")";
            case "cooling" -> "resting" + until;
            case "exhausted" -> "out" + until;
            case "relogin" -> "needs a new login";
            case "key_rejected" -> "key rejected: replace it";
            case "unhealthy" -> "unhealthy: " + a.stateReason();
            default -> s;
        };
        return a.pinned() ? text + " · pinned" : text;
    }
}
