package io.codexrelay.app;

import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.CodexAuth;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9: a refresh token Codex rotated while it used an account directly is taken over by the running daemon as
 * soon as {@code auth.json} changes, with no {@code switch}, {@code --undo} or restart in between.
 */
class CodexAuthWatchTest {
    @TempDir Path dir;
    FakeUpstream fake;
    RelayApp app;

    @AfterEach
    void stop() throws Exception {
        if (app != null) app.stop(Duration.ofSeconds(5));
        if (fake != null) fake.close();
    }

    @Test
    void theDaemonReimportsTokensCodexRotatedWhenAuthJsonChanges() throws Exception {
        fake = new FakeUpstream();
        RelayHome home = new RelayHome(RelayHomes.pointedAt(dir.resolve("relay"), fake));
        Path codex = Files.createDirectories(dir.resolve("codex"));
        Cli cli = new Cli(home.dir()).env("CODEX_HOME", codex.toString());
        String access = CodexAuth.jwt("{\"exp\":4102444800,\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"acct-w\"}}");
        Path origin = dir.resolve("origin");
        CodexAuth.writeChatGpt(origin, "w@example.com", "plus", "acct-w", access, "rt-relay-old");
        assertThat(cli.run("accounts", "import-codex", "--codex-home", origin.toString(), "--name", "W").exit()).isZero();

        app = RelayApp.start(new RelayApp.Options(home, Clock.systemUTC(), 0,
                Map.of("CODEX_HOME", codex.toString(), "HOME", dir.resolve("user").toString())));
        var sw = cli.run("switch", "W");
        assertThat(sw.exit()).as(sw.toString()).isZero();
        assertThat(Files.readString(codex.resolve("auth.json"))).contains("rt-relay-old");

        // Codex refreshes the login on its own (temp file + rename, as Codex writes it); nobody calls the relay.
        String access2 = CodexAuth.jwt("{\"exp\":4102444801,\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"acct-w\"}}");
        Path staging = Files.createDirectories(dir.resolve("staging"));
        CodexAuth.writeChatGpt(staging, "w@example.com", "plus", "acct-w", access2, "rt-codex-new");
        Files.move(staging.resolve("auth.json"), codex.resolve("auth.json"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);

        // the relay's copy becomes Codex's: an export shows the new refresh token (waits for the watch, up to 60 s)
        Path out = dir.resolve("exported");
        String exported = "";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            var ex = cli.run("accounts", "export-codex", "W", "--codex-home", out.toString());
            assertThat(ex.exit()).as(ex.toString()).isZero();
            exported = Files.readString(out.resolve("auth.json"));
            if (exported.contains("rt-codex-new")) break;
            Thread.sleep(100);
        }
        assertThat(exported).contains("rt-codex-new").doesNotContain("rt-relay-old");
        // and Codex still uses W directly: the check changed the relay's copy, not Codex's files
        assertThat(Files.readString(codex.resolve("auth.json"))).contains("rt-codex-new");
    }

    @Test
    void aBurstOfWritesToAuthJsonRunsTheCheck() throws Exception {
        Path codex = Files.createDirectories(dir.resolve("codex"));
        Semaphore checks = new Semaphore(0);
        try (var watch = new CodexAuthWatch(codex, Duration.ofMillis(200), checks::release).start()) {
            Files.writeString(codex.resolve("config.toml"), "model = \"o3\"\n");
            for (int i = 0; i < 5; i++) Files.writeString(codex.resolve("auth.json"), "{\"n\":" + i + "}");
            assertThat(checks.tryAcquire(30, TimeUnit.SECONDS)).as("a check after auth.json changed").isTrue();
        }
    }
}
