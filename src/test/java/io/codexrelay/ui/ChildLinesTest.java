package io.codexrelay.ui;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The deadlines the "ui" tests rely on so that a silent child fails the test instead of hanging the build. */
class ChildLinesTest {
    @Test
    void aSilentChildFailsTheWaitAtItsDeadlineWithWhatItPrinted() throws Exception {
        Process child = new ProcessBuilder("sh", "-c", "echo one; echo two; exec sleep 60").start();
        try {
            ChildLines out = new ChildLines(child);
            assertThat(out.until("two", Duration.ofSeconds(20))).isEqualTo("two");
            long start = System.nanoTime();
            assertThatThrownBy(() -> out.until("READY", Duration.ofMillis(500)))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("no line within")
                    .hasMessageContaining("[one, two]");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
            assertThat(child.isAlive()).isTrue();
        } finally {
            child.destroyForcibly().waitFor();
        }
    }

    @Test
    void linesPrintedInEitherOrderAreFoundWithoutMovingTheCursor() throws Exception {
        Process child = new ProcessBuilder("sh", "-c", "sleep 1; echo 'DIALOG b'; echo 'CLOSED a'; echo 'OPTION OK 1 2'").start();
        try {
            ChildLines out = new ChildLines(child);
            int mark = out.mark();
            assertThat(out.sawAfter(mark, "CLOSED a", Duration.ofSeconds(20))).isTrue();
            assertThat(out.until("DIALOG ", Duration.ofSeconds(20))).isEqualTo("DIALOG b");
            assertThat(out.until("OPTION ", Duration.ofSeconds(20))).isEqualTo("OPTION OK 1 2");
            assertThatThrownBy(() -> out.until("DIALOG ", Duration.ofSeconds(20))).hasMessageContaining("child ended");
            assertThat(out.seen()).isEqualTo(List.of("DIALOG b", "CLOSED a", "OPTION OK 1 2"));
        } finally {
            child.destroyForcibly().waitFor();
        }
    }
}
