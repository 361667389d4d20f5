package io.codexrelay.ui;

import io.codexrelay.ui.TrayMenuModel.Action;
import io.codexrelay.ui.TrayMenuModel.Context;
import io.codexrelay.ui.TrayMenuModel.Label;
import io.codexrelay.ui.TrayMenuModel.Toggle;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static io.codexrelay.ui.Pools.NOW;
import static io.codexrelay.ui.Pools.apiKey;
import static io.codexrelay.ui.Pools.chatgpt;
import static io.codexrelay.ui.Pools.pool;
import static io.codexrelay.ui.Pools.withState;
import static org.assertj.core.api.Assertions.assertThat;

class TrayMenuModelTest {
    private static final ZoneId UTC = ZoneOffset.UTC;

    @Test
    void servingPoolListsEveryAccountWithQuotaAndReset() {
        var pro = chatgpt("Pro-1", 42, 10, NOW.plus(Duration.ofMinutes(80)), "busy", false, 3);
        var plus = withState(chatgpt("Plus-2", 100, 50, NOW.plus(Duration.ofMinutes(125)), "exhausted", false, 0),
                "exhausted", NOW.plus(Duration.ofMinutes(125)));
        var key = apiKey("Key-1");
        var m = TrayMenuModel.of(pool(true, null, "Pro-1", false, 3, null, pro, plus, key), new Context(true, true, null), NOW, UTC);

        assertThat(m.status()).isEqualTo("Serving Pro-1 · 3 requests in flight");
        assertThat(((Label) m.find("status")).text()).isEqualTo(m.status());
        var proItem = (Toggle) m.find("account:Pro-1");
        assertThat(proItem.text()).isEqualTo("Pro-1 · 5h 58 % left · week 90 % left · resets 1 h 20 m · 3 running");
        assertThat(proItem.checked()).isFalse();
        assertThat(proItem.enabled()).isTrue();
        assertThat(((Toggle) m.find("account:Plus-2")).text()).isEqualTo("Plus-2 · out until 14:05");
        assertThat(((Toggle) m.find("account:Key-1")).text()).isEqualTo("Key-1 · API key");
        assertThat(((Toggle) m.find("auto")).checked()).isTrue();
        assertThat(((Toggle) m.find("codex")).checked()).isTrue();
        assertThat(((Toggle) m.find("codex")).enabled()).isTrue();
        assertThat(((Toggle) m.find("pause")).checked()).isFalse();
        assertThat(((Action) m.find("sessions")).enabled()).isTrue();
        assertThat(m.tooltip()).startsWith("codex-relay — Pro-1 · 5h 58 % left");
        // Menu order as the design lists it.
        assertThat(m.items()).extracting(TrayMenuModel.Item::id).containsExactly("status", "sep-accounts",
                "account:Pro-1", "account:Plus-2", "account:Key-1", "sep-modes", "auto", "codex",
                "direct:Pro-1", "direct:Plus-2", "direct:Key-1",   // issue 9: "Use NAME directly (no relay)"
                "pause", "refresh",
                "sep-windows", "settings", "sessions", "log", "sep-quit", "quit");
    }

    @Test
    void pinnedAccountIsCheckedAndNamedInTheStatus() {
        var pro = chatgpt("Pro-1", 5, 1, NOW.plusSeconds(3600), "ready", true, 0);
        var m = TrayMenuModel.of(pool(false, "Pro-1", "Pro-1", false, 1, null, pro), Context.plain(), NOW, UTC);
        assertThat(m.status()).isEqualTo("Serving Pro-1 (pinned) · 1 request in flight");
        assertThat(((Toggle) m.find("account:Pro-1")).checked()).isTrue();
        assertThat(((Toggle) m.find("auto")).checked()).isFalse();
        // Unknown Codex routing: shown but not clickable; no Sessions window yet: disabled.
        assertThat(((Toggle) m.find("codex")).enabled()).isFalse();
        assertThat(((Action) m.find("sessions")).enabled()).isFalse();
    }

    @Test
    void pausedAllOutAndEmptyPoolsSaySo() {
        var a = withState(chatgpt("A", 100, 100, NOW.plusSeconds(7500), "exhausted", false, 0), "exhausted", NOW.plusSeconds(7500));
        assertThat(TrayMenuModel.of(pool(true, null, null, false, 0, NOW.plusSeconds(7500), a), Context.plain(), NOW, UTC).status())
                .isEqualTo("All accounts out until 14:05");
        assertThat(TrayMenuModel.of(pool(true, null, "A", true, 0, null, a), Context.plain(), NOW, UTC).status())
                .isEqualTo("Paused — new requests are refused");
        var paused = TrayMenuModel.of(pool(true, null, "A", true, 0, null, a), Context.plain(), NOW, UTC);
        assertThat(((Toggle) paused.find("pause")).checked()).isTrue();
        var empty = TrayMenuModel.of(pool(true, null, null, false, 0, null), Context.plain(), NOW, UTC);
        assertThat(empty.status()).isEqualTo("No accounts yet — add one in Settings");
        assertThat(((Toggle) empty.find("auto")).enabled()).isFalse();
        assertThat(((Action) empty.find("refresh")).enabled()).isFalse();
        assertThat(empty.items()).extracting(TrayMenuModel.Item::id).doesNotContain("sep-modes");
    }

    @Test
    void disabledAndReloginAccountsAreMarked() {
        var d = withState(chatgpt("D", 1, 1, null, "ready", false, 0), "disabled", null);
        var r = withState(chatgpt("R", 1, 1, null, "ready", false, 0), "relogin", null);
        var m = TrayMenuModel.of(pool(true, null, "R", false, 0, null, d, r), Context.plain(), NOW, UTC);
        assertThat(((Toggle) m.find("account:D")).text()).isEqualTo("D · disabled");
        assertThat(((Toggle) m.find("account:D")).enabled()).isFalse();
        assertThat(((Toggle) m.find("account:R")).text()).isEqualTo("R · needs a new login");
    }

    @Test
    void unreachableRelayKeepsWindowsAndQuitUsable() {
        var m = TrayMenuModel.of(null, new Context(null, false, "connection refused"), NOW, UTC);
        assertThat(m.status()).isEqualTo("Relay not reachable — connection refused");
        assertThat(((Toggle) m.find("pause")).enabled()).isFalse();
        assertThat(((Action) m.find("settings")).enabled()).isTrue();
        assertThat(((Action) m.find("quit")).enabled()).isTrue();
    }

    @Test
    void shapeIsStableWhenOnlyNumbersChange() {
        var a1 = TrayMenuModel.of(pool(true, null, "A", false, 0, null, chatgpt("A", 10, 1, null, "ready", false, 0)), Context.plain(), NOW, UTC);
        var a2 = TrayMenuModel.of(pool(true, null, "A", false, 2, null, chatgpt("A", 60, 5, null, "busy", false, 2)), Context.plain(), NOW, UTC);
        var b = TrayMenuModel.of(pool(true, null, "A", false, 0, null, chatgpt("A", 10, 1, null, "ready", false, 0),
                chatgpt("B", 10, 1, null, "ready", false, 0)), Context.plain(), NOW, UTC);
        assertThat(a1.shape()).isEqualTo(a2.shape());
        assertThat(a1).isNotEqualTo(a2);
        assertThat(b.shape()).isNotEqualTo(a1.shape());
        assertThat(TrayMenuModel.accountOf("account:Pro 1")).isEqualTo("Pro 1");
        assertThat(TrayMenuModel.accountOf("auto")).isNull();
    }

    @Test
    void iconStateFollowsTheServingAccount() {
        var pro = chatgpt("Pro-1", 42, 10, null, "ready", false, 0);
        var other = chatgpt("B", 90, 90, null, "ready", false, 0);
        assertThat(IconState.of(pool(true, null, "Pro-1", false, 0, null, other, pro)))
                .isEqualTo(new IconState(42.0, 10.0, IconState.Mark.NONE));
        assertThat(IconState.of(pool(true, null, "Pro-1", true, 0, null, pro)).mark()).isEqualTo(IconState.Mark.PAUSED);
        var out = withState(pro, "exhausted", NOW.plusSeconds(60));
        assertThat(IconState.of(pool(true, null, null, false, 0, NOW.plusSeconds(60), out)))
                .isEqualTo(new IconState(100.0, 100.0, IconState.Mark.ALL_OUT));
        var relogin = withState(other, "relogin", null);
        assertThat(IconState.of(pool(true, null, "Pro-1", false, 0, null, pro, relogin)).mark()).isEqualTo(IconState.Mark.RELOGIN);
        assertThat(IconState.of(pool(true, null, "K", false, 0, null, apiKey("K")))).isEqualTo(IconState.UNKNOWN);
        assertThat(IconState.of(null)).isEqualTo(IconState.UNKNOWN);
    }

    @Test
    void formatsShortTimes() {
        assertThat(Fmt.duration(Duration.ofSeconds(30))).isEqualTo("1 m");
        assertThat(Fmt.duration(Duration.ofMinutes(45))).isEqualTo("45 m");
        assertThat(Fmt.duration(Duration.ofMinutes(120))).isEqualTo("2 h");
        assertThat(Fmt.duration(Duration.ofHours(51))).isEqualTo("2 d 3 h");
        assertThat(Fmt.duration(Duration.ofSeconds(-5))).isEqualTo("now");
        assertThat(Fmt.clock(NOW.plus(Duration.ofDays(1)), NOW, UTC)).isEqualTo("Wed 12:00");
        assertThat(Fmt.clock(NOW.plus(Duration.ofDays(10)), NOW, UTC)).isEqualTo("20 Mar 12:00");
        assertThat(Fmt.tokens(950)).isEqualTo("950");
        assertThat(Fmt.tokens(12_340)).isEqualTo("12.3k");
        assertThat(Fmt.tokens(4_000_000)).isEqualTo("4M");
    }
}
