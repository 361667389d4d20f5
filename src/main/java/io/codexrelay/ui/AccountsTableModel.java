package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi.AccountChanges;
import io.codexrelay.app.Pace;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;

import javax.swing.table.AbstractTableModel;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiConsumer;

/** The Accounts tab table, in priority order; priority, max in flight and enabled are edited in place. */
public final class AccountsTableModel extends AbstractTableModel {

    static final String[] COLUMNS = {"Name", "Kind", "Plan", "5 h left", "Week left", "At this pace", "State", "Priority",
            "Max in flight", "Enabled"};
    static final int PACE = 5, STATE = 6, PRIORITY = 7, MAX = 8, ENABLED = 9;

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
            case PACE -> pace(a);
            case STATE -> state(a);
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

    /**
     * The Pace column: "out in 1 h 10 m (5 h)" when, at the rate the window was used since it began, it runs dry
     * before its reset (the window that runs dry first); "lasts to the reset" when both last; "out" when a window is
     * used up; "—" when there is nothing to tell (an API key, no quota yet, too early in the window).
     */
    String pace(AccountStatus a) {
        QuotaSnapshot q = a.quota();
        if (q == null) return "—";
        Pace five = Pace.of(q.primary(), Duration.ofHours(5), clock);
        Pace week = Pace.of(q.secondary(), Duration.ofDays(7), clock);
        Pace dry = null;
        String which = null;
        if (five != null && five.runsDry()) { dry = five; which = "5 h"; }
        if (week != null && week.runsDry() && (dry == null || week.outIn().compareTo(dry.outIn()) < 0)) { dry = week; which = "week"; }
        if (dry != null) return dry.outIn().isZero() ? "out (" + which + ")" : "out in " + Fmt.duration(dry.outIn()) + " (" + which + ")";
        boolean known = (five != null && five.outIn() != null) || (week != null && week.outIn() != null);
        return known ? "lasts to the reset" : "—";
    }

    /** The Pace column's tooltip: each window's pace in full ("5 h: at this pace: out in 1 h 10 m, resets in 2 h 30 m"). */
    String paceDetail(AccountStatus a) {
        QuotaSnapshot q = a.quota();
        if (q == null) return null;
        Pace five = Pace.of(q.primary(), Duration.ofHours(5), clock);
        Pace week = Pace.of(q.secondary(), Duration.ofDays(7), clock);
        StringBuilder sb = new StringBuilder();
        if (five != null) sb.append("5 h window: ").append(five.describe());
        if (week != null) sb.append(sb.length() == 0 ? "" : "\n").append("Week: ").append(week.describe());
        return sb.length() == 0 ? null : sb.toString();
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
            default -> s;
        };
        return a.pinned() ? text + " · pinned" : text;
    }
}
