package io.codexrelay.ui;

import io.codexrelay.app.Pace;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;
import io.codexrelay.events.RelayEvent.AccountExhausted;
import io.codexrelay.events.RelayEvent.AccountSwitched;
import io.codexrelay.events.RelayEvent.PoolExhausted;
import io.codexrelay.events.RelayEvent.QuotaChanged;
import io.codexrelay.testing.ManualClock;
import io.codexrelay.ui.Notifier.Notification;
import org.junit.jupiter.api.Test;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One moment, one notification; its icon shows the state it reports (issue 15). */
class NotifierOneEventTest {
    static final Instant NOW = Instant.parse("2026-03-10T12:00:00Z");
    record Shown(Notification note, IconState icon) {}

    final ManualClock clock = new ManualClock(NOW);
    final List<Shown> shown = new ArrayList<>();
    final List<Runnable> queued = new ArrayList<>();
    final Notifier n = new Notifier(new Notifier.Sink() {
        @Override public void show(Notification note) { show(note, null); }
        @Override public void show(Notification note, IconState icon) { shown.add(new Shown(note, icon)); }
    }, clock, ZoneOffset.UTC, (task, delay) -> queued.add(task), () -> Notifier.Prefs.ALL);

    void tick() {
        var tasks = new ArrayList<>(queued);
        queued.clear();
        tasks.forEach(Runnable::run);
    }

    static QuotaChanged quota(String account, double used) {
        return new QuotaChanged(account, snapshot(used));
    }

    /** A snapshot with a 5-hour window at {@code used} and a 20 % weekly one, built whatever its other components are. */
    static QuotaSnapshot snapshot(double used) {
        try {
            RecordComponent[] rc = QuotaSnapshot.class.getRecordComponents();
            Object[] args = new Object[rc.length];
            int windows = 0;
            for (int i = 0; i < rc.length; i++) {
                Class<?> t = rc[i].getType();
                if (t == QuotaWindow.class) args[i] = windows++ == 0 ? new QuotaWindow(used, 300, NOW.plusSeconds(3600)) : new QuotaWindow(20, 10080, NOW.plusSeconds(86400));
                else if (t == boolean.class) args[i] = false;
                else if (t == int.class) args[i] = 0;
                else if (t == long.class) args[i] = 0L;
                else if (t == double.class) args[i] = 0.0;
                else if (t == Instant.class) args[i] = NOW;
            }
            return (QuotaSnapshot) QuotaSnapshot.class.getDeclaredConstructor(Arrays.stream(rc).map(RecordComponent::getType).toArray(Class[]::new)).newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theLastAccountRunningDryGivesOneAllOutNotificationWithAnAllOutIcon() {
        n.setContext("alice", null);
        n.onEvent(quota("alice", 80));
        tick();
        n.onEvent(quota("alice", 100));      // crosses the 90 % threshold and reaches 100 % in one step
        n.onEvent(new AccountExhausted("alice", NOW.plusSeconds(3600), "usage limit reached"));
        n.onEvent(new PoolExhausted(NOW.plusSeconds(3600)));
        tick();
        assertThat(shown).singleElement().satisfies(s -> {
            assertThat(s.note().title()).startsWith("All accounts are out");
            assertThat(s.icon()).isEqualTo(new IconState(100.0, 100.0, IconState.Mark.ALL_OUT));
        });
    }

    @Test
    void aThresholdAt100IsLeftToTheExhaustionThatFollowsInTheNextWindow() {
        n.setContext("alice", null);
        n.onEvent(quota("alice", 80));
        tick();
        n.onEvent(quota("alice", 100));
        tick();
        assertThat(shown).isEmpty();
        n.onEvent(new AccountExhausted("alice", NOW.plusSeconds(3600), null));
        n.onEvent(new AccountSwitched("alice", "bob", "alice is out"));
        tick();
        assertThat(shown).singleElement().satisfies(s -> {
            assertThat(s.note().title()).startsWith("alice is out until").endsWith("switched to bob");
            assertThat(s.icon().primaryUsed()).isEqualTo(100.0);   // alice's empty bar, not the serving account's green one
            assertThat(s.icon().secondaryUsed()).isEqualTo(20.0);
        });
    }

    @Test
    void aThresholdBelow100StillWarnsWithItsOwnBars() {
        n.setContext("alice", null);
        n.onEvent(quota("alice", 80));
        tick();
        n.onEvent(quota("alice", 93));
        tick();
        assertThat(shown).singleElement().satisfies(s -> {
            assertThat(s.note().title()).startsWith("alice has used 93 %");
            assertThat(s.icon()).isEqualTo(new IconState(93.0, 20.0, IconState.Mark.NONE));
        });
    }

    @Test
    void thePoolRunningDryBeforeTheFirstResetWarnsOncePerReset() {
        Pace dry = new Pace(Duration.ofMinutes(40), Duration.ofMinutes(80));
        Instant reset = NOW.plus(Duration.ofMinutes(80));
        n.poolPace(dry, reset, "alice");
        n.poolPace(dry, reset, "alice");
        n.poolPace(new Pace(Duration.ofHours(3), Duration.ofMinutes(80)), reset.plusSeconds(60), "alice");   // lasts: no warning
        assertThat(shown).singleElement().satisfies(s -> {
            assertThat(s.note().kind()).isEqualTo(Notifier.Kind.POOL_PACE);
            assertThat(s.note().title()).isEqualTo("At this pace every account is out in 40 m");
            assertThat(s.note().body()).startsWith("The first reset is in 1 h 20 m");
        });
    }
}
