package io.codexrelay.app;

import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;
import io.codexrelay.app.RequestView;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The admin API's wire protocol: every ControlApi method through AdminHandler and back through RemoteControl. */
class AdminApiProtocolTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";
    private static final Instant T = Instant.parse("2026-11-20T10:15:30Z");

    private final List<String> calls = new ArrayList<>();
    private Server server;
    private int port;
    private RemoteControl remote;

    private final ControlApi stub = new ControlApi() {
        @Override public PoolStatus status() {
            calls.add("status");
            var quota = new QuotaSnapshot(new QuotaWindow(42.5, 300, T), null, false, null, "0", "plus", "headers", T);
            var a = new AccountStatus("A", "chatgpt", "a@x.io", "plus", "https://chatgpt.com/backend-api", true, 100, 2, "…abcd",
                    "exhausted", T, "usage limit", 1, true, quota);
            return new PoolStatus(false, "A", null, false, 1, T, List.of(a));
        }
        @Override public AccountStatus addApiKey(NewApiKey r) {
            calls.add("add " + r.name() + " " + r.key() + " " + r.baseUrl() + " " + r.priority() + " " + r.maxConcurrent());
            return status().accounts().get(0);
        }
        @Override public AccountStatus importCodex(Path codexHome, String name) {
            calls.add("import " + codexHome + " " + name);
            return status().accounts().get(0);
        }
        @Override public void removeAccount(String name) throws ControlException {
            if (name.equals("missing")) throw new ControlException("No account named 'missing'.");
            calls.add("remove " + name);
        }
        @Override public AccountStatus updateAccount(String name, AccountChanges c) {
            calls.add("update " + name + " " + c.priority() + " " + c.maxConcurrent() + " " + c.enabled());
            return status().accounts().get(0);
        }
        @Override public void pin(String name) { calls.add("pin " + name); }
        @Override public void auto() { calls.add("auto"); }
        @Override public void setPaused(boolean paused) { calls.add("paused " + paused); }
        @Override public void refreshQuota() { calls.add("refresh"); }
        @Override public List<RequestView> recentRequests(int limit) {
            calls.add("requests " + limit);
            return List.of(new RequestView(7, T, "B", "gpt-5", "/v1/responses", 200, 120L, 3400, 1000L, 200L, 50L, 10L,
                    List.of("A:429 usage_limit_reached", "B:200"), null, "sess-1", null));
        }
        @Override public List<RequestView> queryRequests(LogQuery.Filter f, long offset, int limit) {
            calls.add("page " + f.account() + " " + f.status().name() + " " + offset + " " + limit);
            return recentRequests(limit);
        }
        @Override public long countRequests(LogQuery.Filter f) { calls.add("count " + f.status().name()); return 42; }
        @Override public List<LogQuery.UsageBucket> requestUsage(java.time.Instant from, java.time.Duration bucket) {
            calls.add("usage " + bucket.toMinutes());
            return List.of(new LogQuery.UsageBucket(T, "B", 3, 100, 10, 20, 5));
        }
        @Override public List<LogQuery.ClientBucket> requestUsageByClient(java.time.Instant from, java.time.Duration bucket) {
            calls.add("usage by client " + bucket.toMinutes());
            return List.of(new LogQuery.ClientBucket(T, "claude-code", 2, 100, 20));
        }
        @Override public ApiPrices apiPrices() {
            calls.add("prices");
            return new ApiPrices(List.of(new ApiPrices.Rate("gpt-5*", 2.0, 0.2, 16.0, true)));
        }
        @Override public ChatGptLogin startChatGptLogin(String name) { throw new UnsupportedOperationException("not over the wire"); }
        @Override public Map<String, Object> config() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("server.port", 17771L);
            m.put("pool.primary_threshold_percent", 95.0);
            m.put("codex.extra_homes", List.of("/x"));
            return m;
        }
        @Override public List<String> applyConfig(Map<String, Object> changes) {
            calls.add("apply " + changes);
            return List.of("server.port");
        }
        @Override public String configProblem() { calls.add("problem"); return "line 3: expected a number"; }
        @Override public List<RedactionEntry> redactionRules() {
            calls.add("redaction");
            return List.of(new RedactionEntry("card", true, "\\d{16}", false, "[card]", List.of("A"), List.of("codex")));
        }
        @Override public void saveRedactionRules(List<RedactionEntry> rules) throws ControlException {
            if (rules.stream().anyMatch(r -> r.text().equals("("))) throw new ControlException("Redaction rule 1: '(' is not a valid pattern.");
            calls.add("save redaction " + rules);
        }
    };

    @Test
    void theSettingsWindowInItsOwnProcessReadsAndSavesRedactionRulesAndTheConfigProblem() throws Exception {
        // the Settings window runs in a process of its own (issue 9) and reaches all of this over the admin API
        assertThat(remote.redactionRules()).containsExactly(stub.redactionRules().get(0));
        var rule = new RedactionEntry("key", false, "sk-secret", true, "[key]", List.of(), List.of());
        remote.saveRedactionRules(List.of(rule));
        assertThat(calls).contains("save redaction " + List.of(rule));
        assertThatThrownBy(() -> remote.saveRedactionRules(List.of(new RedactionEntry("bad", true, "(", false, null, null, null))))
                .isInstanceOf(ControlException.class).hasMessageContaining("not a valid pattern");
        assertThat(remote.configProblem()).isEqualTo("line 3: expected a number");
    }

    @BeforeEach
    void start() throws Exception {
        server = new Server();
        ServerConnector c = new ServerConnector(server);
        c.setHost("127.0.0.1");
        c.setPort(0);
        server.addConnector(c);
        server.setHandler(new AdminHandler(stub, TOKEN, "test"));
        server.start();
        port = c.getLocalPort();
        remote = new RemoteControl(new AdminFile.Info(ProcessHandle.current().pid(), "127.0.0.1", port, TOKEN, "test", T),
                Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aMissingOrWrongTokenIsRefusedWith401AndNothingRuns() throws Exception {
        var http = HttpClient.newHttpClient();
        for (String auth : new String[] {null, "Bearer wrong", "Basic " + TOKEN, "Bearer " + TOKEN + "x"}) {
            var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_relay/admin/pin"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"A\"}"));
            if (auth != null) b.header("Authorization", auth);
            var r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.body()).contains("\"error\"").contains("admin token");
        }
        assertThat(calls).isEmpty();

        var wrong = new RemoteControl(new AdminFile.Info(1, "127.0.0.1", port, "nope", "test", T), Duration.ofSeconds(5));
        assertThatThrownBy(wrong::ping).isInstanceOf(ControlException.class).hasMessageContaining("admin token");
    }

    @Test
    void aRefusedRequestWhoseBodyArrivesLateLeavesTheConnectionUsable() throws Exception {
        // A client reuses a kept-alive connection: a 401 sent before the body was read used to close it under the
        // client's feet ("header parser received no bytes" on the next request).
        String body = "{\"name\":\"A\"}";
        try (var s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            var out = s.getOutputStream();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            for (int i = 0; i < 2; i++) {
                out.write(("POST /_relay/admin/pin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer wrong\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n").getBytes());
                out.flush();
                Thread.sleep(300); // the body comes after the server could have answered
                out.write(body.getBytes());
                out.flush();
                assertThat(in.readLine()).as("status line of request %d", i).startsWith("HTTP/1.1 401");
                int length = -1;
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    assertThat(line.toLowerCase()).doesNotStartWith("connection: close");
                    if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
                }
                assertThat(length).isPositive();
                char[] answer = new char[length];
                for (int n = 0; n < length; ) n += in.read(answer, n, length - n);
                assertThat(new String(answer)).contains("admin token");
            }
        }
        assertThat(calls).isEmpty();
    }

    @Test
    void everyControlMethodRoundTrips() throws Exception {
        assertThat(remote.ping()).isEqualTo(ProcessHandle.current().pid());

        PoolStatus s = remote.status();
        assertThat(s).isEqualTo(stub.status());

        remote.addApiKey(new ControlApi.NewApiKey("K", "sk-123", "https://h/v1", 5, null));
        remote.importCodex(Path.of("/tmp/codex-home"), null);
        remote.removeAccount("A");
        remote.updateAccount("A", new ControlApi.AccountChanges(null, 4, false));
        remote.pin("B");
        remote.auto();
        remote.setPaused(true);
        remote.refreshQuota();
        assertThat(remote.recentRequests(25)).containsExactlyElementsOf(stub.recentRequests(25));
        assertThat(remote.config()).isEqualTo(stub.config());
        assertThat(remote.applyConfig(Map.of("server.port", 18000))).containsExactly("server.port");

        assertThat(calls).contains("add K sk-123 https://h/v1 5 null", "import /tmp/codex-home null", "remove A",
                "update A null 4 false", "pin B", "auto", "paused true", "refresh", "requests 25", "apply {server.port=18000}");
    }

    @Test
    void theLogWindowsQueriesGoToTheDaemonNotToAnInMemoryFilter() throws Exception {
        var filter = new LogQuery.Filter("B", LogQuery.StatusClass.RATE_LIMITED, "gpt", 99L);
        assertThat(remote.queryRequests(filter, 200, 100)).containsExactlyElementsOf(stub.recentRequests(100));
        assertThat(remote.countRequests(filter)).isEqualTo(42);
        assertThat(remote.requestUsage(T.minusSeconds(3600), java.time.Duration.ofMinutes(15)))
                .containsExactly(new LogQuery.UsageBucket(T, "B", 3, 100, 10, 20, 5));
        assertThat(remote.requestUsageByClient(T.minusSeconds(3600), java.time.Duration.ofMinutes(30)))
                .containsExactly(new LogQuery.ClientBucket(T, "claude-code", 2, 100, 20));
        assertThat(calls).contains("page B RATE_LIMITED 200 100", "count RATE_LIMITED", "usage 15", "usage by client 30");
        assertThat(calls).doesNotContain("requests 10000");
    }

    @Test
    void theDaemonsPriceTableReachesTheCliAndTheTray() throws Exception {
        ApiPrices p = remote.apiPrices();
        assertThat(p.rates()).containsExactly(new ApiPrices.Rate("gpt-5*", 2.0, 0.2, 16.0, true));
        assertThat(p.costUsd("gpt-5-codex", 1_000_000L, 500_000L, 100_000L)).isCloseTo(2.7, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(calls).contains("prices");
    }

    @Test
    void aMalformedApiKeyBodyIsRefusedWithoutEchoingTheKey() throws Exception {
        var http = HttpClient.newHttpClient();
        String secret = "sk-do-not-echo-0123456789";
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/_relay/admin/accounts/api-key"))
                .header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"K\",\"priority\":\"" + secret + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("API-key account").doesNotContain(secret);
        assertThat(calls).isEmpty();
    }

    @Test
    void controlErrorsArriveWithTheirMessage() {
        assertThatThrownBy(() -> remote.removeAccount("missing"))
                .isInstanceOf(ControlException.class)
                .hasMessage("No account named 'missing'.");
    }
}
