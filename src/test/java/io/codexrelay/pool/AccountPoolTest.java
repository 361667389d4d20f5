package io.codexrelay.pool;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.account.Credentials;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.store.Database;
import io.codexrelay.store.RelayState;
import io.codexrelay.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AccountPoolTest {
    static final Instant T0 = Instant.parse("2030-01-01T10:00:00Z");
    @TempDir Path dir;
    Database db;
    AccountRepository repo;
    RelayState state;
    EventBus events = new EventBus();
    ManualClock clock = new ManualClock(T0);
    List<RelayEvent> seen = new CopyOnWriteArrayList<>();
    RelayConfig config = RelayConfig.fromValues(Map.of("pool.gate_wait_ms", 0L));
    AccountPool pool;

    @BeforeEach
    void setUp() throws Exception {
        db = new Database(dir.resolve("relay.db"));
        repo = new AccountRepository(db, clock);
        state = new RelayState(db);
        events.subscribe(RelayEvent.class, seen::add);
    }

    @AfterEach
    void tearDown() {
        if (pool != null) pool.close();
        events.close();
        db.close();
    }

    Account add(String name, int priority, boolean enabled) throws Exception {
        return repo.insert(new Account(0, name, Account.Kind.CHATGPT, enabled, priority, null,
                new Credentials.ChatGptTokens("id", "tok" + name, "r", "acc-" + name, T0), null, null, null, null, null));
    }

    AccountPool pool() throws Exception {
        pool = new AccountPool(repo, state, config, events, clock);
        return pool;
    }

    <T extends RelayEvent> List<T> eventsOf(Class<T> t) {
        events.drain();
        return seen.stream().filter(t::isInstance).map(t::cast).toList();
    }

    Lease lease(Set<String> exclude) throws Exception {
        var a = pool.acquire(RouteRequest.none(), exclude).get(5, TimeUnit.SECONDS);
        assertThat(a).isInstanceOf(Acquisition.Leased.class);
        return ((Acquisition.Leased) a).lease();
    }

    @Test
    void autoOrdersByPriorityThenNameAndSkipsDisabled() throws Exception {
        add("b", 5, true);
        add("a", 5, true);
        add("z", 1, true);
        add("off", 0, false);
        pool();
        assertThat(pool.candidates(RouteRequest.none())).extracting(Account::name).containsExactly("z", "a", "b");
        assertThat(pool.serving()).isEqualTo("z");
        assertThat(pool.runtime()).extracting(r -> r.account().name() + "=" + r.state())
                .containsExactly("off=disabled", "z=ready", "a=ready", "b=ready");
    }

    @Test
    void pinIsPersistedAndPutsThePinnedAccountFirst() throws Exception {
        add("A", 1, true);
        add("B", 2, true);
        pool();
        pool.pin("B");
        assertThat(pool.pinned()).isEqualTo("B");
        assertThat(pool.serving()).isEqualTo("B");
        assertThat(state.get(RelayState.PINNED_ACCOUNT)).contains("B");
        assertThat(eventsOf(RelayEvent.ModeChanged.class)).last().satisfies(e -> assertThat(e.pinned()).isEqualTo("B"));
        assertThat(eventsOf(RelayEvent.AccountSwitched.class)).last()
                .satisfies(e -> assertThat(e.to()).isEqualTo("B"));

        pool.close();
        assertThat(pool().pinned()).isEqualTo("B"); // survives a restart

        pool.auto();
        assertThat(pool.pinned()).isNull();
        assertThat(pool.serving()).isEqualTo("A");
        assertThat(state.get(RelayState.PINNED_ACCOUNT)).isEmpty();
    }

    @Test
    void pinningAnUnknownAccountSaysSo() throws Exception {
        add("A", 1, true);
        pool();
        assertThatThrownBy(() -> pool.pin("nope")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("No account named");
    }

    @Test
    void pinnedAccountThatRunsOutHandsOverAndComesBack() throws Exception {
        add("A", 1, true);
        add("B", 2, true);
        pool();
        pool.pin("B");
        Lease l = lease(Set.of());
        assertThat(l.name()).isEqualTo("B");
        l.close(new AttemptOutcome.Failed(FailureClass.QUOTA, T0.plusSeconds(600), "usage limit reached"));

        assertThat(pool.serving()).isEqualTo("A");
        assertThat(pool.pinned()).isEqualTo("B");
        var sw = eventsOf(RelayEvent.AccountSwitched.class);
        assertThat(sw).last().satisfies(e -> {
            assertThat(e.from()).isEqualTo("B");
            assertThat(e.to()).isEqualTo("A");
            assertThat(e.reason()).contains("B is out until 10:10").contains("usage limit reached");
        });
        assertThat(eventsOf(RelayEvent.AccountExhausted.class)).singleElement().satisfies(e -> assertThat(e.account()).isEqualTo("B"));

        clock.advance(Duration.ofSeconds(601));
        assertThat(pool.serving()).isEqualTo("B");
        assertThat(eventsOf(RelayEvent.AccountRecovered.class)).extracting(RelayEvent.AccountRecovered::account).containsExactly("B");
    }

    @Test
    void poolExhaustedAndEarliestReset() throws Exception {
        add("A", 1, true);
        add("B", 2, true);
        pool();
        lease(Set.of()).close(new AttemptOutcome.Failed(FailureClass.QUOTA, T0.plusSeconds(900), "q"));
        assertThat(pool.earliestReset()).isNull();
        lease(Set.of()).close(new AttemptOutcome.Failed(FailureClass.QUOTA, T0.plusSeconds(300), "q"));
        assertThat(pool.serving()).isNull();
        assertThat(pool.earliestReset()).isEqualTo(T0.plusSeconds(300));
        assertThat(eventsOf(RelayEvent.PoolExhausted.class)).singleElement()
                .satisfies(e -> assertThat(e.earliestReset()).isEqualTo(T0.plusSeconds(300)));
        var out = pool.acquire(RouteRequest.none(), Set.of()).get();
        assertThat(out).isEqualTo(new Acquisition.AllOut(T0.plusSeconds(300)));
    }

    @Test
    void noEnabledAccounts() throws Exception {
        add("off", 1, false);
        pool();
        assertThat(pool.acquire(RouteRequest.none(), Set.of()).get()).isInstanceOf(Acquisition.NoAccounts.class);
        assertThat(pool.serving()).isNull();
    }

    @Test
    void busyAccountsAreSkippedAfterTheWaitBudget() throws Exception {
        add("A", 1, true);
        add("B", 2, true);
        pool();
        Lease a1 = lease(Set.of());
        Lease a2 = lease(Set.of());
        assertThat(List.of(a1.name(), a2.name())).containsOnly("A");
        assertThat(pool.runtime().get(0).state()).isEqualTo("busy");
        assertThat(pool.runtime().get(0).inFlight()).isEqualTo(2);
        assertThat(lease(Set.of()).name()).isEqualTo("B");
        lease(Set.of());
        assertThat(pool.acquire(RouteRequest.none(), Set.of()).get()).isEqualTo(new Acquisition.AllBusy(2));
        a1.close(new AttemptOutcome.Answered(null));
        assertThat(lease(Set.of()).name()).isEqualTo("A");
        assertThat(pool.inFlight()).isEqualTo(4);
    }

    @Test
    void aPermitComesBackOnlyOnceTheLeasesUpstreamExchangeHasClosed() throws Exception {
        config = RelayConfig.fromValues(Map.of("pool.gate_wait_ms", 0L, "pool.chatgpt_max_concurrent", 1L));
        add("A", 1, true);
        pool();
        Lease l = lease(Set.of());
        var exchange = new java.util.concurrent.CompletableFuture<Void>();
        assertThat(l.use(exchange)).isTrue();

        // failed over: the outcome counts at once, but the aborted exchange still holds the account's only slot
        l.close(new AttemptOutcome.Failed(FailureClass.TRANSIENT, null, "502"));
        assertThat(pool.acquire(RouteRequest.none(), Set.of()).get()).isEqualTo(new Acquisition.AllBusy(1));
        assertThat(pool.runtime().get(0).inFlight()).isEqualTo(1);
        assertThat(l.idle()).isNotDone();

        exchange.complete(null);
        assertThat(pool.runtime().get(0).inFlight()).isZero();
        Lease next = lease(Set.of());
        assertThat(next.name()).isEqualTo("A");

        // a lease that has ended cannot be used for another exchange
        next.close(AttemptOutcome.ABANDONED);
        assertThat(next.use(new java.util.concurrent.CompletableFuture<Void>())).isFalse();
        assertThat(pool.runtime().get(0).inFlight()).isZero();
    }

    @Test
    void excludedAccountsAreNotOffered() throws Exception {
        add("A", 1, true);
        add("B", 2, true);
        pool();
        assertThat(lease(Set.of("A")).name()).isEqualTo("B");
    }

    @Test
    void reloadKeepsRuntimeStateOfUnchangedAccounts() throws Exception {
        Account a = add("A", 1, true);
        add("B", 2, true);
        pool();
        Lease held = lease(Set.of());
        lease(Set.of("A")).close(new AttemptOutcome.Failed(FailureClass.QUOTA, T0.plusSeconds(900), "q"));
        add("C", 3, true);
        repo.update(new Account(a.id(), "A", a.kind(), true, 1, 5, a.credentials(), null, null, null, null, null));
        pool.reload();
        var rt = pool.runtime();
        assertThat(rt).extracting(r -> r.account().name()).containsExactly("A", "B", "C");
        assertThat(rt.get(0).inFlight()).isEqualTo(1);
        assertThat(rt.get(0).maxConcurrent()).isEqualTo(5);
        assertThat(rt.get(1).state()).isEqualTo("exhausted");
        held.close(new AttemptOutcome.Answered(null));
        assertThat(pool.runtime().get(0).inFlight()).isZero();

        repo.delete("B");
        pool.pin("C");
        repo.delete("C");
        pool.reload();
        assertThat(pool.runtime()).extracting(r -> r.account().name()).containsExactly("A");
        assertThat(pool.pinned()).isNull();
    }

    @Test
    void newCredentialsLiftARelogin() throws Exception {
        Account a = add("A", 1, true);
        pool();
        lease(Set.of()).close(new AttemptOutcome.Failed(FailureClass.AUTH, null, "401"));
        assertThat(pool.runtime().get(0).state()).isEqualTo("relogin");
        assertThat(eventsOf(RelayEvent.ReloginNeeded.class)).hasSize(1);
        repo.updateCredentials(a.id(), new Credentials.ChatGptTokens("id", "fresh", "r2", "acc-A", T0));
        pool.reload();
        assertThat(pool.runtime().get(0).state()).isEqualTo("ready");
    }

    @Test
    void pausedIsPersisted() throws Exception {
        add("A", 1, true);
        pool();
        pool.setPaused(true);
        assertThat(pool.paused()).isTrue();
        pool.close();
        assertThat(pool().paused()).isTrue();
        pool.setPaused(false);
        assertThat(state.get(RelayState.PAUSED)).contains("false");
    }

    @Test
    void routingPolicyIsASeam() throws Exception {
        add("A", 1, true);
        add("B", 2, true);
        pool();
        pool.setRoutingPolicy((usable, req) -> usable.stream().sorted(AccountPool.DISPLAY_ORDER_RUNTIME.reversed()).toList());
        assertThat(pool.serving()).isEqualTo("B");
        assertThat(eventsOf(RelayEvent.AccountSwitched.class)).last().satisfies(e -> assertThat(e.to()).isEqualTo("B"));
    }

    @Test
    void configChangesTheDefaultLimitLive() throws Exception {
        add("A", 1, true);
        pool();
        lease(Set.of());
        lease(Set.of());
        assertThat(pool.acquire(RouteRequest.none(), Set.of()).get()).isInstanceOf(Acquisition.AllBusy.class);
        pool.applyConfig(config.with(Map.of("pool.chatgpt_max_concurrent", 3L)));
        assertThat(lease(Set.of()).name()).isEqualTo("A");
        assertThat(pool.runtime().get(0).maxConcurrent()).isEqualTo(3);
    }

    @Test
    void aLeaseClosedWithItsOutcomeUpdatesQuotaCooldownAndAffinityInOneCall() throws Exception {
        Account a = add("A", 1, true);
        Account b = add("B", 2, true);
        QuotaTracker tracker = new QuotaTracker(null, null, clock, Runnable::run);
        Affinity affinity = new Affinity(null, clock, Duration.ofHours(1), Runnable::run);
        pool = new AccountPool(repo, state, config, events, clock, RoutingPolicy.PRIORITY, tracker, affinity);

        Lease onA = lease(Set.of());
        assertThat(onA.name()).isEqualTo("A");
        onA.close(new AttemptOutcome.Failed(FailureClass.QUOTA, T0.plusSeconds(600), "usage limit reached",
                "usage_limit_reached", "plus", null));

        assertThat(tracker.current(a.id())).isNotNull();
        assertThat(pool.quota("A")).isNotNull();
        assertThat(pool.runtime()).filteredOn(r -> r.account().name().equals("A"))
                .singleElement().satisfies(r -> assertThat(r.state()).isEqualTo("exhausted"));
        assertThat(affinity.lookup("thread-1")).isEmpty();

        Lease onB = lease(Set.of());
        assertThat(onB.name()).isEqualTo("B");
        onB.close(new AttemptOutcome.Answered("thread-1"));
        assertThat(affinity.lookup("thread-1")).hasValue(b.id());

        Lease abandoned = lease(Set.of());
        abandoned.close(new AttemptOutcome.Abandoned(null));
        abandoned.close(new AttemptOutcome.Answered("thread-2")); // only the first outcome counts
        assertThat(affinity.lookup("thread-2")).isEmpty();
    }

    @Test
    void aBoundClientKeyGoesToItsAccountFirstAndStrictOnlyThere() throws Exception {
        add("a", 1, true);
        add("b", 2, true);
        add("c", 3, true);
        pool();
        pool.pin("a");
        // the relay's key table (proxy.ClientKeys, which replaced ClientBindings) turns a key into the pool's RouteRequest
        var keys = new io.codexrelay.proxy.ClientKeys(null);
        keys.replace(List.of(
                new io.codexrelay.proxy.ClientKeys.Key("home:proj", io.codexrelay.config.ClientKey.hashOf("crk_home_b_key_0000000000000000000000"), "b", false, null, null),
                new io.codexrelay.proxy.ClientKeys.Key("home:strict", io.codexrelay.config.ClientKey.hashOf("crk_home_c_key_0000000000000000000000"), "c", true, null, null)));
        assertThat(pool.candidates(RouteRequest.none())).extracting(Account::name).containsExactly("a", "b", "c");
        RouteRequest bound = keys.find("crk_home_b_key_0000000000000000000000").route(null, null, null);
        assertThat(pool.candidates(bound)).extracting(Account::name).containsExactly("b", "a", "c");
        RouteRequest strict = keys.find("crk_home_c_key_0000000000000000000000").route(null, null, null);
        assertThat(pool.candidates(strict)).extracting(Account::name).containsExactly("c");
        assertThat(keys.find("crk_someone_else")).isNull();
        assertThat(keys.knows("crk_home_b_key_0000000000000000000000")).isTrue();
        assertThat(keys.knows(null)).isFalse();
        keys.replace(List.of());
        assertThat(keys.knows("crk_home_b_key_0000000000000000000000")).isFalse();
    }
}
