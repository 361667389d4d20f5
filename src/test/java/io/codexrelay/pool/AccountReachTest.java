package io.codexrelay.pool;

import com.sun.net.httpserver.HttpServer;
import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.account.BalanceSource;
import io.codexrelay.account.ClientKind;
import io.codexrelay.account.Credentials;
import io.codexrelay.account.Wire;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.store.Database;
import io.codexrelay.store.RelayState;
import io.codexrelay.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 12's per-account reach: client restriction (routing by the request's path), health probes (an unhealthy
 * account is skipped while another can serve) and balance polls (into the quota view; a failed poll changes nothing).
 * The probed "provider" is a JDK HTTP server on loopback whose status and body each test sets.
 */
class AccountReachTest {
    static final Instant T0 = Instant.parse("2030-01-01T10:00:00Z");
    @TempDir Path dir;
    Database db;
    AccountRepository repo;
    EventBus events = new EventBus();
    ManualClock clock = new ManualClock(T0);
    AccountPool pool;
    HttpServer provider;
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    HttpClient http = HttpClient.newHttpClient();
    /** path -> status and body the provider answers. */
    final Map<String, Object[]> answers = new ConcurrentHashMap<>();
    final List<String> seenAuth = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        db = new Database(dir.resolve("relay.db"));
        repo = new AccountRepository(db, clock);
        provider = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        provider.createContext("/", ex -> {
            String auth = ex.getRequestHeaders().getFirst("authorization");
            seenAuth.add(ex.getRequestURI().getPath() + " " + (auth != null ? auth : "x-api-key " + ex.getRequestHeaders().getFirst("x-api-key")));
            Object[] a = answers.getOrDefault(ex.getRequestURI().getPath(), new Object[] {404, "{}"});
            byte[] body = ((String) a[1]).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders((Integer) a[0], body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        provider.start();
    }

    @AfterEach
    void tearDown() {
        if (pool != null) pool.close();
        provider.stop(0);
        scheduler.shutdownNow();
        events.close();
        db.close();
    }

    String base() { return "http://127.0.0.1:" + provider.getAddress().getPort() + "/v1"; }

    Account key(String name, int priority, Wire wire) throws Exception {
        return repo.insert(new Account(0, name, Account.Kind.API_KEY, true, priority, null,
                new Credentials.ApiKey("sk-" + name, base(), wire, List.of()), null, null, null, null, null));
    }

    AccountPool pool() throws Exception {
        pool = new AccountPool(repo, new RelayState(db), RelayConfig.fromValues(Map.of("pool.gate_wait_ms", 0L)), events, clock);
        return pool;
    }

    List<String> order(String path) {
        return pool.candidates(new RouteRequest(null, "gpt-5", path)).stream().map(Account::name).toList();
    }

    @Test
    void anAccountKeptForSomeToolsIsSkippedForOthersAndTheRestrictionIsStored() throws Exception {
        Account codexOnly = key("codex-only", 1, Wire.CHAT);
        key("anyone", 2, Wire.CHAT);
        Account claudeOnly = key("claude-only", 3, Wire.ANTHROPIC);
        repo.setClients(codexOnly.id(), Set.of(ClientKind.CODEX));
        repo.setClients(claudeOnly.id(), ClientKind.parseList(List.of("claude,chat")));
        // a later update through the short constructor (priority change) keeps the restriction
        Account stored = repo.findByName("codex-only").orElseThrow();
        repo.update(new Account(stored.id(), stored.name(), stored.kind(), true, 0, null, stored.credentials(), null, null,
                null, stored.createdAt(), stored.updatedAt()));
        assertThat(repo.findByName("codex-only").orElseThrow().clients()).containsExactly(ClientKind.CODEX);
        pool();

        assertThat(order("/v1/responses")).containsExactly("codex-only", "anyone");
        assertThat(order("/backend-api/codex/responses")).containsExactly("codex-only", "anyone");
        assertThat(order("/v1/messages")).containsExactly("anyone", "claude-only");
        assertThat(order("/v1/chat/completions")).containsExactly("anyone", "claude-only");

        repo.setClients(codexOnly.id(), Set.of());
        pool.reload();
        assertThat(order("/v1/messages")).containsExactly("codex-only", "anyone", "claude-only");
    }

    @Test
    void clientListsParseAliasesAndRefuseUnknownNamesWithWhatToWrite() {
        assertThat(ClientKind.parseList(List.of("responses, anthropic"))).containsExactlyInAnyOrder(ClientKind.CODEX, ClientKind.CLAUDE);
        assertThat(ClientKind.parseList(List.of("openai"))).containsExactly(ClientKind.CHAT);
        assertThat(ClientKind.parseList(List.of("codex,claude,chat"))).isEmpty(); // every tool = no restriction
        assertThat(ClientKind.parseList(List.of("all"))).isEmpty();
        assertThatThrownBy(() -> ClientKind.parseList(List.of("codex,cursor")))
                .hasMessageContaining("unknown client 'cursor'").hasMessageContaining("codex, claude or chat");
    }

    @Test
    void aFailedProbeMakesTheAccountUnhealthySkippedWhileAnotherCanServeAndAPassingProbeBringsItBack() throws Exception {
        key("deepseek", 1, Wire.CHAT);
        key("claude", 2, Wire.ANTHROPIC);
        pool();
        var probes = new HealthProbes(() -> accounts(), pool, http, scheduler, clock, Duration.ofSeconds(5));
        answers.put("/v1/models", new Object[] {503, "{\"error\":\"down\"}"});

        var outcomes = probes.probeAll().get(10, TimeUnit.SECONDS);

        assertThat(outcomes).extracting(HealthProbes.Outcome::healthy).containsExactly(false, false);
        assertThat(seenAuth).contains("/v1/models Bearer sk-deepseek", "/v1/models x-api-key sk-claude");
        var state = pool.runtime().stream().filter(r -> r.account().name().equals("deepseek")).findFirst().orElseThrow();
        assertThat(state.state()).isEqualTo("unhealthy");
        assertThat(state.reason()).isEqualTo("probe answered HTTP 503");
        // both unhealthy: still the last resort, in their usual order
        assertThat(order("/v1/responses")).containsExactly("deepseek", "claude");

        answers.put("/v1/models", new Object[] {200, "{\"data\":[]}"});
        assertThat(probes.probe(repo.findByName("claude").orElseThrow()).get(10, TimeUnit.SECONDS).healthy()).isTrue();
        assertThat(order("/v1/responses")).containsExactly("claude", "deepseek");
        assertThat(pool.serving()).isEqualTo("claude");

        // backoff: the second failure waits twice as long as the first
        answers.put("/v1/models", new Object[] {503, "{}"});
        Account deepseek = repo.findByName("deepseek").orElseThrow();
        probes.probe(deepseek).get(10, TimeUnit.SECONDS);
        assertThat(probes.nextProbe("deepseek")).isEqualTo(T0.plus(HealthProbes.FIRST_RETRY.multipliedBy(2)));
        answers.put("/v1/models", new Object[] {404, "not here"}); // a provider without /models is up
        assertThat(probes.probe(deepseek).get(10, TimeUnit.SECONDS).healthy()).isTrue();
        assertThat(pool.health().isUnhealthy("deepseek")).isFalse();
        assertThat(probes.nextProbe("deepseek")).isEqualTo(T0.plus(HealthProbes.HEALTHY_INTERVAL));
    }

    @Test
    void aRefusedKeyOrNoConnectionIsUnhealthyAndResponsesAccountsAreNotProbed() throws Exception {
        key("refused", 1, Wire.CHAT);
        repo.insert(new Account(0, "openai", Account.Kind.API_KEY, true, 2, null,
                new Credentials.ApiKey("sk-o", "http://127.0.0.1:1/v1"), null, null, null, null, null));
        Account gone = repo.insert(new Account(0, "gone", Account.Kind.API_KEY, true, 3, null,
                new Credentials.ApiKey("sk-g", "http://127.0.0.1:1/v1", Wire.ANTHROPIC, List.of()), null, null, null, null, null));
        pool();
        answers.put("/v1/models", new Object[] {401, "{\"error\":{\"message\":\"bad key\"}}"});
        var probes = new HealthProbes(() -> accounts(), pool, http, scheduler, clock, Duration.ofSeconds(5));

        var outcomes = probes.probeAll().get(10, TimeUnit.SECONDS);

        assertThat(outcomes).extracting(HealthProbes.Outcome::account).containsExactly("refused", "gone");
        assertThat(outcomes.get(0).detail()).isEqualTo("probe refused the key (HTTP 401)");
        assertThat(outcomes.get(1).detail()).startsWith("probe failed:");
        assertThat(outcomes.get(1).detail()).doesNotContain("sk-g");
        assertThat(order("/v1/responses")).containsExactly("openai", "refused", "gone");
        assertThat(pool.health().isUnhealthy(gone.name())).isTrue();
    }

    @Test
    void aBalancePollFeedsTheQuotaViewAndAFailedPollChangesNothing() throws Exception {
        Account deepseek = key("deepseek", 1, Wire.CHAT);
        repo.setBalanceSource(deepseek.id(), new BalanceSource(base() + "/user/balance", "balance_infos[0].total_balance",
                null, Duration.ofMinutes(5)));
        Account router = key("router", 2, Wire.CHAT);
        repo.setBalanceSource(router.id(), new BalanceSource(base() + "/key", "data.limit_remaining", "data.limit", null));
        var tracker = new QuotaTracker(db, events, clock, Runnable::run);
        var balances = new BalancePoller(() -> accounts(), tracker, http, scheduler, clock, Duration.ofSeconds(5));
        answers.put("/v1/user/balance", new Object[] {200,
                "{\"is_available\":true,\"balance_infos\":[{\"currency\":\"CNY\",\"total_balance\":\"110.50\"}]}"});
        answers.put("/v1/key", new Object[] {200, "{\"data\":{\"limit\":20,\"limit_remaining\":5}}"});

        var outcomes = balances.pollAll().get(10, TimeUnit.SECONDS);

        assertThat(outcomes).allMatch(BalancePoller.Outcome::ok);
        assertThat(seenAuth).contains("/v1/user/balance Bearer sk-deepseek");
        QuotaSnapshot ds = tracker.current(deepseek.id());
        assertThat(ds.creditBalance()).isEqualTo("110.5");
        assertThat(ds.primary()).isNull();
        assertThat(ds.source()).isEqualTo("balance");
        QuotaSnapshot or = tracker.current(router.id());
        assertThat(or.primary().usedPercent()).isEqualTo(75.0);
        assertThat(QuotaTracker.exhaustedUntil(or, T0)).isEmpty();

        // the service is down or answers something else: the reading stays as it was
        answers.put("/v1/key", new Object[] {500, "oops"});
        answers.put("/v1/user/balance", new Object[] {200, "{\"balance_infos\":[]}"});
        var failed = balances.pollAll().get(10, TimeUnit.SECONDS);
        assertThat(failed).noneMatch(BalancePoller.Outcome::ok);
        assertThat(failed).extracting(BalancePoller.Outcome::detail)
                .containsExactly("no number at 'balance_infos[0].total_balance' in the answer", "HTTP 500");
        assertThat(tracker.current(router.id()).primary().usedPercent()).isEqualTo(75.0);
        assertThat(tracker.current(deepseek.id()).creditBalance()).isEqualTo("110.5");

        // an empty balance puts the account out like a full window
        answers.put("/v1/key", new Object[] {200, "{\"data\":{\"limit\":20,\"limit_remaining\":0}}"});
        balances.poll(repo.findByName("router").orElseThrow()).get(10, TimeUnit.SECONDS);
        assertThat(QuotaTracker.exhaustedUntil(tracker.current(router.id()), T0)).isPresent();
        assertThat(balances.last("router").remaining()).isEqualByComparingTo(BigDecimal.ZERO);
    }

    @Test
    void aBalanceSourceSaysWhatToWriteWhenItIsMalformed() {
        assertThatThrownBy(() -> new BalanceSource("ftp://x/balance", "a", null, null)).hasMessageContaining("http(s) URL");
        assertThatThrownBy(() -> new BalanceSource("https://x/balance", "data..x", null, null))
                .hasMessageContaining("must be names separated by dots");
        assertThatThrownBy(() -> new BalanceSource("https://x/balance", " ", null, null)).hasMessageContaining("--balance-path");
        assertThatThrownBy(() -> new BalanceSource("https://x/b", "a", null, Duration.ofSeconds(5))).hasMessageContaining("30 seconds");
    }

    private List<Account> accounts() {
        try {
            return repo.list();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
