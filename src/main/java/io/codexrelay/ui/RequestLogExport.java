package io.codexrelay.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.app.ApiPrices;
import io.codexrelay.app.RequestView;
import io.codexrelay.app.SinceReset;
import io.codexrelay.app.UsageFigures;

import java.io.Writer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Writes request-log rows as CSV (RFC 4180) or JSON Lines, page by page, so 100 000 rows never sit in memory at once;
 * with a price table each row also gets its API-price equivalent ({@code api_price_usd}). {@link #writeFigures} writes
 * the companion summary: each account's requests, tokens and API price since its resets, today and per day.
 */
public final class RequestLogExport {
    public enum Format { CSV, JSONL }

    /** Reads rows of the filter being exported, newest first. */
    public interface Pages { List<RequestView> page(long offset, int limit) throws Exception; }

    static final int PAGE = 2000;
    static final List<String> COLUMNS = List.of("id", "started_at", "account", "client", "model", "path", "status", "ttfb_ms", "duration_ms",
            "input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "failure_class", "failover_chain", "session_id", "error");
    private static final ObjectMapper JSON = new ObjectMapper();

    private RequestLogExport() {}

    /** The column of a row's API-price equivalent (US dollars; empty when the model has no price). */
    static final String PRICE_COLUMN = "api_price_usd";
    static final List<String> FIGURE_COLUMNS = List.of("account", "period", "since", "requests", "input_tokens", "cached_tokens",
            "output_tokens", "total_tokens", PRICE_COLUMN);

    /** Returns the number of rows written; {@code progress} hears the running count. */
    public static long write(Pages pages, Format format, Writer out, LongConsumer progress) throws Exception {
        return write(pages, format, out, progress, null);
    }

    /** As {@link #write(Pages, Format, Writer, LongConsumer)}; with {@code prices} each row ends with its API-price equivalent. */
    public static long write(Pages pages, Format format, Writer out, LongConsumer progress, ApiPrices prices) throws Exception {
        List<String> columns = prices == null ? COLUMNS : concat(COLUMNS, PRICE_COLUMN);
        if (format == Format.CSV) out.write(String.join(",", columns) + "\r\n");
        long n = 0;
        // A log has a handful of models: each is matched against the price names once, not once per row.
        Map<String, java.util.Optional<SinceReset.Price>> priceByModel = new java.util.HashMap<>();
        for (long offset = 0; ; offset += PAGE) {
            List<RequestView> rows = pages.page(offset, PAGE);
            for (RequestView r : rows) {
                Map<String, Object> m = row(r);
                if (prices != null) {
                    SinceReset.Price p = r.model() == null ? null
                            : priceByModel.computeIfAbsent(r.model(), k -> java.util.Optional.ofNullable(prices.priceOf(k))).orElse(null);
                    Double usd = p == null ? null : SinceReset.costUsd(p, r.inputTokens(), r.cachedTokens(), r.outputTokens());
                    m.put(PRICE_COLUMN, usd == null ? null : new java.math.BigDecimal(usd).setScale(6, java.math.RoundingMode.HALF_UP));
                }
                writeRow(m, columns, format, out);
                n++;
            }
            progress.accept(n);
            if (rows.size() < PAGE) break;
        }
        out.flush();
        return n;
    }

    /**
     * The summary that goes with an export: per account, since its 5-hour reset, since its weekly reset and today
     * (periods {@code 5h}, {@code week}, {@code today}), then per local day ({@code day}, the date in {@code since}).
     * Returns the number of rows written.
     */
    public static long writeFigures(List<UsageFigures.AccountFigures> accounts, List<UsageFigures.Day> days, Format format, Writer out)
            throws Exception {
        if (format == Format.CSV) out.write(String.join(",", FIGURE_COLUMNS) + "\r\n");
        long n = 0;
        for (UsageFigures.AccountFigures f : accounts) {
            for (var e : List.of(Map.entry("5h", java.util.Optional.ofNullable(f.fiveHour())), Map.entry("week", java.util.Optional.ofNullable(f.week())),
                    Map.entry("today", java.util.Optional.ofNullable(f.today())))) {
                if (e.getValue().isEmpty()) continue;
                writeRow(figure(f.account(), e.getKey(), e.getValue().get().since().toString(), e.getValue().get()), FIGURE_COLUMNS, format, out);
                n++;
            }
        }
        for (UsageFigures.Day d : days) {
            writeRow(figure(d.account(), "day", d.date().toString(), d.usage()), FIGURE_COLUMNS, format, out);
            n++;
        }
        out.flush();
        return n;
    }

    private static Map<String, Object> figure(String account, String period, String since, SinceReset s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("account", account.isEmpty() ? "(none)" : account);
        m.put("period", period);
        m.put("since", since);
        m.put("requests", s.requests());
        m.put("input_tokens", s.inputTokens());
        m.put("cached_tokens", s.cachedTokens());
        m.put("output_tokens", s.outputTokens());
        m.put("total_tokens", s.inputTokens() + s.outputTokens());
        m.put(PRICE_COLUMN, s.apiPriceUsd());
        return m;
    }

    private static void writeRow(Map<String, Object> m, List<String> columns, Format format, Writer out) throws Exception {
        if (format == Format.CSV) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < columns.size(); i++) {
                if (i > 0) sb.append(',');
                sb.append(csv(m.get(columns.get(i))));
            }
            out.write(sb.append("\r\n").toString());
        } else {
            out.write(JSON.writeValueAsString(m));
            out.write('\n');
        }
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.add(b);
        return List.copyOf(out);
    }

    /** {@code name.csv} -> {@code name.since-reset.csv}: the summary's file next to the export. */
    public static java.nio.file.Path figuresFile(java.nio.file.Path export) {
        String name = export.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = dot > 0 ? name.substring(0, dot) : name, ext = dot > 0 ? name.substring(dot) : "";
        return export.resolveSibling(base + ".since-reset" + ext);
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
