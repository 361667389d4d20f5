package io.codexrelay.proxy;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.account.Credentials;
import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.store.Database;
import io.codexrelay.store.RelayState;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.ManualClock;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/** A relay on a random port in front of a {@link FakeUpstream}, with a database in a temp dir and a manual clock. */
final class RelayHarness implements AutoCloseable {
    static final Instant T0 = Instant.parse("2030-01-01T10:00:00Z");

    final FakeUpstream fake;
    final Database db;
    final AccountRepository repo;
    final RelayState state;
    final EventBus events = new EventBus();
    final ManualClock clock = new ManualClock(T0);
    final List<RelayEvent> seen = new CopyOnWriteArrayList<>();
    final ClientKey key;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    RelayConfig config;
    AccountPool pool;
    RelayServer relay;

    RelayHarness(Path dir) throws Exception {
        fake = new FakeUpstream();
        db = new Database(dir.resolve("relay.db"));
        repo = new AccountRepository(db, clock);
        state = new RelayState(db);
        key = ClientKey.loadOrCreate(new RelayHome(dir));
        events.subscribe(RelayEvent.class, seen::add);
        config = config(Map.of());
    }

    RelayConfig config(Map<String, Object> extra) {
        Map<String, Object> v = new HashMap<>();
        v.put("server.port", 0L);
        v.put("upstream.chatgpt_base_url", fake.chatgptBaseUrl());
        v.put("upstream.default_api_base_url", fake.apiBaseUrl());
        v.put("upstream.connect_timeout_ms", 2000L);
        v.put("upstream.first_byte_timeout_ms", 10_000L);
        v.put("upstream.idle_timeout_ms", 10_000L);
        v.put("pool.gate_wait_ms", 1000L);
        v.putAll(extra);
        return RelayConfig.fromValues(v);
    }

    RelayHarness withConfig(Map<String, Object> extra) {
        config = config(extra);
        return this;
    }

    Account chatgpt(String name, int priority, Integer maxConcurrent) throws Exception {
        return repo.insert(new Account(0, name, Account.Kind.CHATGPT, true, priority, maxConcurrent,
                new Credentials.ChatGptTokens("id-" + name, "tok" + name, "refresh-" + name, "acc-" + name, T0),
                name.toLowerCase() + "@example.com", "plus", null, null, null));
    }

    Account apiKey(String name, int priority, String baseUrl, Integer maxConcurrent) throws Exception {
        return repo.insert(new Account(0, name, Account.Kind.API_KEY, true, priority, maxConcurrent,
                new Credentials.ApiKey("sk-" + name, baseUrl), null, null, null, null, null));
    }

    RelayHarness start() throws Exception {
        pool = new AccountPool(repo, state, config, events, clock);
        relay = new RelayServer(config, pool, events, key, clock);
        return this;
    }

    RelayHarness startServer() throws Exception {
        if (pool == null) start();
        relay.start();
        return this;
    }

    URI uri(String path) { return URI.create("http://127.0.0.1:" + relay.port() + path); }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
    }

    /** A Codex-like POST with the client key. */
    HttpRequest.Builder codexPost(String path, String body) {
        return request(path)
                .header("content-type", "application/json")
                .header("accept", "text/event-stream")
                .header(ClientKey.HEADER, key.value())
                .header("authorization", "Bearer codex-own-token")
                .header("session-id", "sess-1")
                .header("accept-encoding", "gzip, br")
                .header("originator", "codex_exec")
                .header("user-agent", "codex_exec/0.169.0 (Linux; x86_64)")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return send(codexPost("/v1/responses", body));
    }

    static String body(String model) {
        return "{\"model\":\"" + model + "\",\"stream\":true,\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":"
                + "[{\"type\":\"input_text\",\"text\":\"héllo  \\u00e9 \\\"quoted\\\"\"}]}],\"store\":false}";
    }

    /** The finished-request records published so far (after delivering pending events). */
    List<FinishedRequest> records() {
        events.drain();
        List<FinishedRequest> out = new ArrayList<>();
        for (RelayEvent e : seen) if (e instanceof RelayEvent.RequestFinished f) out.add(f.record());
        return out;
    }

    <T extends RelayEvent> List<T> eventsOf(Class<T> type) {
        events.drain();
        List<T> out = new ArrayList<>();
        for (RelayEvent e : seen) if (type.isInstance(e)) out.add(type.cast(e));
        return out;
    }

    /** Waits until the condition holds (for things that happen on other threads); fails after {@code max}. */
    static void await(String what, Duration max, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for: " + what);
            Thread.sleep(10);
        }
    }

    /** Waits until the relay recorded {@code n} finished requests. */
    List<FinishedRequest> awaitRecords(int n) throws InterruptedException {
        await(n + " finished request(s)", Duration.ofSeconds(10), () -> records().size() >= n);
        return records();
    }

    @Override
    public void close() throws Exception {
        if (relay != null) relay.close();
        if (pool != null) pool.close();
        events.close();
        db.close();
        fake.close();
    }
}
