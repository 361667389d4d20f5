package io.codexrelay.cli;

import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.LogQuery;
import io.codexrelay.app.RequestView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** {@code logs tail [-f]} (the newest request-log rows, then new ones as they come) and {@code logs show ID}. */
@Command(name = "logs", mixinStandardHelpOptions = true, description = "Read the request log.",
        subcommands = {LogsCommand.Tail.class, LogsCommand.Show.class})
final class LogsCommand {

    /** The tool a request came from, by the path it used. */
    static String tool(RequestView r) {
        String p = r.path() == null ? "" : r.path();
        if (p.endsWith("/messages")) return "claude";
        if (p.endsWith("/chat/completions")) return "chat";
        return "codex";
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print one request of the log with every detail.")
    static final class Show extends ControlCommand {
        @picocli.CommandLine.Parameters(paramLabel = "ID", description = "The request's id (the ID column of logs tail --ids, or the log window's details).")
        long id;

        @Option(names = "--json", description = "Print the request record as JSON.")
        boolean json;

        @Override
        int run(ControlHandle control) throws Exception {
            var page = control.queryRequests(new LogQuery.Filter(null, LogQuery.StatusClass.ALL, null, id), 0, 1);
            if (page.isEmpty() || page.get(0).id() != id) {
                throw new CliFailure(RootCommand.EXIT_FAILURE, "No request #" + id + " in the log (it may have been pruned). `codex-relay logs tail --ids` lists the ids.");
            }
            RequestView r = page.get(0);
            if (json) {
                printJson(r);
                return 0;
            }
            var o = out();
            o.println("Request:       #" + r.id() + "  " + r.path() + "  (" + tool(r) + ")");
            o.println("Started:       " + r.startedAt());
            o.println("Account:       " + (r.account() == null ? "-" : r.account()));
            o.println("Client:        " + (r.client() == null ? "-" : r.client()));
            o.println("Model:         " + (r.model() == null ? "-" : r.model()));
            o.println("Status:        " + (r.status() == 0 ? "no answer" : r.status()) + (r.failureClass() == null ? "" : " (" + r.failureClass() + ")"));
            o.println("First byte:    " + (r.ttfbMs() == null ? "-" : r.ttfbMs() + " ms"));
            o.println("Duration:      " + Tail.millis(r.durationMs()));
            o.println("Tokens:        in " + Tail.n(r.inputTokens()) + " (cached " + Tail.n(r.cachedTokens()) + "), out " + Tail.n(r.outputTokens())
                    + " (reasoning " + Tail.n(r.reasoningTokens()) + ")");
            if (r.sessionId() != null) o.println("Session:       " + r.sessionId());
            if (r.failoverChain() != null && !r.failoverChain().isEmpty()) {
                o.println("Attempts:");
                for (int i = 0; i < r.failoverChain().size(); i++) o.println("  " + (i + 1) + ". " + r.failoverChain().get(i));
            }
            if (r.error() != null) o.println("Error:         " + r.error());
            return 0;
        }
    }

    @Command(name = "tail", mixinStandardHelpOptions = true, description = {"Print the newest requests, oldest first (newest at the bottom).",
            "With -f, keep printing new ones as they are logged until Ctrl-C."})
    static final class Tail extends ControlCommand {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

        @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "20", description = "How many (default: ${DEFAULT-VALUE}, at most 10000).")
        int lines;

        @Option(names = "--json", description = "Print a JSON array of request records (see docs/cli.md); with -f, one record per line.")
        boolean json;

        @Option(names = {"-f", "--follow"}, description = "Keep printing new requests as they are logged (polls every second) until Ctrl-C.")
        boolean follow;

        @Option(names = "--account", paramLabel = "NAME", description = "Only requests served by this account.")
        String account;

        @Option(names = "--status", paramLabel = "CLASS", description = "Only these outcomes: ok, client-error, rate-limited, server-error, failed-over.")
        String status;

        @Option(names = "--tool", paramLabel = "TOOL", description = "Only requests of this tool: codex (Responses), claude (Messages), chat (Chat Completions).")
        String tool;

        @Option(names = "--client", paramLabel = "NAME", description = {"Only requests that came with this client key: codex, a "
                + "per-tool key's name, home:NAME, or run:PID COMMAND (the CLIENT column; `codex-relay status` lists them)."})
        String client;

        @Option(names = "--ids", description = "Add an ID column (for logs show ID).")
        boolean ids;

        /** Polls this often while following; the test sets fewer rounds. */
        static volatile Duration followEvery = Duration.ofSeconds(1);
        static volatile long followRounds = Long.MAX_VALUE;

        @Override
        int run(ControlHandle control) throws Exception {
            if (lines < 1 || lines > 10_000) throw new CliFailure(2, "-n must be between 1 and 10000.");
            LogQuery.StatusClass cls = statusClass();
            if (tool != null && !List.of("codex", "claude", "chat").contains(tool)) {
                throw new CliFailure(2, "--tool must be codex, claude or chat.");
            }
            LogQuery.Filter filter = new LogQuery.Filter(account, cls, null, null, client);
            List<RequestView> rows = new ArrayList<>(control.queryRequests(filter, 0, lines * (tool == null ? 1 : 5)).stream()
                    .filter(this::wanted).limit(lines).toList());
            Collections.reverse(rows);
            long last = rows.isEmpty() ? newestId(control) : rows.get(rows.size() - 1).id();
            if (json && !follow) {
                printJson(rows);
                return 0;
            }
            if (rows.isEmpty() && !follow) {
                out().println("No requests logged yet" + (account != null || status != null || tool != null || client != null ? " that match." : "."));
                return 0;
            }
            print(rows, true);
            for (long round = 0; follow && round < followRounds; round++) {
                Thread.sleep(followEvery.toMillis());
                List<RequestView> fresh = new ArrayList<>();
                for (RequestView r : control.queryRequests(filter, 0, 500)) {
                    if (r.id() <= last) break;
                    if (wanted(r)) fresh.add(r);
                }
                if (fresh.isEmpty()) continue;
                Collections.reverse(fresh);
                last = Math.max(last, fresh.get(fresh.size() - 1).id());
                print(fresh, false);
            }
            return 0;
        }

        private long newestId(ControlHandle control) throws Exception {
            var newest = control.queryRequests(LogQuery.Filter.ALL, 0, 1);
            return newest.isEmpty() ? 0 : newest.get(0).id();
        }

        private boolean wanted(RequestView r) { return tool == null || tool.equals(tool(r)); }

        private LogQuery.StatusClass statusClass() {
            if (status == null) return LogQuery.StatusClass.ALL;
            try {
                return LogQuery.StatusClass.valueOf(status.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new CliFailure(2, "--status must be ok, client-error, rate-limited, server-error or failed-over.");
            }
        }

        private void print(List<RequestView> rows, boolean header) throws Exception {
            if (json) {
                for (RequestView r : rows) out().println(io.codexrelay.app.AppJson.mapper().writeValueAsString(r));
                out().flush();
                return;
            }
            if (rows.isEmpty()) return;
            List<String> cols = new ArrayList<>(List.of("TIME", "ACCOUNT", "CLIENT", "MODEL", "PATH", "STATUS", "TTFB", "DURATION", "IN/CACHED/OUT/REASONING", "NOTE"));
            if (ids) cols.add(0, "ID");
            Table t = new Table(cols.toArray(String[]::new));
            for (RequestView r : rows) {
                List<Object> cells = new ArrayList<>(java.util.Arrays.asList(TIME.format(r.startedAt().atZone(ZoneId.systemDefault())), r.account(), r.client(), r.model(),
                        r.path(), r.status(), r.ttfbMs() == null ? null : r.ttfbMs() + " ms", millis(r.durationMs()), tokens(r), note(r)));
                if (ids) cells.add(0, r.id());
                t.row(cells.toArray());
            }
            if (header) t.print(out());
            else t.printRows(out());
            out().flush();
        }

        static String millis(long ms) {
            return ms < 1000 ? ms + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
        }

        private static String tokens(RequestView r) {
            if (r.inputTokens() == null && r.outputTokens() == null) return null;
            return n(r.inputTokens()) + "/" + n(r.cachedTokens()) + "/" + n(r.outputTokens()) + "/" + n(r.reasoningTokens());
        }

        static String n(Long v) { return v == null ? "-" : v.toString(); }

        private static String note(RequestView r) {
            List<String> parts = new ArrayList<>();
            if (r.failoverChain() != null && r.failoverChain().size() > 1) parts.add(String.join(" -> ", r.failoverChain()));
            if (r.failureClass() != null) parts.add(r.failureClass());
            if (r.error() != null) parts.add(r.errorOneLine());
            return parts.isEmpty() ? null : String.join("; ", parts);
        }
    }
}
