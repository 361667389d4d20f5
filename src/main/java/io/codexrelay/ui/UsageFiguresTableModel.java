package io.codexrelay.ui;

import io.codexrelay.app.SinceReset;
import io.codexrelay.app.UsageFigures;

import javax.swing.table.AbstractTableModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Usage tab's figures: per account, what it did since its 5-hour reset, since its weekly reset and today
 * (requests, tokens, and what the tokens would cost at API prices), then one row per account and local day.
 */
final class UsageFiguresTableModel extends AbstractTableModel {
    static final String[] COLUMNS = {"Account", "Period", "Requests", "Tokens", "≈ API price"};

    /** One line of the table. */
    record Line(String account, String period, SinceReset usage) {}

    private List<Line> lines = List.of();

    /** Replaces the figures. EDT. */
    void set(List<UsageFigures.AccountFigures> accounts, List<UsageFigures.Day> days) {
        List<Line> out = new ArrayList<>();
        for (UsageFigures.AccountFigures f : accounts) {
            if (f.fiveHour() != null) out.add(new Line(f.account(), "since the 5-hour reset", f.fiveHour()));
            if (f.week() != null) out.add(new Line(f.account(), "since the weekly reset", f.week()));
            if (f.today() != null) out.add(new Line(f.account(), "today", f.today()));
        }
        for (UsageFigures.Day d : days) out.add(new Line(d.account().isEmpty() ? "(none)" : d.account(), d.date().toString(), d.usage()));
        lines = List.copyOf(out);
        fireTableDataChanged();
    }

    List<Line> lines() { return lines; }

    @Override public int getRowCount() { return lines.size(); }
    @Override public int getColumnCount() { return COLUMNS.length; }
    @Override public String getColumnName(int c) { return COLUMNS[c]; }

    @Override
    public Object getValueAt(int row, int col) {
        Line l = lines.get(row);
        return switch (col) {
            case 0 -> l.account();
            case 1 -> l.period();
            case 2 -> Fmt.count(l.usage().requests(), "request");
            case 3 -> tokens(l.usage().inputTokens() + l.usage().outputTokens());
            default -> price(l.usage().apiPriceUsd());
        };
    }

    /** "$1.23"; "no price" when no model of the period has one ([prices] in config.toml adds it). */
    static String price(Double usd) {
        return usd == null ? "no price" : String.format(Locale.ROOT, "$%.2f", usd);
    }

    static String tokens(long n) {
        return String.format(Locale.ROOT, "%,d", n).replace(',', ' ');
    }
}
