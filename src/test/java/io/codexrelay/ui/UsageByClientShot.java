package io.codexrelay.ui;

import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.Controls;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.store.Database;
import io.codexrelay.store.RequestLog;

import javax.swing.JComboBox;
import javax.swing.JTabbedPane;
import javax.swing.SwingUtilities;
import java.awt.Component;
import java.awt.Container;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Child process of {@link UsageByClientXvfbTest}: writes request-log rows from three clients on two accounts into a
 * fresh relay home, opens the real request-log window on that home's control (no daemon: the offline control reads
 * relay.db), goes to the Usage tab, shows requests by account and then by client key, and prints each series the
 * chart holds ({@code SERIES ACCOUNT name=total;...}) before READY. Exits when the window is closed (Esc disposes it).
 */
public final class UsageByClientShot {
    private UsageByClientShot() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Map<String, String> env = Map.of("CODEX_RELAY_HOME", dir.toString());
        RelayHome home = RelayHome.fromEnvironment(env);
        home.ensureExists();
        Instant now = Instant.now();
        try (Database db = new Database(home.database());
             RequestLog log = new RequestLog(db, RelayConfig.defaults().log(), Clock.systemUTC())) {
            // codex 3 (A, A, B), claude-code 2 (B, B), run:4242 codex 1 (A); one row from before clients were kept.
            String[][] rows = {{"A", "codex"}, {"A", "codex"}, {"B", "codex"}, {"B", "claude-code"}, {"B", "claude-code"},
                    {"A", "run:4242 codex"}};
            int i = 0;
            for (String[] r : rows) {
                log.append(new FinishedRequest(now.minusSeconds(60 + i++), r[0], "gpt-5", "/v1/responses", 200, 100L, 900,
                        1000L, 0L, 50L, null, List.of(r[0] + ":200"), null, "s", null, r[1]));
            }
            log.append(new FinishedRequest(now.minusSeconds(90), "A", "gpt-5", "/v1/responses", 200, 100L, 900, 7L, 0L, 1L,
                    null, List.of(), null, "s", null));
            log.flush();
        }
        ControlHandle control = Controls.open(env, Clock.systemUTC());
        UiTasks tasks = new UiTasks();
        AtomicReference<LogWindow> window = new AtomicReference<>();
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        SwingUtilities.invokeAndWait(() -> {
            SessionsWindow.applyLookAndFeel();
            LogWindow w = new LogWindow(control, tasks, new WindowMemory(dir.resolve("windows.json")), Clock.systemUTC(), ZoneOffset.UTC, null);
            // Esc closes the window: WindowMemory disposes it (issue 9), so closed is the window's end here.
            w.frame().addWindowListener(new java.awt.event.WindowAdapter() {
                @Override public void windowClosed(java.awt.event.WindowEvent e) { closed.countDown(); }
            });
            w.show();
            window.set(w);
        });
        Container root = window.get().frame().getContentPane();
        UsageChart chart = find(root, UsageChart.class, "usage-chart");
        @SuppressWarnings("unchecked")
        JComboBox<Object> groupBy = find(root, JComboBox.class, "usage-group-by");
        SwingUtilities.invokeAndWait(() -> {
            for (Component c : all(root)) {
                if (c instanceof JComboBox<?> box && box.getItemCount() > 0 && box.getItemAt(0) instanceof UsageChart.Metric) {
                    box.setSelectedItem(UsageChart.Metric.REQUESTS);
                }
            }
            find(root, JTabbedPane.class, null).setSelectedIndex(1);
        });
        printWhenLoaded(chart, "ACCOUNT", "A");
        SwingUtilities.invokeAndWait(() -> groupBy.setSelectedItem(UsageChart.GroupBy.CLIENT));
        printWhenLoaded(chart, "CLIENT", "codex");
        System.out.println("READY");
        System.out.flush();
        closed.await();
        tasks.close();
        control.close();
        System.exit(0);
    }

    /** Waits until the chart holds a series named {@code expected}, then prints every series with its total. */
    private static void printWhenLoaded(UsageChart chart, String by, String expected) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            AtomicReference<UsageChart.Series> s = new AtomicReference<>();
            SwingUtilities.invokeAndWait(() -> s.set(chart.series()));
            if (s.get().accounts().contains(expected)) {
                StringJoiner line = new StringJoiner(";", "SERIES " + by + " ", "");
                for (int a = 0; a < s.get().accounts().size(); a++) {
                    long sum = 0;
                    for (long v : s.get().values()[a]) sum += v;
                    line.add(s.get().accounts().get(a) + "=" + sum);
                }
                System.out.println(line);
                return;
            }
            Thread.sleep(100);
        }
        System.out.println("SERIES " + by + " never loaded");
    }

    private static List<Component> all(Container c) {
        List<Component> out = new java.util.ArrayList<>();
        for (Component k : c.getComponents()) {
            out.add(k);
            if (k instanceof Container kc) out.addAll(all(kc));
        }
        return out;
    }

    private static <T> T find(Container root, Class<T> type, String name) {
        return all(root).stream().filter(type::isInstance).filter(c -> name == null || name.equals(c.getName()))
                .map(type::cast).findFirst().orElseThrow(() -> new IllegalStateException("no " + type.getSimpleName() + " " + name));
    }
}
