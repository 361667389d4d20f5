package io.codexrelay.cli;

import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.RequestView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** {@code logs tail}: the newest request-log rows. */
@Command(name = "logs", mixinStandardHelpOptions = true, description = "Read the request log.",
        subcommands = {LogsCommand.Tail.class})
final class LogsCommand {

    @Command(name = "tail", mixinStandardHelpOptions = true, description = "Print the newest requests, oldest first (newest at the bottom).")
    static final class Tail extends ControlCommand {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

        @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "20", description = "How many (default: ${DEFAULT-VALUE}, at most 10000).")
        int lines;

        @Option(names = "--json", description = "Print a JSON array of request records (see docs/cli.md).")
        boolean json;

        @Override
        int run(ControlHandle control) throws Exception {
            if (lines < 1 || lines > 10_000) throw new CliFailure(2, "-n must be between 1 and 10000.");
            List<RequestView> rows = new ArrayList<>(control.recentRequests(lines));
            Collections.reverse(rows);
            if (json) {
                printJson(rows);
                return 0;
            }
            if (rows.isEmpty()) {
                out().println("No requests logged yet.");
                return 0;
            }
            Table t = new Table("TIME", "ACCOUNT", "MODEL", "PATH", "STATUS", "TTFB", "DURATION", "IN/CACHED/OUT/REASONING", "NOTE");
            for (RequestView r : rows) {
                t.row(TIME.format(r.startedAt().atZone(ZoneId.systemDefault())), r.account(), r.model(), r.path(), r.status(),
                        r.ttfbMs() == null ? null : r.ttfbMs() + " ms", millis(r.durationMs()), tokens(r), note(r));
            }
            t.print(out());
            return 0;
        }

        private static String millis(long ms) {
            return ms < 1000 ? ms + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
        }

        private static String tokens(RequestView r) {
            if (r.inputTokens() == null && r.outputTokens() == null) return null;
            return n(r.inputTokens()) + "/" + n(r.cachedTokens()) + "/" + n(r.outputTokens()) + "/" + n(r.reasoningTokens());
        }

        private static String n(Long v) { return v == null ? "-" : v.toString(); }

        private static String note(RequestView r) {
            List<String> parts = new ArrayList<>();
            if (r.failoverChain() != null && r.failoverChain().size() > 1) parts.add(String.join(" -> ", r.failoverChain()));
            if (r.failureClass() != null) parts.add(r.failureClass());
            if (r.error() != null) parts.add(r.errorOneLine());
            return parts.isEmpty() ? null : String.join("; ", parts);
        }
    }
}
