package io.codexrelay.ui;

import io.codexrelay.app.ToolKeyView;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static io.codexrelay.ui.Pools.NOW;
import static org.assertj.core.api.Assertions.assertThat;

/** The Tool keys table: Codex's key first, then active keys, then revoked ones; each column as a person reads it. */
class ToolKeysTableModelTest {

    @Test
    void rowsReadAsAPersonWouldReadThem() {
        var model = new ToolKeysTableModel(Clock.fixed(NOW, ZoneOffset.UTC), ZoneOffset.UTC);
        var codex = new ToolKeyView("codex", null, null, null, null, 41, 1, 0);
        var claude = new ToolKeyView("claude-code", 60, 4, NOW.minus(Duration.ofHours(3)), null, 1, 0, 2, "Pro-1", false);
        var script = new ToolKeyView("script", null, 2, NOW.minus(Duration.ofDays(2)), null, 0, 0, 0, "Plus-2", true);
        var old = new ToolKeyView("old", null, null, NOW.minus(Duration.ofDays(9)), NOW.minus(Duration.ofHours(1)), 0, 0, 0);
        model.setKeys(List.of(old, script, codex, claude), Map.of("codex", NOW.minusSeconds(20), "claude-code", NOW.minus(Duration.ofMinutes(3))));

        assertThat(model.keys()).extracting(ToolKeyView::name).containsExactly("codex", "claude-code", "script", "old");
        assertThat(row(model, 0)).containsExactly("codex", "any", "none", "—", "just now", "41 · 1 running", "active (Codex's own)");
        assertThat(row(model, 1)).containsExactly("claude-code", "Pro-1 first", "60 a minute · 4 at once", "09:00", "3 minutes ago",
                "1 · 2 refused", "active");
        assertThat(row(model, 2)).containsExactly("script", "Plus-2 only", "2 at once", "Sun 12:00", "—", "0", "active");
        assertThat(row(model, 3).get(ToolKeysTableModel.STATE)).isEqualTo("revoked 11:00");
        // Codex's own key and a revoked one cannot be revoked here
        assertThat(ToolKeysTableModel.revocable(model.at(0))).isFalse();
        assertThat(ToolKeysTableModel.revocable(model.at(1))).isTrue();
        assertThat(ToolKeysTableModel.revocable(model.at(3))).isFalse();
    }

    private static List<Object> row(ToolKeysTableModel m, int r) {
        return java.util.stream.IntStream.range(0, m.getColumnCount()).mapToObj(c -> m.getValueAt(r, c)).toList();
    }
}
