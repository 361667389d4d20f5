package io.codexrelay.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The one file watch behind the relay's config.toml watch and the daemon's watches of Codex's files. */
class FileWatchTest {
    @TempDir Path dir;

    @Test
    void aBurstOfWritesToTheFileOrItsTempFilesIsOneChangeAndOtherFilesAreNone() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        try (FileWatch w = new FileWatch("test-watch", dir.resolve("auth.json"), Duration.ofMillis(300), null, fired::incrementAndGet).start()) {
            Files.writeString(dir.resolve("other.txt"), "x");
            Thread.sleep(800);
            assertThat(fired.get()).as("another file").isZero();

            for (int i = 0; i < 5; i++) {
                Files.writeString(dir.resolve("auth.json.tmp"), "v" + i);
                Files.move(dir.resolve("auth.json.tmp"), dir.resolve("auth.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Thread.sleep(20);
            }
            await(() -> fired.get() >= 1);
            Thread.sleep(800);
            assertThat(fired.get()).as("one check for the burst").isEqualTo(1);
        }
    }

    @Test
    void aDirectoryThatAppearsLaterIsWatchedAndQuietTimeStillChecks() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        Path later = dir.resolve("codex-home");
        try (FileWatch w = new FileWatch("test-watch", later.resolve("config.toml"), Duration.ZERO, Duration.ofMillis(200),
                fired::incrementAndGet).start()) {
            Files.createDirectories(later);
            await(() -> fired.get() >= 1);   // found after the retry, checked once
            int before = fired.get();
            await(() -> fired.get() >= before + 2);   // no events: the recheck still runs
        }
        int after = fired.get();
        Thread.sleep(600);
        assertThat(fired.get()).as("nothing runs after close").isEqualTo(after);
    }

    private static void await(BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("gave up after 20 s");
            Thread.sleep(20);
        }
    }
}
