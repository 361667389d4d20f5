package io.codexrelay.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.app.RequestView;

import java.io.Writer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/** Writes request-log rows as CSV (RFC 4180) or JSON Lines, page by page, so 100 000 rows never sit in memory at once. */
public final class RequestLogExport {
    public enum Format { CSV, JSONL }

    /** Reads rows of the filter being exported, newest first. */
    public interface Pages { List<RequestView> page(long offset, int limit) throws Exception; }

    static final int PAGE = 2000;
    static final List<String> COLUMNS = List.of("id", "started_at", "account", "client", "model", "path", "status", "ttfb_ms", "duration_ms",
            "input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "failure_class", "failover_chain", "session_id", "error");
    private static final ObjectMapper JSON = new ObjectMapper();

    private RequestLogExport() {}

    /** Returns the number of rows written; {@code progress} hears the running count. */
    public static long write(Pages pages, Format format, Writer out, LongConsumer progress) throws Exception {
        if (format == Format.CSV) out.write(String.join(",", COLUMNS) + "\r\n");
        long n = 0;
        for (long offset = 0; ; offset += PAGE) {
            List<RequestView> rows = pages.page(offset, PAGE);
            for (RequestView r : rows) {
                Map<String, Object> m = row(r);
                if (format == Format.CSV) {
                    StringBuilder sb = new StringBuilder();
                    for (int i = 0; i < COLUMNS.size(); i++) {
                        if (i > 0) sb.append(',');
                        sb.append(csv(m.get(COLUMNS.get(i))));
                    }
                    out.write(sb.append("\r\n").toString());
                } else {
                    out.write(JSON.writeValueAsString(m));
                    out.write('\n');
                }
                n++;
            }
            progress.accept(n);
            if (rows.size() < PAGE) break;
        }
        out.flush();
        return n;
    }

    static Map<String, Object> row(RequestView r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("started_at", r.startedAt().toString());
        m.put("account", r.account());
        m.put("client", r.client());
        m.put("model", r.model());
        m.put("path", r.path());
        m.put("status", r.status());
        m.put("ttfb_ms", r.ttfbMs());
        m.put("duration_ms", r.durationMs());
        m.put("input_tokens", r.inputTokens());
        m.put("cached_tokens", r.cachedTokens());
        m.put("output_tokens", r.outputTokens());
        m.put("reasoning_tokens", r.reasoningTokens());
        m.put("failure_class", r.failureClass());
        m.put("failover_chain", r.failoverChain() == null ? List.of() : r.failoverChain());
        m.put("session_id", r.sessionId());
        m.put("error", r.error());
        return m;
    }

    static String csv(Object v) {
        if (v == null) return "";
        String s = v instanceof List<?> l ? String.join(" > ", l.stream().map(String::valueOf).toList()) : String.valueOf(v);
        // Cells starting with = + - @ are read as formulas by spreadsheets: neutralise them.
        if (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 && !(v instanceof Number)) s = "'" + s;
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) return '"' + s.replace("\"", "\"\"") + '"';
        return s;
    }
}
