package io.codexrelay.ui;

import io.codexrelay.app.LogQuery.ClientBucket;
import io.codexrelay.app.LogQuery.UsageBucket;

import javax.swing.JComponent;
import javax.swing.ToolTipManager;
import javax.swing.UIManager;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Dimension;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.event.MouseEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Usage over time as stacked bars, one colour per account: tokens or requests per hour, for the last 24 hours or
 * 7 days. A small Java2D painter (no chart library: the jar stays lean and the picture stays crisp).
 */
public final class UsageChart extends JComponent {

    public enum Range {
        DAY("Last 24 h", Duration.ofHours(24)), WEEK("Last 7 days", Duration.ofDays(7));
        final String label; final Duration span;
        Range(String label, Duration span) { this.label = label; this.span = span; }
        @Override public String toString() { return label; }
    }

    public enum Metric {
        TOKENS("Tokens"), REQUESTS("Requests");
        final String label;
        Metric(String label) { this.label = label; }
        @Override public String toString() { return label; }
    }

    /** What one colour of the stack stands for: an account, or the client key that sent the requests. */
    public enum GroupBy {
        ACCOUNT("By account"), CLIENT("By client key");
        final String label;
        GroupBy(String label) { this.label = label; }
        @Override public String toString() { return label; }
    }

    static final Duration BUCKET = Duration.ofHours(1);

    /** The numbers behind the picture: {@code values[account][bucket]}, buckets oldest first. */
    public record Series(Instant start, int buckets, List<String> accounts, long[][] values) {
        public long total(int bucket) {
            long t = 0;
            for (long[] v : values) t += v[bucket];
            return t;
        }

        public long max() {
            long m = 0;
            for (int b = 0; b < buckets; b++) m = Math.max(m, total(b));
            return m;
        }

        public Instant bucketStart(int b) { return start.plus(BUCKET.multipliedBy(b)); }

        /** Hourly buckets ending with the one holding {@code now}. */
        public static Series of(List<UsageBucket> data, Range range, Metric metric, Instant now) {
            long ms = BUCKET.toMillis();
            int n = (int) (range.span.toMillis() / ms);
            Instant start = Instant.ofEpochMilli((now.toEpochMilli() / ms - (n - 1)) * ms);
            TreeSet<String> names = new TreeSet<>();
            for (UsageBucket u : data) if (!u.start().isBefore(start)) names.add(u.account().isEmpty() ? "(none)" : u.account());
            List<String> accounts = new ArrayList<>(names);
            long[][] values = new long[accounts.size()][n];
            for (UsageBucket u : data) {
                int b = (int) ((u.start().toEpochMilli() - start.toEpochMilli()) / ms);
                if (b < 0 || b >= n) continue;
                int a = accounts.indexOf(u.account().isEmpty() ? "(none)" : u.account());
                values[a][b] += metric == Metric.TOKENS ? u.totalTokens() : u.requests();
            }
            return new Series(start, n, List.copyOf(accounts), values);
        }

        /**
         * The same hourly stack per client key ({@code accounts} then holds the clients' names). Kept apart from
         * {@link #of} rather than folded into it so the per-account picture stays exactly as it was.
         */
        public static Series ofClients(List<ClientBucket> data, Range range, Metric metric, Instant now) {
            long ms = BUCKET.toMillis();
            int n = (int) (range.span.toMillis() / ms);
            Instant start = Instant.ofEpochMilli((now.toEpochMilli() / ms - (n - 1)) * ms);
            TreeSet<String> names = new TreeSet<>();
            for (ClientBucket u : data) if (!u.start().isBefore(start)) names.add(u.client());
            List<String> clients = new ArrayList<>(names);
            long[][] values = new long[clients.size()][n];
            for (ClientBucket u : data) {
                int b = (int) ((u.start().toEpochMilli() - start.toEpochMilli()) / ms);
                if (b < 0 || b >= n) continue;
                values[clients.indexOf(u.client())][b] += metric == Metric.TOKENS ? u.totalTokens() : u.requests();
            }
            return new Series(start, n, List.copyOf(clients), values);
        }
    }

    private Series series = new Series(Instant.EPOCH, 24, List.of(), new long[0][24]);
    private Range range = Range.DAY;
    private Metric metric = Metric.TOKENS;
    private final ZoneId zone;
    private int hover = -1;

    public UsageChart(ZoneId zone) {
        this.zone = zone;
        setName("usage-chart");
        setPreferredSize(new Dimension(720, 300));
        ToolTipManager.sharedInstance().registerComponent(this);
        addMouseMotionListener(new java.awt.event.MouseMotionAdapter() {
            @Override public void mouseMoved(MouseEvent e) {
                int b = bucketAt(e.getX());
                if (b != hover) { hover = b; repaint(); }
            }
        });
        addMouseListener(new java.awt.event.MouseAdapter() {
            @Override public void mouseExited(MouseEvent e) { hover = -1; repaint(); }
        });
    }

    public void setData(Series s, Range r, Metric m) {
        this.series = s;
        this.range = r;
        this.metric = m;
        repaint();
    }

    public Series series() { return series; }

    // plot area insets
    private static final int LEFT = 56, RIGHT = 16, TOP = 36, BOTTOM = 28;

    private int bucketAt(int x) {
        int w = getWidth() - LEFT - RIGHT;
        if (x < LEFT || x >= LEFT + w || series.buckets() == 0) return -1;
        return Math.min(series.buckets() - 1, (x - LEFT) * series.buckets() / w);
    }

    @Override
    public String getToolTipText(MouseEvent e) {
        int b = bucketAt(e.getX());
        if (b < 0) return null;
        StringBuilder sb = new StringBuilder("<html><b>").append(hourLabel(series.bucketStart(b))).append("</b>");
        for (int a = 0; a < series.accounts().size(); a++) {
            long v = series.values()[a][b];
            if (v > 0) sb.append("<br>").append(escape(series.accounts().get(a))).append(": ").append(fmt(v));
        }
        if (series.total(b) == 0) sb.append("<br>no requests");
        return sb.append("</html>").toString();
    }

    private String hourLabel(Instant t) {
        ZonedDateTime z = t.atZone(zone);
        return DateTimeFormatter.ofPattern("EEE d MMM, HH:00", Locale.ENGLISH).format(z) + "–" + String.format("%02d:00", z.plusHours(1).getHour());
    }

    private String fmt(long v) {
        return metric == Metric.TOKENS ? Fmt.tokens(v) + " tokens" : v + (v == 1 ? " request" : " requests");
    }

    private static String escape(String s) { return s.replace("&", "&amp;").replace("<", "&lt;"); }

    static Color colour(int i) { return Theme.SERIES.get(i % Theme.SERIES.size()); }

    @Override
    protected void paintComponent(Graphics g0) {
        Graphics2D g = (Graphics2D) g0.create();
        try {
            paintChart(g, getWidth(), getHeight());
        } finally {
            g.dispose();
        }
    }

    /** Paints at any size (also used headless in tests and for screenshots). */
    public void paintChart(Graphics2D g, int width, int height) {
        Color bg = colourOr("Panel.background", Color.WHITE);
        Color fg = colourOr("Label.foreground", Color.DARK_GRAY);
        Color grid = new Color(fg.getRed(), fg.getGreen(), fg.getBlue(), 40);
        Color muted = new Color(fg.getRed(), fg.getGreen(), fg.getBlue(), 150);
        g.setColor(bg);
        g.fillRect(0, 0, width, height);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        Font font = getFont() != null ? getFont() : new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        g.setFont(font.deriveFont(font.getSize2D() - 1f));
        FontMetrics fm = g.getFontMetrics();

        int pw = width - LEFT - RIGHT, ph = height - TOP - BOTTOM;
        if (pw < 40 || ph < 40) return;
        long max = series.max();
        long top = niceCeiling(max);

        // Legend
        int lx = LEFT;
        g.setColor(fg);
        g.drawString(metric.label + " per hour · " + range.label, lx, 16);
        lx += fm.stringWidth(metric.label + " per hour · " + range.label) + 18;
        for (int a = 0; a < series.accounts().size(); a++) {
            String name = series.accounts().get(a);
            if (lx + 14 + fm.stringWidth(name) > width - RIGHT) break;
            g.setColor(colour(a));
            g.fillRect(lx, 7, 10, 10);
            g.setColor(fg);
            g.drawString(name, lx + 14, 16);
            lx += 14 + fm.stringWidth(name) + 14;
        }

        // Grid and y labels
        for (int i = 0; i <= 4; i++) {
            int y = TOP + ph - (int) Math.round(ph * i / 4.0);
            g.setColor(grid);
            g.drawLine(LEFT, y, LEFT + pw, y);
            String label = metric == Metric.TOKENS ? Fmt.tokens(top * i / 4) : Long.toString(top * i / 4);
            g.setColor(muted);
            g.drawString(label, LEFT - 6 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
        }

        // Bars: whole pixels, one-pixel gap when there is room
        int n = series.buckets();
        for (int b = 0; b < n; b++) {
            int x0 = LEFT + (int) ((long) b * pw / n), x1 = LEFT + (int) ((long) (b + 1) * pw / n);
            int bw = Math.max(1, x1 - x0 - (x1 - x0 >= 4 ? 1 : 0));
            if (b == hover) {
                g.setColor(grid);
                g.fillRect(x0, TOP, x1 - x0, ph);
            }
            long acc = 0;
            for (int a = 0; a < series.accounts().size(); a++) {
                long v = series.values()[a][b];
                if (v == 0 || top == 0) continue;
                int yTop = TOP + ph - (int) Math.round((double) (acc + v) * ph / top);
                int yBot = TOP + ph - (int) Math.round((double) acc * ph / top);
                g.setColor(colour(a));
                g.fillRect(x0, yTop, bw, Math.max(1, yBot - yTop));
                acc += v;
            }
        }

        // X labels: every 3 h for a day, every day for a week
        g.setColor(muted);
        int step = range == Range.DAY ? 3 : 24;
        DateTimeFormatter f = range == Range.DAY ? DateTimeFormatter.ofPattern("HH:mm", Locale.ENGLISH)
                : DateTimeFormatter.ofPattern("EEE d", Locale.ENGLISH);
        for (int b = 0; b < n; b++) {
            ZonedDateTime t = series.bucketStart(b).atZone(zone);
            boolean mark = range == Range.DAY ? t.getHour() % step == 0 : t.getHour() == 0;
            if (!mark) continue;
            int x = LEFT + (int) ((long) b * pw / n);
            g.setColor(grid);
            g.drawLine(x, TOP + ph, x, TOP + ph + 4);
            String s = f.format(t);
            g.setColor(muted);
            if (x + fm.stringWidth(s) <= width) g.drawString(s, x + 2, TOP + ph + 4 + fm.getAscent());
        }
        g.setColor(muted);
        g.setStroke(new BasicStroke(1f));
        g.drawLine(LEFT, TOP + ph, LEFT + pw, TOP + ph);
        if (max == 0) {
            String s = "No requests in this period";
            g.setColor(muted);
            g.drawString(s, LEFT + (pw - fm.stringWidth(s)) / 2, TOP + ph / 2);
        }
    }

    /** 1, 2, 2.5, 5 × 10^k at or above {@code v} (so the top grid line is a round number). */
    static long niceCeiling(long v) {
        if (v <= 4) return 4;
        double exp = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            long c = (long) Math.ceil(m * exp);
            if (c >= v && c % 4 == 0) return c;
            if (c >= v) return ((c + 3) / 4) * 4;
        }
        return v;
    }

    private static Color colourOr(String key, Color fallback) {
        Color c = UIManager.getColor(key);
        return c != null ? c : fallback;
    }
}
