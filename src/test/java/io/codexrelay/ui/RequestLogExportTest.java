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
}
