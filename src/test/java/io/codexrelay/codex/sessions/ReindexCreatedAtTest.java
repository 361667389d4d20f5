package io.codexrelay.codex.sessions;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rebuilt index row's {@code created_at} is Codex's: the rollout file name's second, which can be the second before
 * session_meta's timestamp (found by a full run: the rebuilt row said ...010 where Codex had written ...009).
 */
class ReindexCreatedAtTest {
    private static final String ID = "019a1b2c-3d4e-7f00-8000-000000000001";

    @Test
    void theFileNamesSecondWinsWhenSessionMetaFellIntoTheNextSecond() {
        Path file = Path.of("/h/sessions/2026/12/03/rollout-2026-12-03T13-36-49-" + ID + ".jsonl");
        long meta = Instant.parse("2026-12-03T13:36:50.004Z").toEpochMilli();
        assertThat(ReindexPlanner.createdSeconds(file, meta)).isEqualTo(Instant.parse("2026-12-03T13:36:49Z").getEpochSecond());
        long sameSecond = Instant.parse("2026-12-03T13:36:49.700Z").toEpochMilli();
        assertThat(ReindexPlanner.createdSeconds(file, sameSecond)).isEqualTo(Instant.parse("2026-12-03T13:36:49Z").getEpochSecond());
    }

    @Test
    void aNameThatIsNotThatMomentLeavesSessionMetasTime() {
        long meta = Instant.parse("2026-12-03T13:36:50.004Z").toEpochMilli();
        // renamed by hand, or named hours away (another zone): not the creation moment
        assertThat(ReindexPlanner.createdSeconds(Path.of("rollout-2026-12-03T10-00-00-" + ID + ".jsonl"), meta)).isEqualTo(meta / 1000);
        assertThat(ReindexPlanner.createdSeconds(Path.of("rollout-2026-12-03T13-36-55-" + ID + ".jsonl"), meta)).isEqualTo(meta / 1000);
        assertThat(ReindexPlanner.createdSeconds(Path.of("my-session.jsonl"), meta)).isEqualTo(meta / 1000);
    }
}
