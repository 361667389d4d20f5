package io.codexrelay.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.PoolDaemon;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The pool's routing, quota and affinity rules through the running daemon against the fake upstream. */
class PoolRoutingIntegrationTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;
    PoolDaemon d;

    @AfterEach
    void stop() throws Exception {
        if (d != null) d.close();
    }

    long t0() { return d.t0.getEpochSecond(); }

    Map<String, String> quota(double primary, double secondary) {
        return FakeUpstream.quotaHeaders(primary, secondary, t0() + 3600, t0() + 5 * 86_400);
    }

    @Test
    void quotaHeadersReachTheStatusAndCodexSeesTheServingAccount() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.success("hi", quota(42.5, 10)));

        HttpResponse<String> r = d.ask("s1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-codex-primary-used-percent")).hasValue("42.5");
        assertThat(r.headers().firstValue("x-codex-primary-reset-at")).hasValue(Long.toString(t0() + 3600));
        assertThat(r.headers().firstValue("x-codex-secondary-used-percent")).hasValue("10");

        AccountStatus a = d.status("A");
        assertThat(a.quota().primary().usedPercent()).isEqualTo(42.5);
        assertThat(a.quota().secondary().resetsAt()).isEqualTo(Instant.ofEpochSecond(t0() + 5 * 86_400));
        assertThat(a.quota().source()).isEqualTo("headers");
        assertThat(d.events(RelayEvent.QuotaChanged.class)).anySatisfy(e -> {
            assertThat(e.account()).isEqualTo("A");
            assertThat(e.quota().primary().usedPercent()).isEqualTo(42.5);
        });

        var status = d.cli.run("status");
        assertThat(status.out()).as(status.toString()).contains("5H").contains("WEEK").contains("43%").contains("10%");
        JsonNode json = JSON.readTree(d.cli.run("status", "--json").out());
        JsonNode qa = json.get("accounts").get(0).get("quota");
        assertThat(qa.get("primary").get("usedPercent").asDouble()).isEqualTo(42.5);
        assertThat(qa.get("primary").get("resetsAt").asText()).isEqualTo(Instant.ofEpochSecond(t0() + 3600).toString());
    }

    @Test
    void bestModeReportsThePoolsBestAndTheUsageEndpointsAnswerInCodexsShape() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"\nreport_pool_headers = \"best\"")
                .chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.setUsage(d.token("B"), FakeUpstream.usageBody("pro", 20, 30, t0() + 7200, t0() + 6 * 86_400));
        d.app.control().refreshQuota();
        assertThat(d.status("B").quota().primary().usedPercent()).isEqualTo(20);
        assertThat(d.status("B").quota().source()).isEqualTo("poll");

        d.fake.enqueue(d.token("A"), FakeUpstream.success("hi", quota(80, 10)));
        HttpResponse<String> r = d.ask("s1");
        assertThat(d.lastServed()).isEqualTo("A");
        // served by A (80 % used), but Codex sees the pool's best: B's 5-hour window has 80 % left
        assertThat(r.headers().allValues("x-codex-primary-used-percent")).as("the pool's value alone, not A's too").containsExactly("20");
        assertThat(r.headers().allValues("x-codex-primary-reset-at")).containsExactly(Long.toString(t0() + 7200));

        for (String path : List.of("/backend-api/wham/usage", "/api/codex/usage")) {
            HttpResponse<String> u = d.get(path); // Codex sends no relay key here
            assertThat(u.statusCode()).as(path).isEqualTo(200);
            assertThat(u.headers().firstValue("content-type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
            JsonNode n = JSON.readTree(u.body());
            assertThat(n.get("plan_type").asText()).isEqualTo("pro");
            JsonNode p = n.at("/rate_limit/primary_window");
            assertThat(p.get("used_percent").isIntegralNumber()).isTrue();
            assertThat(p.get("used_percent").asInt()).isEqualTo(20);
            assertThat(p.get("limit_window_seconds").asInt()).isEqualTo(18_000);
            assertThat(p.get("reset_at").asLong()).isEqualTo(t0() + 7200);
            assertThat(p.get("reset_after_seconds").asLong()).isEqualTo(7200);
            assertThat(n.at("/rate_limit/secondary_window/used_percent").asInt()).isEqualTo(30);
            assertThat(n.at("/rate_limit/allowed").asBoolean()).isTrue();
            assertThat(n.at("/rate_limit/limit_reached").asBoolean()).isFalse();
            assertThat(n.get("credits").get("has_credits").isBoolean()).isTrue();
        }
        assertThat(d.http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + d.app.port()
                + "/api/codex/usage")).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
    }

    @Test
    void requestsAreServedWhileTheDatabaseIsHeldByAnotherThread() throws Exception {
        // The hot path never waits for SQLite: quota, affinity, usage history and the request log are written behind it.
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.usageLimit(t0() + 600, "plus")); // a failover and a quota change too
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch served = new java.util.concurrent.CountDownLatch(1);
        var holder = CompletableFuture.supplyAsync(() -> {
            try {
                return d.app.database().withConnection(c -> {
                    held.countDown();
                    try {
                        return served.await(60, TimeUnit.SECONDS); // released by the answers, or by giving up
                    } catch (InterruptedException e) {
                        return false;
                    }
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
        List<HttpResponse<String>> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) answers.add(d.ask("db" + i));
        served.countDown();
        assertThat(holder.get(70, TimeUnit.SECONDS)).as("the answers came while the database was held").isTrue();
        assertThat(answers).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
        assertThat(d.status("A").state()).isEqualTo("exhausted");
    }

    @Test
    void aUsageLimitAnswerRecordsItsResetAndPlanInTheAccountsQuota() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.usageLimit(t0() + 900, "pro"));

        assertThat(d.ask("s1").statusCode()).isEqualTo(200);
        var q = d.status("A").quota();
        assertThat(q.planType()).isEqualTo("pro");
        assertThat(q.primary().usedPercent()).isEqualTo(100);
        assertThat(q.primary().resetsAt()).isEqualTo(Instant.ofEpochSecond(t0() + 900));
    }

    @Test
    void pinnedAccountFallsBackWhenExhaustedTellsTheUserAndReturnsAfterItsReset() throws Exception {
        d = new PoolDaemon(dir, null).chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.app.control().pin("A");
        d.fake.enqueue(d.token("A"), FakeUpstream.usageLimit(t0() + 600, "plus"));

        assertThat(d.ask("s1").statusCode()).isEqualTo(200);
        assertThat(d.lastServed()).isEqualTo("B");
        AccountStatus a = d.status("A");
        assertThat(a.state()).isEqualTo("exhausted");
        assertThat(a.stateUntil()).isEqualTo(Instant.ofEpochSecond(t0() + 600));
        assertThat(a.pinned()).isTrue();
        assertThat(d.events(RelayEvent.AccountExhausted.class)).singleElement()
                .satisfies(e -> assertThat(e.until()).isEqualTo(Instant.ofEpochSecond(t0() + 600)));
        assertThat(d.events(RelayEvent.AccountSwitched.class)).anySatisfy(e -> {
            assertThat(e.from()).isEqualTo("A");
            assertThat(e.to()).isEqualTo("B");
            assertThat(e.reason()).contains("A").contains("usage limit");
        });
        assertThat(d.app.control().status().serving()).isEqualTo("B");
        assertThat(d.ask("s2").statusCode()).isEqualTo(200);
        assertThat(d.lastServed()).isEqualTo("B");

        d.clock.advance(Duration.ofSeconds(601));
        assertThat(d.ask("s3").statusCode()).isEqualTo(200);
        assertThat(d.lastServed()).isEqualTo("A");
        assertThat(d.events(RelayEvent.AccountRecovered.class)).extracting(RelayEvent.AccountRecovered::account).contains("A");
        assertThat(d.events(RelayEvent.AccountSwitched.class)).anySatisfy(e -> {
            assertThat(e.from()).isEqualTo("B");
            assertThat(e.to()).isEqualTo("A");
        });
        assertThat(d.status("A").state()).isEqualTo("ready");
    }

    @Test
    void theThresholdSkipsAnAccountNearItsLimitWhileAnotherHasRoom() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.success("hi", quota(95, 10)));
        d.ask("s1");
        assertThat(d.lastServed()).isEqualTo("A");
        d.ask("s2");
        assertThat(d.lastServed()).as("A is at the 95 %% 5-hour threshold").isEqualTo("B");

        // the weekly threshold (98 %) counts too; when every account is hot, the policy order holds again
        d.fake.enqueue(d.token("B"), FakeUpstream.success("hi", quota(10, 98)));
        d.ask("s3");
        assertThat(d.lastServed()).isEqualTo("B");
        d.ask("s4");
        assertThat(d.lastServed()).isEqualTo("A");
    }

    @Test
    void mostRemainingFollowsTheLiveQuota() throws Exception {
        d = new PoolDaemon(dir, null).chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.success("a", quota(50, 10)));
        d.fake.enqueue(d.token("B"), FakeUpstream.success("b", quota(20, 60)));
        d.ask("s1");
        assertThat(d.lastServed()).as("nothing known: priority decides").isEqualTo("A");
        d.ask("s2");
        assertThat(d.lastServed()).as("unknown counts as full headroom").isEqualTo("B");
        d.ask("s3");
        assertThat(d.lastServed()).as("A: 50 %% left, B: 40 %% left in its tighter (weekly) window").isEqualTo("A");
    }

    @Test
    void aQuotaCooldownIsResetAwareAndSurvivesARestart() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.usageLimit(t0() + 1800, "plus"));
        assertThat(d.ask("s1").statusCode()).isEqualTo(200);
        assertThat(d.lastServed()).isEqualTo("B");

        d.restart();
        assertThat(d.status("A").state()).isEqualTo("exhausted");
        assertThat(d.status("A").stateUntil()).isEqualTo(Instant.ofEpochSecond(t0() + 1800));
        d.ask("s2");
        assertThat(d.lastServed()).isEqualTo("B");

        d.clock.advance(Duration.ofSeconds(1799));
        d.ask("s3");
        assertThat(d.lastServed()).isEqualTo("B");
        d.clock.advance(Duration.ofSeconds(2));
        d.ask("s4");
        assertThat(d.lastServed()).isEqualTo("A");
        assertThat(d.status("A").quota().primary().usedPercent()).as("the passed reset reads as reset").isLessThan(100);
    }

    @Test
    void aPollShowingANewWindowEndsAQuotaCooldownEarly() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        // a 429 without a reset time: out for the default hour
        d.fake.enqueue(d.token("A"), FakeUpstream.status(429, "{\"error\":{\"type\":\"usage_limit_reached\",\"message\":\"limit\"}}"));
        d.ask("s1");
        assertThat(d.status("A").state()).isEqualTo("exhausted");
        assertThat(d.status("A").stateUntil()).isEqualTo(d.t0.plus(Duration.ofHours(1)));

        // the window actually rolled over: the poll shows a fresh period
        d.clock.advance(Duration.ofMinutes(5));
        d.fake.setUsage(d.token("A"), FakeUpstream.usageBody("plus", 3, 20, t0() + 5 * 3600, t0() + 5 * 86_400));
        var shown = d.cli.run("status", "--refresh");
        assertThat(shown.exit()).as(shown.toString()).isZero();
        assertThat(shown.out()).containsPattern("A\\s+chatgpt\\s+plus\\s+ready\\s+3%");
        assertThat(d.status("A").state()).isEqualTo("ready");
        assertThat(d.events(RelayEvent.AccountRecovered.class)).extracting(RelayEvent.AccountRecovered::account).containsExactly("A");
        d.ask("s2");
        assertThat(d.lastServed()).isEqualTo("A");
    }

    @Test
    void gatesNeverExceedTheirLimitUnder50ConcurrentRequests() throws Exception {
        // Priority routing, so that A is first in line whatever the answers' quota headers say: with the default
        // (most-remaining) the first answers could turn the pool to B and C before a second request reached A on a
        // slow machine, and A then never had two at once (seen once in a full run).
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"\ngate_wait_ms = 60000\nchatgpt_max_concurrent = 2")
                .chatgpt("A", 1, null).chatgpt("B", 2, null).chatgpt("C", 3, 3).start();
        d.fake.setDefault(FakeUpstream.slowSuccess("slow", 4, 25));

        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            all.add(d.http.sendAsync(d.request("c" + i, PoolDaemon.body("c" + i)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (var f : all) assertThat(f.get(120, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

        // A (first in line) was saturated; no account ever had more in flight than its limit
        assertThat(d.fake.peakInFlight(d.token("A"))).isEqualTo(2);
        assertThat(d.fake.peakInFlight(d.token("B"))).isLessThanOrEqualTo(2);
        assertThat(d.fake.peakInFlight(d.token("C"))).isLessThanOrEqualTo(3);
        assertThat(d.fake.received("/responses")).hasSize(50);
        assertThat(d.app.pool().inFlight()).isZero();
    }

    @Test
    void aThreadStaysOnItsAccountEvenAcrossARestart() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.rateLimited(1));
        d.ask("thread-1");
        assertThat(d.lastServed()).as("A was briefly rate limited: the thread starts on B").isEqualTo("B");
        d.clock.advance(Duration.ofSeconds(2));

        d.ask("thread-2");
        assertThat(d.lastServed()).as("a new thread goes by priority").isEqualTo("A");
        d.ask("thread-1");
        assertThat(d.lastServed()).as("the first thread stays on B").isEqualTo("B");

        d.restart();
        d.ask("thread-1");
        assertThat(d.lastServed()).as("affinity survives a restart").isEqualTo("B");
        d.ask("thread-3");
        assertThat(d.lastServed()).isEqualTo("A");

        // affinity yields when the account cannot serve
        d.fake.enqueue(d.token("B"), FakeUpstream.usageLimit(t0() + 3600, "plus"));
        assertThat(d.ask("thread-1").statusCode()).isEqualTo(200);
        assertThat(d.lastServed()).isEqualTo("A");
    }

    @Test
    void theThreadKeyFallsBackToPromptCacheKey() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.rateLimited(1));
        assertThat(d.http.send(d.request(null, PoolDaemon.body("pck-1")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
        assertThat(d.lastServed()).isEqualTo("B");
        d.clock.advance(Duration.ofSeconds(2));
        d.http.send(d.request(null, PoolDaemon.body("pck-1")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(d.lastServed()).isEqualTo("B");
        d.http.send(d.request(null, PoolDaemon.body("pck-2")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(d.lastServed()).isEqualTo("A");
    }
}
