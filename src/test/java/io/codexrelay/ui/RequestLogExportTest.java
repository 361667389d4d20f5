package io.codexrelay.ui;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.app.RequestView;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RequestLogExportTest {
    static RequestView rec(long id, String error) {
        return new RequestView(id, Instant.parse("2026-03-10T12:00:00Z"), "Pro-1", "gpt-5", "/v1/responses", 502, 120L, 900,
                1000L, null, 50L, null, List.of("A:429 usage_limit_reached", "Pro-1:502"), "transient", "sess", error);
    }

    @Test
    void csvQuotesAndNeutralisesFormulas() throws Exception {
        StringWriter w = new StringWriter();
        long n = RequestLogExport.write((off, lim) -> off == 0 ? List.of(rec(2, "bad \"gateway\", again\nline 2"), rec(1, "=HYPERLINK(x)")) : List.of(),
                RequestLogExport.Format.CSV, w, c -> { });
        assertThat(n).isEqualTo(2);
        String[] lines = w.toString().split("\r\n");
        assertThat(lines[0]).isEqualTo("id,started_at,account,client,model,path,status,ttfb_ms,duration_ms,input_tokens,cached_tokens,"
                + "output_tokens,reasoning_tokens,failure_class,failover_chain,session_id,error");
        assertThat(lines[1]).isEqualTo("2,2026-03-10T12:00:00Z,Pro-1,,gpt-5,/v1/responses,502,120,900,1000,,50,,transient,"
                + "A:429 usage_limit_reached > Pro-1:502,sess,\"bad \"\"gateway\"\", again\nline 2\"");
        assertThat(lines[2]).endsWith(",sess,'=HYPERLINK(x)");
    }

    @Test
    void jsonlHasOneObjectPerRowAcrossPages() throws Exception {
        List<RequestView> all = new ArrayList<>();
        for (int i = 5000; i >= 1; i--) all.add(rec(i, null));
        StringWriter w = new StringWriter();
        List<Long> progress = new ArrayList<>();
        long n = RequestLogExport.write((off, lim) -> all.subList((int) Math.min(off, all.size()), (int) Math.min(off + lim, all.size())),
                RequestLogExport.Format.JSONL, w, progress::add);
        assertThat(n).isEqualTo(5000);
        assertThat(progress).containsExactly(2000L, 4000L, 5000L);
        String[] lines = w.toString().split("\n");
        assertThat(lines).hasSize(5000);
        @SuppressWarnings("unchecked")
        Map<String, Object> first = new ObjectMapper().readValue(lines[0], Map.class);
        assertThat(first).containsEntry("id", 5000).containsEntry("account", "Pro-1").containsEntry("cached_tokens", null)
                .containsEntry("failover_chain", List.of("A:429 usage_limit_reached", "Pro-1:502"));
    }

    @Test
    void withPricesEachRowEndsWithItsApiPriceEquivalent() throws Exception {
        var prices = new io.codexrelay.app.ApiPrices(List.of(new io.codexrelay.app.ApiPrices.Rate("gpt-5*", 1.25, 0.125, 10.0, false)));
        RequestView priced = new RequestView(3, Instant.parse("2026-03-10T12:00:00Z"), "Pro-1", "gpt-5-codex", "/v1/responses", 200, 120L,
                900, 1_000_000L, 600_000L, 100_000L, 0L, List.of("Pro-1:200"), null, "sess", null);
        RequestView unpriced = new RequestView(2, Instant.parse("2026-03-10T12:00:00Z"), "Pro-1", "llama-3", "/v1/responses", 200, 120L,
                900, 10L, null, 10L, null, List.of("Pro-1:200"), null, "sess", null);
        StringWriter w = new StringWriter();
        RequestLogExport.write((off, lim) -> off == 0 ? List.of(priced, unpriced) : List.of(), RequestLogExport.Format.CSV, w, c -> { }, prices);
        String[] lines = w.toString().split("\r\n");
        assertThat(lines[0]).endsWith(",session_id,error,api_price_usd");
        // 400k fresh * 1.25 + 600k cached * 0.125 + 100k out * 10 = 0.5 + 0.075 + 1.0
        assertThat(lines[1]).endsWith(",sess,,1.575000");
        assertThat(lines[2]).endsWith(",sess,,");
        StringWriter j = new StringWriter();
        RequestLogExport.write((off, lim) -> off == 0 ? List.of(priced) : List.of(), RequestLogExport.Format.JSONL, j, c -> { }, prices);
        @SuppressWarnings("unchecked")
        Map<String, Object> row = new ObjectMapper().readValue(j.toString().trim(), Map.class);
        assertThat(((Number) row.get("api_price_usd")).doubleValue()).isEqualTo(1.575);
    }

    @Test
    void theFiguresFileHoldsSinceResetTodayAndPerDayRows() throws Exception {
        var since = Instant.parse("2026-03-10T10:00:00Z");
        var five = new io.codexrelay.app.SinceReset(since, 4, 2000, 500, 300, 1.5);
        var today = new io.codexrelay.app.SinceReset(Instant.parse("2026-03-10T00:00:00Z"), 9, 5000, 500, 700, null);
        var day = new io.codexrelay.app.SinceReset(Instant.parse("2026-03-09T00:00:00Z"), 2, 100, 0, 10, 0.01);
        StringWriter w = new StringWriter();
        long n = RequestLogExport.writeFigures(List.of(new io.codexrelay.app.UsageFigures.AccountFigures("Pro-1", five, null, today)),
                List.of(new io.codexrelay.app.UsageFigures.Day("Pro-1", java.time.LocalDate.parse("2026-03-09"), day)),
                RequestLogExport.Format.CSV, w);
        assertThat(n).isEqualTo(3);
        assertThat(w.toString().split("\r\n")).containsExactly(
                "account,period,since,requests,input_tokens,cached_tokens,output_tokens,total_tokens,api_price_usd",
                "Pro-1,5h,2026-03-10T10:00:00Z,4,2000,500,300,2300,1.5",
                "Pro-1,today,2026-03-10T00:00:00Z,9,5000,500,700,5700,",
                "Pro-1,day,2026-03-09,2,100,0,10,110,0.01");
        assertThat(RequestLogExport.figuresFile(java.nio.file.Path.of("/tmp/x/requests.csv")))
                .isEqualTo(java.nio.file.Path.of("/tmp/x/requests.since-reset.csv"));
    }

    @Test
    void theUsageTabsTableSaysEachPeriodWithItsPrice() {
        var five = new io.codexrelay.app.SinceReset(Instant.parse("2026-03-10T10:00:00Z"), 1, 1_200_000, 0, 34_567, 12.345);
        var today = new io.codexrelay.app.SinceReset(Instant.parse("2026-03-10T00:00:00Z"), 3, 10, 0, 0, null);
        UsageFiguresTableModel m = new UsageFiguresTableModel();
        m.set(List.of(new io.codexrelay.app.UsageFigures.AccountFigures("Pro-1", five, null, today)), List.of());
        assertThat(m.getRowCount()).isEqualTo(2);
        assertThat(List.of(m.getValueAt(0, 0), m.getValueAt(0, 1), m.getValueAt(0, 2), m.getValueAt(0, 3), m.getValueAt(0, 4)))
                .containsExactly("Pro-1", "since the 5-hour reset", "1 request", "1 234 567", "$12.35");
        assertThat(List.of(m.getValueAt(1, 1), m.getValueAt(1, 2), m.getValueAt(1, 4))).containsExactly("today", "3 requests", "no price");
    }
}
