package io.codexrelay.ui;

import io.codexrelay.app.AccountStatus;
import io.codexrelay.app.ControlApi.StopChoice;
import io.codexrelay.app.ControlException;
import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static io.codexrelay.ui.Pools.NOW;
import static io.codexrelay.ui.Pools.apiKey;
import static io.codexrelay.ui.Pools.chatgpt;
import static org.assertj.core.api.Assertions.assertThat;

/** Issue 9 in the tray: "Use NAME directly (no relay)", its undo entry, and the question Quit asks once. */
class DirectModeMenuTest {
    final AccountStatus farKey = new AccountStatus("far", "api-key", null, null, "https://llm.example.com/v1", true, 100, 4,
            "…zzzz", "ready", null, null, 0, false, null);
    final InMemoryControl relay = new InMemoryControl(chatgpt("A", 10, 5, null, "ready", false, 0), apiKey("K"), farKey);

    TrayMenuModel menu() throws ControlException {
        return TrayMenuModel.of(relay.status(), new TrayMenuModel.Context(relay.codexRouted(), true, null,
                relay.directAccount(null)), NOW, ZoneOffset.UTC);
    }

    @Test
    void eachAccountCodexCanUseDirectlyHasAnEntryAndChoosingOneHandsItOverThenUndoComesBack() throws Exception {
        relay.routed = true;
        var m = menu();
        assertThat(m.find("direct:A")).isEqualTo(new TrayMenuModel.Action("direct:A", "Use A directly (no relay)", true));
        assertThat(m.find("direct:K")).isNotNull();
        assertThat(m.find("direct:far")).as("Codex's own provider cannot reach llm.example.com").isNull();
        assertThat(m.find(TrayMenuModel.DIRECT_UNDO)).isNull();

        MenuCommand c = MenuCommand.of("direct:A", false, relay.status());
        assertThat(c).isEqualTo(new MenuCommand(MenuCommand.Kind.DIRECT, "A", true));
        assertThat(c.isControl()).isTrue();
        c.runOn(relay);
        assertThat(relay.calls).containsExactly("direct A");

        var after = menu();
        assertThat(after.find(TrayMenuModel.DIRECT_UNDO)).isEqualTo(new TrayMenuModel.Action(TrayMenuModel.DIRECT_UNDO,
                "Stop using A directly (undo)", true));
        assertThat(after.find("direct:K")).isNull();
        MenuCommand undo = MenuCommand.of(TrayMenuModel.DIRECT_UNDO, false, relay.status());
        assertThat(undo.kind()).isEqualTo(MenuCommand.Kind.UNDO_DIRECT);
        undo.runOn(relay);
        assertThat(relay.direct).isNull();
        assertThat(menu().find("direct:A")).isNotNull();
    }

    @Test
    void quitAsksOnceWhenCodexIsRoutedAndRemembersWhenToldTo() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        QuitFlow.Asker handOverRemembered = () -> {
            asked.incrementAndGet();
            return Optional.of(new QuitFlow.Answer(StopChoice.HAND_OVER, true));
        };
        assertThat(QuitFlow.confirm(relay, true, handOverRemembered)).isTrue();
        assertThat(relay.rememberedStop).isEqualTo(StopChoice.HAND_OVER);
        assertThat(QuitFlow.confirm(relay, true, handOverRemembered)).isTrue();
        assertThat(asked).as("asked once, then remembered").hasValue(1);
    }

    @Test
    void aChoiceForThisQuitOnlyIsNotRememberedAndCancelKeepsTheRelayRunning() throws Exception {
        assertThat(QuitFlow.confirm(relay, true, () -> Optional.empty())).isFalse();
        assertThat(relay.calls).isEmpty();
        assertThat(QuitFlow.confirm(relay, null, () -> Optional.of(new QuitFlow.Answer(StopChoice.KEEP_ROUTED, false)))).isTrue();
        assertThat(relay.thisStop).isEqualTo(StopChoice.KEEP_ROUTED);
        assertThat(relay.rememberedStop).isEqualTo(StopChoice.ASK);
        assertThat(QuitFlow.confirm(relay, false, () -> { throw new AssertionError("not asked: Codex does not use the relay"); })).isTrue();
    }
}
