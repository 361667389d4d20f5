package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.Desktop;
import io.codexrelay.app.SyncStatus;
import io.codexrelay.events.EventBus;
import io.codexrelay.events.QuotaSnapshot;
import io.codexrelay.events.QuotaWindow;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.codexrelay.ui.Pools.NOW;
import static io.codexrelay.ui.Pools.apiKey;
import static io.codexrelay.ui.Pools.chatgpt;
import static io.codexrelay.ui.Pools.pool;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15/13 "a step ahead": the tray's sync line, the Settings table's Pace column, and the quota refresh when the
 * menu opens (at most one round a minute, never on the thread that reports the click).
 */
@Timeout(60)   // only keeps a broken build from hanging; nothing here is timed
class TrayFreshnessTest {
    private final EventBus bus = new EventBus();
    private DesktopUi ui;

    @AfterEach
    void tearDown() {
        if (ui != null) ui.close();
        bus.close();
    }

    private static SyncStatus synced(Instant at, String error, List<String> warnings) {
        return new SyncStatus(true, "https://dav.example/accounts.crypt", "laptop", at == null ? null : at.toString(), "no changes",
                error, warnings, List.of());
    }

    // ---- the sync line ---------------------------------------------------------------------------------------

    @Test
    void theSyncLineSaysWhenTheLastSyncWasWithPluralsThatReadRight() {
        assertThat(TrayMenuModel.syncLine(synced(NOW.minusSeconds(20), null, List.of()), NOW)).isEqualTo("Synced just now");
        assertThat(TrayMenuModel.syncLine(synced(NOW.minusSeconds(65), null, List.of()), NOW)).isEqualTo("Synced 1 minute ago");
        assertThat(TrayMenuModel.syncLine(synced(NOW.minusSeconds(180), null, List.of()), NOW)).isEqualTo("Synced 3 minutes ago");
        assertThat(TrayMenuModel.syncLine(synced(NOW.minus(Duration.ofMinutes(61)), null, List.of()), NOW)).isEqualTo("Synced 1 hour ago");
        assertThat(TrayMenuModel.syncLine(synced(NOW.minus(Duration.ofDays(2)), null, List.of()), NOW)).isEqualTo("Synced 2 days ago");
        assertThat(TrayMenuModel.syncLine(synced(null, null, List.of()), NOW)).isEqualTo("Not synced yet");
        assertThat(TrayMenuModel.syncLine(synced(NOW.minusSeconds(180), null, List.of("token refreshed on two machines")), NOW))
                .isEqualTo("Synced 3 minutes ago · 1 warning (codex-relay sync status)");
        // not set up: no line at all
        assertThat(TrayMenuModel.syncLine(new SyncStatus(false, null, "laptop", null, null, null, List.of(), List.of()), NOW)).isNull();
        assertThat(TrayMenuModel.syncLine(null, NOW)).isNull();
    }

    @Test
    void aFailedSyncSaysSoShortEnoughForAMenuEntryAndWhenItLastWorked() {
        String longError = "Sync failed: the WebDAV server answered 503 Service Unavailable for https://dav.example/remote.php/dav/files/me/accounts.crypt";
        String line = TrayMenuModel.syncLine(synced(NOW.minus(Duration.ofHours(2)), longError, List.of()), NOW);
        assertThat(line).startsWith("Sync failed: the WebDAV server answered 503").doesNotContain("Sync failed: Sync failed")
                .contains("…").endsWith(" (last synced 2 hours ago)");
        assertThat(line.length()).isLessThanOrEqualTo("Sync failed: ".length() + TrayMenuModel.SYNC_ERROR_CHARS + " (last synced 2 hours ago)".length());
        assertThat(TrayMenuModel.syncLine(synced(null, "wrong passphrase", List.of()), NOW)).isEqualTo("Sync failed: wrong passphrase");
    }

    @Test
    void theMenuShowsTheSyncLineUnderTheStatusLineOnlyWhenSyncIsSetUp() {
        var p = pool(true, null, "A", false, 0, null, chatgpt("A", 10, 5, NOW.plusSeconds(3600), "ready", false, 0));
        var with = TrayMenuModel.of(p, new TrayMenuModel.Context(true, true, null, null, synced(NOW.minusSeconds(180), null, List.of())), NOW, ZoneOffset.UTC);
        assertThat(with.items()).extracting(TrayMenuModel.Item::id).startsWith("status", "sync", "sep-accounts");
        assertThat(((TrayMenuModel.Label) with.find("sync")).text()).isEqualTo("Synced 3 minutes ago");
        var without = TrayMenuModel.of(p, new TrayMenuModel.Context(true, true, null), NOW, ZoneOffset.UTC);
        assertThat(without.find("sync")).isNull();
    }

    // ---- the Pace column -------------------------------------------------------------------------------------

    private static AccountStatus used(String name, double used5h, double usedWeek, Duration reset5h, Duration resetWeek) {
        var q = new QuotaSnapshot(new QuotaWindow(used5h, 300, NOW.plus(reset5h)), new QuotaWindow(usedWeek, 10080, NOW.plus(resetWeek)),
                null, null, null, "pro", "headers", NOW);
        return new AccountStatus(name, "chatgpt", null, "pro", null, true, 100, 2, "…abcd", "ready", null, null, 0, false, q);
    }

    @Test
    void thePaceColumnSaysWhichWindowRunsDryFirstAndWhen() {
        var model = new AccountsTableModel(Clock.fixed(NOW, ZoneOffset.UTC), ZoneOffset.UTC, (n, c) -> { });
        // 80 % of the 5-hour window in its first 3 hours: the last 20 % go in 45 minutes, before the reset in 2 hours
        var fast = used("Fast", 80, 10, Duration.ofHours(2), Duration.ofDays(5));
        // 20 % in 3 hours: lasts; 10 % of the week in 2 days: lasts
        var slow = used("Slow", 20, 10, Duration.ofHours(2), Duration.ofDays(5));
        // the week runs dry first: 60 % in 2 days leaves 40 % for 1 d 8 h, the reset is 5 days away
        var weekly = used("Weekly", 5, 60, Duration.ofHours(2), Duration.ofDays(5));
        var out = used("Out", 100, 30, Duration.ofHours(2), Duration.ofDays(5));
        model.setAccounts(List.of(fast, slow, weekly, out, apiKey("Key")));

        assertThat(model.getColumnName(AccountsTableModel.PACE)).isEqualTo("At this pace");
        assertThat(model.pace(fast)).isEqualTo("out in 45 m (5 h)");
        assertThat(model.pace(slow)).isEqualTo("lasts to the reset");
        assertThat(model.pace(weekly)).isEqualTo("out in 1 d 8 h (week)");
        assertThat(model.pace(out)).isEqualTo("out (5 h)");
        assertThat(model.pace(apiKey("Key"))).isEqualTo("—");
        assertThat(model.paceDetail(fast)).contains("5 h window: at this pace: out in 45 m, resets in 2 h");
        // the row shows the same text; the edited columns are still priority, max in flight and enabled
        int row = model.accounts().indexOf(model.accounts().stream().filter(a -> a.name().equals("Fast")).findFirst().orElseThrow());
        assertThat(model.getValueAt(row, AccountsTableModel.PACE)).isEqualTo("out in 45 m (5 h)");
        assertThat(model.isCellEditable(row, AccountsTableModel.PACE)).isFalse();
        assertThat(model.getColumnName(AccountsTableModel.PRIORITY)).isEqualTo("Priority");
        assertThat(model.getColumnName(AccountsTableModel.ENABLED)).isEqualTo("Enabled");
        assertThat(model.isCellEditable(row, AccountsTableModel.PRIORITY)).isTrue();
    }

    // ---- refresh when the menu opens -------------------------------------------------------------------------

    @Test
    void openingTheMenuRefreshesQuotaAtMostOnceAMinute() {
        var clock = new ManualClock(NOW);
        var control = new InMemoryControl(chatgpt("A", 10, 5, NOW.plusSeconds(3600), "ready", false, 0));
        var gate = new QuotaRefreshOnOpen(clock, Runnable::run);
        assertThat(gate.menuOpening(control, null)).isTrue();
        clock.advance(Duration.ofSeconds(30));
        assertThat(gate.menuOpening(control, null)).as("opened again 30 s later").isFalse();
        clock.advance(Duration.ofSeconds(29));
        assertThat(gate.menuOpening(control, null)).as("59 s after the round").isFalse();
        clock.advance(Duration.ofSeconds(2));
        assertThat(gate.menuOpening(control, null)).as("61 s after the round").isTrue();
        assertThat(control.calls).containsExactly("refresh", "refresh");
    }

    @Test
    void aRoundStillRunningIsNotDoubledAndTheCallerDoesNotWaitForIt() throws Exception {
        var clock = new ManualClock(NOW);
        CountDownLatch release = new CountDownLatch(1);
        List<String> polls = java.util.Collections.synchronizedList(new ArrayList<>());
        var slow = new InMemoryControl(chatgpt("A", 10, 5, NOW.plusSeconds(3600), "ready", false, 0));
        // a control whose poll hangs until released: the opening must return while it hangs
        io.codexrelay.app.ControlApi hanging = (io.codexrelay.app.ControlApi) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {io.codexrelay.app.ControlApi.class}, (proxy, m, args) -> {
                    if (m.getName().equals("refreshQuota")) {
                        polls.add("start");
                        release.await();
                        polls.add("end");
                        return null;
                    }
                    return m.invoke(slow, args);
                });
        CountDownLatch done = new CountDownLatch(1);
        var gate = new QuotaRefreshOnOpen(clock, r -> new Thread(r, "test-refresh").start());
        assertThat(gate.menuOpening(hanging, done::countDown)).isTrue();   // returns although the poll hangs
        clock.advance(Duration.ofMinutes(5));
        assertThat(gate.menuOpening(hanging, done::countDown)).as("the first round is still running").isFalse();
        release.countDown();
        done.await();
        assertThat(polls).containsExactly("start", "end");
        assertThat(gate.menuOpening(hanging, null)).as("after the round ended and a minute passed").isTrue();
    }

    // ---- the tray itself -------------------------------------------------------------------------------------

    private final LinkedBlockingQueue<TrayMenuModel> menus = new LinkedBlockingQueue<>();
    private final TraySurface recording = new TraySurface() {
        @Override public void update(TrayMenuModel model, IconState icon) { menus.add(model); }
        @Override public String kind() { return "recording"; }
        @Override public void close() { }
    };

    private TrayMenuModel awaitMenu(Predicate<TrayMenuModel> what) throws InterruptedException {
        while (true) {
            TrayMenuModel m = menus.poll(30, TimeUnit.SECONDS);
            if (m == null || what.test(m)) return m;
        }
    }

    private static String syncText(TrayMenuModel m) {
        return m.find(TrayMenuModel.SYNC) instanceof TrayMenuModel.Label l ? l.text() : null;
    }

    @Test
    void theTraysSyncLineFollowsTheSyncFinishedEventAndTheMenuOpeningRefreshesQuotaOnce() throws Exception {
        var control = new InMemoryControl(chatgpt("A", 10, 5, NOW.plusSeconds(3600), "ready", false, 0));
        control.sync = synced(NOW.minusSeconds(180), null, List.of());
        var options = new DesktopUi.Options(null, Map.of(), Clock.fixed(NOW, ZoneOffset.UTC), ZoneOffset.UTC,
                Desktop.of(Desktop.Family.LINUX, Map.of()), false, () -> { }, null);
        ui = DesktopUi.onSurface(options, recording);
        ui.attach(control, bus);
        assertThat(syncText(awaitMenu(m -> syncText(m) != null))).isEqualTo("Synced 3 minutes ago");

        control.sync = synced(NOW.minusSeconds(180), "Sync failed: wrong passphrase for accounts.crypt", List.of());
        bus.publish(new RelayEvent.SyncFinished(false));
        assertThat(syncText(awaitMenu(m -> syncText(m) != null && syncText(m).startsWith("Sync failed"))))
                .isEqualTo("Sync failed: wrong passphrase for accounts.crypt (last synced 3 minutes ago)");

        ui.menuOpening();
        ui.menuOpening();   // the same minute (the clock is fixed): no second round
        while (!control.calls.contains("refresh")) Thread.sleep(20);
        Thread.sleep(300);
        assertThat(control.calls.stream().filter("refresh"::equals).count()).isEqualTo(1);
    }
}
