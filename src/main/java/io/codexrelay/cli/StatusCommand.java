package io.codexrelay.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.AppJson;
import io.codexrelay.app.Pace;
import io.codexrelay.app.SinceReset;
import io.codexrelay.app.UsageFigures;
import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.PoolStatus;
import io.codexrelay.events.QuotaWindow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * {@code status}: the relay, the mode, and each account's kind, plan, state, 5-hour and weekly usage with their reset
 * times, and in-flight count.
 */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show whether the relay runs, the mode and every account's state.")
final class StatusCommand extends ControlCommand {
    private static final DateTimeFormatter HHMM = DateTimeFormatter.ofPattern("HH:mm");
    private static final DateTimeFormatter DAY_HHMM = DateTimeFormatter.ofPattern("EEE HH:mm");

    @Option(names = "--json", description = "Print the status as JSON (see docs/cli.md).")
    boolean json;

    @Option(names = "--refresh", description = "Poll every ChatGPT account's quota first (needs the running relay).")
    boolean refresh;

    @Override
    int run(ControlHandle control) throws Exception {
        if (refresh && control.daemonRunning()) control.refreshQuota();
        PoolStatus s = control.status();
        if (json) {
            ObjectNode root = AppJson.mapper().createObjectNode();
            root.put("daemonRunning", control.daemonRunning());
            root.put("daemon", control.describe());
            root.setAll((ObjectNode) AppJson.mapper().valueToTree(s));
            ObjectNode ahead = root.putObject("ahead");
            Map<String, UsageFigures.AccountFigures> figures = figures(control, s);
            List<UsageFigures.Day> days = days(control);
            for (AccountStatus a : s.accounts()) {
                ObjectNode n = ahead.putObject(a.name());
                pace(n, "primary", a.quota() == null ? null : a.quota().primary(), FIVE_HOURS);
                pace(n, "secondary", a.quota() == null ? null : a.quota().secondary(), WEEK);
                UsageFigures.AccountFigures f = figures.get(a.name());
                n.set("sinceReset", tree(f == null ? null : f.fiveHour()));
                n.set("sinceWeeklyReset", tree(f == null ? null : f.week()));
                n.set("today", tree(f == null ? null : f.today()));
                var perDay = n.putArray("days");   // newest first, the last 7 local days with requests
                for (UsageFigures.Day d : days) {
                    if (!d.account().equals(a.name())) continue;
                    ObjectNode day = (ObjectNode) tree(d.usage());
                    day.put("date", d.date().toString());
                    perDay.add(day);
                }
            }
            if (control.daemonRunning()) root.set("clients", AppJson.mapper().valueToTree(control.clientUsage()));
            printJson(root);
            return 0;
        }
        Instant now = ctx().clock().instant();
        out().println("Relay:     " + (control.daemonRunning() ? "running (" + control.describe() + ")" : "not running; start it with `codex-relay`"));
        out().println("Mode:      " + (s.pinned() == null ? "auto-switch" : "pinned to '" + s.pinned() + "'")
                + (s.paused() ? ", PAUSED (Codex requests are refused; `codex-relay resume`)" : ""));
        if (control.daemonRunning()) {
            out().println("Serving:   " + (s.serving() == null ? "none" : s.serving()) + ", " + s.inFlight() + " request(s) in flight");
        }
        if (s.earliestReset() != null) {
            out().println("Every account is out; the first is back at " + when(s.earliestReset(), now) + ".");
        }
        out().println();
        if (s.accounts().isEmpty()) {
            out().println("No accounts yet. Import your Codex login: codex-relay accounts import-codex");
            return 0;
        }
        Table t = new Table("NAME", "KIND", "PLAN", "STATE", "5H", "5H RESETS", "WEEK", "WEEK RESETS", "IN-FLIGHT");
        for (AccountStatus a : s.accounts()) {
            var q = a.quota();
            String plan = a.plan() != null ? a.plan() : q != null ? q.planType() : null;
            QuotaWindow five = q == null ? null : q.primary(), week = q == null ? null : q.secondary();
            t.row(a.name() + (a.pinned() ? " *" : ""), a.kind(), plan, state(a, now), used(five), resets(five, now), used(week),
                    resets(week, now), a.inFlight() + "/" + a.maxConcurrent());
        }
        t.print(out());
        // A step ahead: where each window is heading, and what each account did since its windows began and today.
        out().println();
        Map<String, UsageFigures.AccountFigures> figures = figures(control, s);
        for (AccountStatus a : s.accounts()) {
            var q = a.quota();
            Pace five = q == null ? null : Pace.of(q.primary(), FIVE_HOURS, ctx().clock());
            Pace week = q == null ? null : Pace.of(q.secondary(), WEEK, ctx().clock());
            UsageFigures.AccountFigures f = figures.get(a.name());
            SinceReset since = f == null ? null : f.fiveHour(), sinceWeek = f == null ? null : f.week(), today = f == null ? null : f.today();
            boolean usedToday = today != null && today.requests() > 0;
            if (five == null && week == null && since == null && sinceWeek == null && !usedToday) continue;
            StringBuilder line = new StringBuilder(a.name()).append(':');
            if (five != null) line.append(" 5h ").append(five.describe()).append('.');
            if (week != null) line.append(" Week ").append(week.describe()).append('.');
            if (since != null) line.append(" Since the 5h reset: ").append(UsageFigures.describe(since)).append('.');
            if (sinceWeek != null) line.append(" Since the weekly reset: ").append(UsageFigures.describe(sinceWeek)).append('.');
            if (today != null) line.append(" Today: ").append(UsageFigures.describe(today)).append('.');
            out().println(line);
        }
        clients(control);
        return 0;
    }

    /** Requests per client key since the daemon started (codex, tool keys, home:NAME, run:PID COMMAND). */
    private void clients(ControlHandle control) throws Exception {
        if (!control.daemonRunning()) return;
        var usage = control.clientUsage();
        if (usage.isEmpty()) return;
        out().println();
        out().println("Clients since the relay started:");
        Table t = new Table("CLIENT", "REQUESTS", "FAILED", "TOKENS IN", "TOKENS OUT");
        for (var c : usage) t.row(c.client(), c.requests(), c.failed(), c.inputTokens(), c.outputTokens());
        t.print(out());
    }

    private static final Duration FIVE_HOURS = Duration.ofHours(5), WEEK = Duration.ofDays(7);

    private void pace(ObjectNode n, String field, QuotaWindow w, Duration length) {
        Pace p = Pace.of(w, length, ctx().clock());
        if (p == null) {
            n.putNull(field);
            return;
        }
        ObjectNode o = n.putObject(field);
        if (p.outIn() == null) o.putNull("outInSeconds"); else o.put("outInSeconds", p.outIn().toSeconds());
        o.put("resetsInSeconds", p.resetsIn().toSeconds());
        o.put("runsDry", p.runsDry());
        o.put("text", p.describe());
    }

    /** Each account's usage since its resets and today, priced (from the request log); empty when the log cannot be read. */
    private Map<String, UsageFigures.AccountFigures> figures(ControlHandle control, PoolStatus s) {
        Map<String, UsageFigures.AccountFigures> out = new java.util.HashMap<>();
        try {
            for (var f : new UsageFigures(control, ctx().clock(), ZoneId.systemDefault()).of(s.accounts())) out.put(f.account(), f);
        } catch (Exception e) {
            // the figures are an extra: status still prints the accounts when the log cannot be read
        }
        return out;
    }

    /** Each account's usage per local day, last 7 days; empty when the log cannot be read. */
    private List<UsageFigures.Day> days(ControlHandle control) {
        try {
            return new UsageFigures(control, ctx().clock(), ZoneId.systemDefault()).perDay(7);
        } catch (Exception e) {
            return List.of();
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode tree(SinceReset s) {
        return s == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : AppJson.mapper().valueToTree(s);
    }

    /** "42%" of a window, "-" when unknown. */
    static String used(QuotaWindow w) {
        if (w == null) return "-";
        double u = Math.max(0, w.usedPercent());
        return (u == Math.rint(u) || u >= 10 ? Long.toString(Math.round(u)) : String.format(java.util.Locale.ROOT, "%.1f", u)) + "%";
    }

    static String resets(QuotaWindow w, Instant now) {
        return w == null || w.resetsAt() == null ? "-" : when(w.resetsAt(), now);
    }

    static String state(AccountStatus a, Instant now) {
        String shown = "key_rejected".equals(a.state()) ? "key rejected: replace it" : a.state();
        StringBuilder sb = new StringBuilder(shown == null ? "?" : shown);
        if (a.stateUntil() != null) sb.append(" until ").append(when(a.stateUntil(), now));
        if (a.stateReason() != null && !a.stateReason().isBlank() && !"disabled".equals(a.state())) sb.append(" (").append(a.stateReason()).append(')');
        return sb.toString();
    }

    static String when(Instant t, Instant now) {
        var local = t.atZone(ZoneId.systemDefault());
        Duration in = Duration.between(now, t);
        String clock = in.toHours() < 20 ? HHMM.format(local) : DAY_HHMM.format(local);
        if (in.isNegative()) return clock;
        long h = in.toHours(), m = in.toMinutesPart();
        return clock + " (in " + (h > 0 ? h + " h " : "") + m + " m)";
    }
}
