package io.codexrelay.pool;

import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.store.Database;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.ManualClock;
import io.codexrelay.testing.TestAccounts;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuotaTrackerTest {
    static final long T0 = 1_800_000_000L;

    @TempDir Path dir;
    ManualClock clock = new ManualClock(Instant.ofEpochSecond(T0));
    Database db;
    EventBus bus;
    List<RelayEvent.QuotaChanged> changes = new CopyOnWriteArrayList<>();
    QuotaTracker tracker;
    Account a;

    @BeforeEach
    void setUp() throws Exception {
        db = new Database(dir.resolve("relay.db"));
        bus = new EventBus();
        bus.subscribe(RelayEvent.QuotaChanged.class, changes::add);
        tracker = new QuotaTracker(db, bus, clock, Runnable::run);
        a = new AccountRepository(db, clock).insert(TestAccounts.chatgpt("plus-1", 100, "tok-a", "ref-a", "acct-a"));
    }

    @AfterEach
    void tearDown() {
        bus.close();
        db.close();
    }

    @Test
    void headersUpdateTheSnapshotAndPublishQuotaChanged() {
        tracker.recordHeaders(a, FakeUpstream.quotaHeaders(42.5, 10, T0 + 3600, T0 + 86_400));
        bus.drain();

        QuotaSnapshot s = tracker.current(a.id());
        assertThat(s.primary()).isEqualTo(new QuotaWindow(42.5, 300, Instant.ofEpochSecond(T0 + 3600)));
        assertThat(s.secondary()).isEqualTo(new QuotaWindow(10, 10080, Instant.ofEpochSecond(T0 + 86_400)));
        assertThat(s.hasCredits()).isFalse();
        assertThat(s.unlimitedCredits()).isFalse();
        assertThat(s.creditBalance()).isEqualTo("0");
        assertThat(s.source()).isEqualTo("headers");
        assertThat(s.observedAt()).isEqualTo(clock.instant());
        assertThat(changes).hasSize(1);
        assertThat(changes.get(0).account()).isEqualTo("plus-1");
        assertThat(changes.get(0).quota().primary().usedPercent()).isEqualTo(42.5);
    }

    @Test
    void jettyHeadersAreReadCaseInsensitivelyAndUnchangedQuotaPublishesNothingNew() {
        HttpFields h = HttpFields.build().put("X-Codex-Primary-Used-Percent", "7").put("x-codex-primary-window-minutes", "300")
                .put("X-CODEX-PRIMARY-RESET-AT", Long.toString(T0 + 100));
        tracker.recordHeaders(a, h);
        clock.advance(Duration.ofSeconds(5));
        tracker.recordHeaders(a, h);
        bus.drain();

        assertThat(tracker.current(a.id()).primary()).isEqualTo(new QuotaWindow(7, 300, Instant.ofEpochSecond(T0 + 100)));
        assertThat(tracker.current(a.id()).secondary()).isNull();
        assertThat(changes).hasSize(1);
    }

    @Test
    void answersWithoutQuotaHeadersChangeNothing() {
        tracker.recordHeaders(a, Map.of("content-type", "text/event-stream"));
        assertThat(tracker.current(a.id())).isNull();
        assertThat(QuotaTracker.parseHeaders(Map.of("x-codex-primary-used-percent", "garbage"), clock.instant())).isEmpty();
    }

    @Test
    void parsesTheUsageEndpointAnswer() {
        QuotaSnapshot s = QuotaTracker.parseUsageJson(FakeUpstream.usageBody("pro", 42, 10, T0 + 3600, T0 + 86_400), clock.instant());
        assertThat(s.planType()).isEqualTo("pro");
        assertThat(s.primary()).isEqualTo(new QuotaWindow(42, 300, Instant.ofEpochSecond(T0 + 3600)));
        assertThat(s.secondary()).isEqualTo(new QuotaWindow(10, 10080, Instant.ofEpochSecond(T0 + 86_400)));
        assertThat(s.hasCredits()).isFalse();
        assertThat(s.creditBalance()).isEqualTo("0");
        assertThat(s.source()).isEqualTo("poll");

        QuotaSnapshot noReset = QuotaTracker.parseUsageJson("{\"plan_type\":\"plus\",\"rate_limit\":{\"primary_window\":"
                + "{\"used_percent\":5,\"limit_window_seconds\":18000,\"reset_after_seconds\":600},\"secondary_window\":null},"
                + "\"credits\":null}", clock.instant());
        assertThat(noReset.primary().resetsAt()).isEqualTo(Instant.ofEpochSecond(T0 + 600));
        assertThat(noReset.secondary()).isNull();
        assertThat(noReset.hasCredits()).isNull();

        assertThatThrownBy(() -> QuotaTracker.parseUsageJson("<html>", clock.instant())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void usageLimitMarksTheWindowItNamesAsFull() {
        tracker.recordHeaders(a, FakeUpstream.quotaHeaders(60, 97, T0 + 3600, T0 + 5 * 86_400));
        // resets with the weekly window: the weekly window is out, the 5-hour one keeps its reading
        tracker.recordUsageLimit(a, new QuotaTracker.UsageLimit(Instant.ofEpochSecond(T0 + 5 * 86_400 + 30), "plus"));
        QuotaSnapshot s = tracker.current(a.id());
        assertThat(s.secondary().usedPercent()).isEqualTo(100);
        assertThat(s.primary().usedPercent()).isEqualTo(60);
        assertThat(s.source()).isEqualTo("error");
        assertThat(QuotaTracker.exhaustedUntil(s, clock.instant())).contains(Instant.ofEpochSecond(T0 + 5 * 86_400 + 30));

        // without a known window, a reset within 5 hours is the 5-hour window's
        Account b = new Account(99, "b", Account.Kind.CHATGPT, true, 1, null, null, null, null, null, null, null);
        tracker.recordUsageLimit(b, new QuotaTracker.UsageLimit(Instant.ofEpochSecond(T0 + 1800), "plus"));
        assertThat(tracker.current(99).primary()).isEqualTo(new QuotaWindow(100, 300, Instant.ofEpochSecond(T0 + 1800)));
        assertThat(tracker.current(99).secondary()).isNull();
    }

    @Test
    void quotaErrorWithoutResetIsOutForAnHour() {
        tracker.recordQuotaError(a, "insufficient_quota");
        QuotaSnapshot s = tracker.current(a.id());
        assertThat(s.primary().usedPercent()).isEqualTo(100);
        assertThat(QuotaTracker.exhaustedUntil(s, clock.instant())).contains(clock.instant().plus(Duration.ofHours(1)));
    }

    @Test
    void freshestObservationWinsWithinTheSameWindowPeriod() {
        tracker.recordHeaders(a, FakeUpstream.quotaHeaders(40, 10, T0 + 3600, T0 + 86_400));
        clock.advance(Duration.ofMinutes(1));
        tracker.update(a, QuotaTracker.parseUsageJson(FakeUpstream.usageBody("plus", 45, 11, T0 + 3630, T0 + 86_400), clock.instant()));
        assertThat(tracker.current(a.id()).primary().usedPercent()).isEqualTo(45);
        assertThat(tracker.current(a.id()).planType()).isEqualTo("plus");

        // an older observation arriving late does not overwrite
        QuotaSnapshot old = QuotaTracker.parseHeaders(FakeUpstream.quotaHeaders(41, 10, T0 + 3600, T0 + 86_400),
                clock.instant().minusSeconds(30)).orElseThrow();
        tracker.update(a, old);
        assertThat(tracker.current(a.id()).primary().usedPercent()).isEqualTo(45);
        assertThat(tracker.current(a.id()).source()).isEqualTo("poll");
    }

    @Test
    void aLaggingPollAfterAResetDoesNotBringBackTheOldWindow() {
        // the live headers already show the new 5-hour period
        clock.set(Instant.ofEpochSecond(T0 + 4000));
        tracker.recordHeaders(a, FakeUpstream.quotaHeaders(3, 50, T0 + 4000 + 18_000, T0 + 86_400));
        clock.advance(Duration.ofSeconds(10));
        // the poll still reports the finished period at 100 %
        tracker.update(a, QuotaTracker.parseUsageJson(FakeUpstream.usageBody("plus", 100, 51, T0 + 3600, T0 + 86_400), clock.instant()));

        QuotaSnapshot s = tracker.current(a.id());
        assertThat(s.primary().usedPercent()).isEqualTo(3);
        assertThat(s.secondary().usedPercent()).isEqualTo(51); // same weekly period: the fresher poll wins
        assertThat(QuotaTracker.exhaustedUntil(s, clock.instant())).isEmpty();
    }

    @Test
    void aWindowWhoseResetPassedShowsAsReset() {
        tracker.recordHeaders(a, FakeUpstream.quotaHeaders(100, 30, T0 + 600, T0 + 86_400));
        assertThat(QuotaTracker.exhaustedUntil(tracker.current(a.id()), clock.instant())).contains(Instant.ofEpochSecond(T0 + 600));

        clock.advance(Duration.ofSeconds(601));
        QuotaSnapshot s = tracker.current(a.id());
        assertThat(s.primary().usedPercent()).isZero();
        assertThat(s.primary().resetsAt()).isNull();
        assertThat(s.primary().windowMinutes()).isEqualTo(300);
        assertThat(s.secondary().usedPercent()).isEqualTo(30);
        assertThat(QuotaTracker.exhaustedUntil(s, clock.instant())).isEmpty();
        assertThat(tracker.raw(a.id()).primary().usedPercent()).isEqualTo(100); // kept until verified
    }

    @Test
    void creditsKeepAnAccountServingAtFullWindow() {
        Map<String, String> h = new java.util.HashMap<>(FakeUpstream.quotaHeaders(100, 30, T0 + 600, T0 + 86_400));
        h.put("x-codex-credits-has-credits", "true");
        tracker.recordHeaders(a, h);
        assertThat(QuotaTracker.exhaustedUntil(tracker.current(a.id()), clock.instant())).isEmpty();
    }

    @Test
    void snapshotsSurviveARestart() throws Exception {
        tracker.recordHeaders(a, FakeUpstream.quotaHeaders(42, 10, T0 + 3600, T0 + 86_400));
        tracker.recordUsageLimit(a, new QuotaTracker.UsageLimit(Instant.ofEpochSecond(T0 + 3600), "pro"));

        QuotaTracker again = new QuotaTracker(db, null, clock, Runnable::run);
        again.load();
        assertThat(again.raw(a.id())).isEqualTo(tracker.raw(a.id()));
        assertThat(again.current(a.id()).primary().usedPercent()).isEqualTo(100);
        assertThat(again.current(a.id()).planType()).isEqualTo("pro");
    }

    @Test
    void aRemovedAccountLeavesNoStoredQuota() throws Exception {
        tracker.recordHeaders(a, FakeUpstream.quotaHeaders(42, 10, T0 + 3600, T0 + 86_400));
        new AccountRepository(db, clock).delete("plus-1");
        QuotaTracker again = new QuotaTracker(db, null, clock, Runnable::run);
        again.load();
        assertThat(again.all()).isEmpty();
        // writing for a vanished account is ignored quietly
        tracker.recordHeaders(a, FakeUpstream.quotaHeaders(50, 10, T0 + 3600, T0 + 86_400));
        again.load();
        assertThat(again.all()).isEmpty();
    }

    @Test
    void sameWindowAgreesWithTheRecordsEqualsOnEveryComponent() {
        // sameWindow spells QuotaWindow's equals out by hand (speed); a component added to the record must be added there.
        assertThat(QuotaWindow.class.getRecordComponents()).extracting(java.lang.reflect.RecordComponent::getName)
                .as("QuotaTracker.sameWindow compares exactly these; update it with the record")
                .containsExactly("usedPercent", "windowMinutes", "resetsAt");
        Instant t = Instant.parse("2026-12-03T10:00:00Z");
        List<QuotaWindow> all = new java.util.ArrayList<>();
        all.add(null);
        for (double used : new double[] {0, 42.5, 100, -0.0, Double.NaN}) {
            for (Integer minutes : new Integer[] {null, 300, 10_080}) {
                for (Instant resets : new Instant[] {null, t, t.plusSeconds(1)}) all.add(new QuotaWindow(used, minutes, resets));
            }
        }
        for (QuotaWindow a : all) {
            for (QuotaWindow b : all) {
                // fresh copies, so that equal values are never the same object
                QuotaWindow b2 = b == null ? null : new QuotaWindow(b.usedPercent(), b.windowMinutes() == null ? null
                        : Integer.valueOf(b.windowMinutes().intValue() + 0), b.resetsAt() == null ? null : Instant.ofEpochSecond(b.resetsAt().getEpochSecond()));
                assertThat(QuotaTracker.sameWindow(a, b2)).as("%s vs %s", a, b2).isEqualTo(java.util.Objects.equals(a, b2));
            }
        }
    }
}
