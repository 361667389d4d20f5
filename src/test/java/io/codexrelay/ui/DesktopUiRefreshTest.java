package io.codexrelay.ui;

import io.codexrelay.events.EventBus;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.app.Desktop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The icon follows the pool on events, not only on the 30 s periodic refresh: a QuotaChanged or AccountSwitched
 * event repaints it with the serving account's new numbers.
 */
class DesktopUiRefreshTest {
    private final EventBus bus = new EventBus();
    private final LinkedBlockingQueue<IconState> icons = new LinkedBlockingQueue<>();
    private DesktopUi ui;

    private final TraySurface recording = new TraySurface() {
        @Override public void update(TrayMenuModel model, IconState icon) { icons.add(icon); }
        @Override public String kind() { return "recording"; }
        @Override public void close() { }
    };

    @AfterEach
    void tearDown() {
        if (ui != null) ui.close();
        bus.close();
    }

    private DesktopUi start(InMemoryControl control) {
        var options = new DesktopUi.Options(null, Map.of(), Clock.systemUTC(), ZoneOffset.UTC, Desktop.of(Desktop.Family.LINUX, Map.of()), false, () -> { }, null);
        DesktopUi u = DesktopUi.onSurface(options, recording);
        u.attach(control, bus);
        return u;
    }

    /** Waits for an icon painted with this 5-hour usage; the bound only keeps a broken build from hanging. */
    private IconState awaitPrimary(double used) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            IconState s = icons.poll(100, TimeUnit.MILLISECONDS);
            if (s != null && s.primaryUsed() != null && s.primaryUsed() == used) return s;
        }
        return null;
    }

    @Test
    void quotaChangedRepaintsTheIconWithTheNewNumbers() throws Exception {
        Instant reset = Instant.parse("2030-01-01T00:00:00Z");
        var control = new InMemoryControl(Pools.chatgpt("A", 10, 5, reset, "ready", false, 0));
        ui = start(control);
        assertThat(awaitPrimary(10)).as("first paint shows A at 10 %").isNotNull();

        control.accounts.set(0, Pools.chatgpt("A", 80, 30, reset, "ready", false, 0));
        bus.publish(new RelayEvent.QuotaChanged("A", control.accounts.get(0).quota()));

        IconState after = awaitPrimary(80);
        assertThat(after).as("the icon after QuotaChanged").isNotNull();
        assertThat(after.secondaryUsed()).isEqualTo(30.0);
    }

    @Test
    void accountSwitchedRepaintsTheIconForTheNewServingAccount() throws Exception {
        Instant reset = Instant.parse("2030-01-01T00:00:00Z");
        var control = new InMemoryControl(Pools.chatgpt("A", 20, 5, reset, "ready", false, 0),
                Pools.chatgpt("B", 60, 40, reset, "ready", false, 0));
        ui = start(control);
        assertThat(awaitPrimary(20)).as("A serves first").isNotNull();

        control.pinned = "B";
        bus.publish(new RelayEvent.AccountSwitched("A", "B", "pinned"));

        IconState after = awaitPrimary(60);
        assertThat(after).as("the icon after AccountSwitched shows B").isNotNull();
        assertThat(after.secondaryUsed()).isEqualTo(40.0);
    }
}
