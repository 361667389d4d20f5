package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;
import io.codexrelay.pool.PoolView;
import io.codexrelay.pool.QuotaHeaders;
import io.codexrelay.pool.QuotaTracker;
import org.eclipse.jetty.http.HttpField;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PooledUsageTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L);

    static QuotaSnapshot q(double p, long pReset, double s, long sReset, String plan) {
        return new QuotaSnapshot(new QuotaWindow(p, 300, NOW.plusSeconds(pReset)), new QuotaWindow(s, 10080, NOW.plusSeconds(sReset)),
                false, false, "0", plan, "headers", NOW);
    }

    @Test
    void headersRoundTripThroughTheTrackersParser() {
        QuotaSnapshot s = q(42.5, 3600, 10, 86_400, "plus");
        Map<String, String> h = PooledUsage.headers(s, NOW);
        assertThat(h).containsEntry("x-codex-primary-used-percent", "42.5")
                .containsEntry("x-codex-primary-window-minutes", "300")
                .containsEntry("x-codex-primary-reset-at", Long.toString(NOW.getEpochSecond() + 3600))
                .containsEntry("x-codex-secondary-used-percent", "10")
                .containsEntry("x-codex-credits-has-credits", "false");
        QuotaSnapshot back = QuotaTracker.parseHeaders(h, NOW).orElseThrow();
        assertThat(back.primary()).isEqualTo(s.primary());
        assertThat(back.secondary()).isEqualTo(s.secondary());
        assertThat(PooledUsage.headers(null, NOW)).isEmpty();
        assertThat(QuotaHeaders.isQuotaHeader("X-Codex-Primary-Used-Percent")).isTrue();
        assertThat(QuotaHeaders.isQuotaHeader("x-codex-turn-state")).isFalse();
        // every quota header, in any case; nothing else, however close
        for (String name : List.of("x-codex-secondary-reset-at", "X-CODEX-CREDITS-BALANCE", "x-codex-active-limit",
                "X-Codex-Active-Limit", "x-codex-primary-reset-after-seconds")) {
            assertThat(QuotaHeaders.isQuotaHeader(name)).as(name).isTrue();
        }
        for (String name : List.of("", "x", "x-codex", "x-codex-", "x-codex-primary", "x-codex-active-limits", "content-type",
                "openai-model", "x-codex-credit-balance", "y-codex-primary-used-percent")) {
            assertThat(QuotaHeaders.isQuotaHeader(name)).as(name).isFalse();
        }
    }

    private static Map<String, String> asMap(List<HttpField> fields) {
        Map<String, String> m = new LinkedHashMap<>();
        for (HttpField f : fields) m.put(f.getName(), f.getValue());
        return m;
    }

    @Test
    void theFieldsForCodexAreTheHeadersMadeAgainOnlyWhenWhatTheyShowChanges() {
        QuotaSnapshot s = q(42.5, 3600, 10, 86_400, "plus");
        List<HttpField> first = PooledUsage.fields(s, NOW);
        assertThat(asMap(first)).containsExactlyEntriesOf(PooledUsage.headers(s, NOW));
        // the same quota read again later (another plan, source and time): the same fields, not made again
        QuotaSnapshot again = new QuotaSnapshot(s.primary(), s.secondary(), false, false, "0", "pro", "poll", NOW.plusSeconds(5));
        assertThat(PooledUsage.fields(again, NOW.plusSeconds(5))).isSameAs(first);
        // what they show changed: new fields
        QuotaSnapshot more = q(43, 3600, 10, 86_400, "plus");
        assertThat(asMap(PooledUsage.fields(more, NOW))).containsEntry("x-codex-primary-used-percent", "43")
                .containsExactlyEntriesOf(PooledUsage.headers(more, NOW));
        QuotaSnapshot credits = new QuotaSnapshot(more.primary(), more.secondary(), true, false, "12.5", "plus", "headers", NOW);
        assertThat(asMap(PooledUsage.fields(credits, NOW))).containsEntry("x-codex-credits-has-credits", "true")
                .containsEntry("x-codex-credits-balance", "12.5");
        QuotaSnapshot spent = new QuotaSnapshot(more.primary(), more.secondary(), true, false, "7", "plus", "headers", NOW);
        assertThat(asMap(PooledUsage.fields(spent, NOW))).containsEntry("x-codex-credits-balance", "7"); // the balance alone
        // still taken at "now": once the 5-hour window has reset, the same snapshot shows it at 0 with no reset time
        Instant later = NOW.plusSeconds(3601);
        Map<String, String> afterReset = asMap(PooledUsage.fields(credits, later));
        assertThat(afterReset).containsEntry("x-codex-primary-used-percent", "0")
                .doesNotContainKey("x-codex-primary-reset-at")
                .containsExactlyEntriesOf(PooledUsage.headers(credits, later));
        assertThat(asMap(PooledUsage.fields(credits, NOW))).containsEntry("x-codex-primary-used-percent", "43");
        assertThat(PooledUsage.fields(null, NOW)).isEmpty();
    }

    @Test
    void viewIsTheServingAccountOrThePoolsBest() {
        QuotaSnapshot serving = q(80, 3600, 10, 86_400, "plus");
        QuotaSnapshot roomy = q(20, 3600, 30, 86_400, "pro");
        QuotaSnapshot other = q(50, 3600, 10, 86_400, "plus");
        List<QuotaSnapshot> usable = Arrays.asList(serving, roomy, other, null);

        assertThat(PooledUsage.view(PoolView.Mode.SERVING, serving, usable, usable, NOW)).isEqualTo(serving);
        assertThat(PooledUsage.view(PoolView.Mode.BEST, serving, usable, usable, NOW)).isEqualTo(roomy);
        // serving unknown: the best known
        assertThat(PooledUsage.view(PoolView.Mode.SERVING, null, usable, usable, NOW)).isEqualTo(roomy);
        assertThat(PoolView.Mode.of("best")).isEqualTo(PoolView.Mode.BEST);
        assertThat(PoolView.Mode.of("serving")).isEqualTo(PoolView.Mode.SERVING);
    }

    @Test
    void whenNothingCanServeTheViewShowsWhoComesBackFirst() {
        QuotaSnapshot late = q(100, 7200, 10, 86_400, "plus");
        QuotaSnapshot early = q(100, 600, 10, 86_400, "plus");
        QuotaSnapshot v = PooledUsage.view(PoolView.Mode.BEST, null, List.of(), List.of(late, early), NOW);
        assertThat(v).isEqualTo(early);
    }

    @Test
    void usageJsonHasCodexsShape() throws Exception {
        JsonNode n = JSON.readTree(PooledUsage.usageJson(q(42.4, 3600, 10.6, 86_400, "pro"), null, NOW));
        assertThat(n.get("plan_type").asText()).isEqualTo("pro");
        JsonNode rl = n.get("rate_limit");
        assertThat(rl.get("allowed").asBoolean()).isTrue();
        assertThat(rl.get("limit_reached").asBoolean()).isFalse();
        JsonNode p = rl.get("primary_window");
        // Codex deserializes every window field as a 32-bit integer
        for (String f : List.of("used_percent", "limit_window_seconds", "reset_after_seconds", "reset_at")) {
            assertThat(p.get(f).isInt() || p.get(f).isLong()).as(f).isTrue();
            assertThat(p.get(f).canConvertToInt()).as(f).isTrue();
            assertThat(rl.get("secondary_window").get(f).canConvertToInt()).as(f).isTrue();
        }
        assertThat(p.get("used_percent").asInt()).isEqualTo(42);
        assertThat(p.get("limit_window_seconds").asInt()).isEqualTo(18_000);
        assertThat(p.get("reset_after_seconds").asInt()).isEqualTo(3600);
        assertThat(p.get("reset_at").asLong()).isEqualTo(NOW.getEpochSecond() + 3600);
        assertThat(rl.get("secondary_window").get("used_percent").asInt()).isEqualTo(11);
        assertThat(n.get("credits").get("has_credits").asBoolean()).isFalse();
        assertThat(n.get("credits").get("balance").asText()).isEqualTo("0");
        assertThat(n.get("additional_rate_limits").isArray()).isTrue();

        // the tracker reads it back as the same quota (integer rounding aside)
        QuotaSnapshot back = QuotaTracker.parseUsageJson(n.toString(), NOW);
        assertThat(back.primary().resetsAt()).isEqualTo(NOW.plusSeconds(3600));
        assertThat(back.primary().windowMinutes()).isEqualTo(300);
    }

    @Test
    void usageJsonForAnExhaustedPoolAndUnknownQuota() throws Exception {
        JsonNode out = JSON.readTree(PooledUsage.usageJson(q(100, 600, 40, 86_400, "team"), null, NOW));
        assertThat(out.at("/rate_limit/limit_reached").asBoolean()).isTrue();
        assertThat(out.at("/rate_limit/allowed").asBoolean()).isFalse();
        assertThat(out.at("/rate_limit/primary_window/reset_after_seconds").asInt()).isEqualTo(600);

        JsonNode unknown = JSON.readTree(PooledUsage.usageJson(null, null, NOW));
        assertThat(unknown.get("plan_type").asText()).isEqualTo("plus");
        assertThat(unknown.at("/rate_limit/primary_window").isNull()).isTrue();
        assertThat(unknown.get("credits").isNull()).isTrue();

        // a plan Codex does not know would break its parser
        JsonNode odd = JSON.readTree(PooledUsage.usageJson(q(1, 600, 1, 86_400, "api-key"), null, NOW));
        assertThat(odd.get("plan_type").asText()).isEqualTo("plus");
    }
}
