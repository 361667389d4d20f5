package io.codexrelay.platform;

import io.codexrelay.testing.SystemdUserManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Start at login under a real systemd user manager: the unit Autostart writes is loaded by systemd, a crashing daemon
 * is restarted, a crash loop stops after {@link Autostart#START_LIMIT_BURST} starts and the notify hook runs.
 *
 * <p>The daemon stand-in is a shell script that records each start and exits 3 (a crash), because what is tested is
 * the unit systemd runs, not the daemon; the real jar's launch command is checked by AutostartTest.
 */
class AutostartSystemdTest {
    @TempDir Path dir;

    @Test
    void aCrashingDaemonIsRestartedThenLeftStoppedAndTheUserIsNotified() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path notified = dir.resolve("notified.txt");
        Path starts = dir.resolve("starts.txt");
        script(bin.resolve("notify-send"), "printf '%s\\n' \"$@\" >> '" + notified + "'");
        Path crash = script(dir.resolve("crashing-daemon.sh"),
                "echo \"$CODEX_RELAY_HOME\" >> '" + starts + "'\nsleep 0.3\nexit 3");
        try (SystemdUserManager systemd = SystemdUserManager.start(dir, bin)) {
            var env = new java.util.HashMap<>(systemd.env());
            env.put("CODEX_RELAY_HOME", dir.resolve("relay home").toString());
            Autostart autostart = new Autostart(Os.LINUX, systemd.home, env, List.of("/bin/sh", crash.toString()),
                    cmd -> {
                        try {
                            return systemd.run(cmd).exitCode();
                        } catch (InterruptedException e) {
                            throw new IOException(e);
                        }
                    });
            assertThat(autostart.systemdSupervises()).isTrue();
            autostart.enable();

            assertThat(autostart.unitFile()).isEqualTo(systemd.configHome.resolve("systemd/user/codex-relay.service"));
            assertThat(autostart.isEnabled()).isTrue();
            assertThat(Files.readString(autostart.entryFile())).contains("systemctl --user start codex-relay.service");
            // systemd itself parsed and loaded the unit as written.
            assertThat(systemd.property(Autostart.UNIT, "LoadState")).isEqualTo("loaded");
            assertThat(systemd.property(Autostart.UNIT, "Restart")).isEqualTo("on-failure");
            assertThat(systemd.property(Autostart.UNIT, "RestartUSec")).isEqualTo(Autostart.RESTART_DELAY_SEC + "s");
            assertThat(systemd.property(Autostart.UNIT, "OnFailure")).isEqualTo(Autostart.FAILED_UNIT);
            var verify = systemd.run(List.of("systemd-analyze", "--user", "verify", autostart.unitFile().toString(),
                    autostart.failedUnitFile().toString()));
            assertThat(verify.output()).as("systemd-analyze verify").doesNotContain("codex-relay");

            // The manager's PATH is systemd's default, not the test's: hand it the fake notify-send the way the
            // autostart entry hands over DISPLAY.
            assertThat(systemd.systemctl("set-environment", "PATH=" + systemd.env().get("PATH")).exitCode()).isZero();
            // What the login session's autostart entry does.
            assertThat(systemd.systemctl("start", Autostart.UNIT).exitCode()).isZero();

            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!(Files.exists(notified) && "failed".equals(systemd.property(Autostart.UNIT, "ActiveState")))) {
                if (System.nanoTime() > deadline) {
                    fail("no give-up notification; starts=" + (Files.exists(starts) ? Files.readAllLines(starts) : "none")
                            + " state=" + systemd.property(Autostart.UNIT, "ActiveState") + " hook="
                            + systemd.systemctl("status", Autostart.FAILED_UNIT).output());
                }
                Thread.sleep(200);
            }
            // Started, restarted after each crash, and left stopped once the start limit was hit.
            List<String> startLines = Files.readAllLines(starts);
            assertThat(startLines).hasSize(Autostart.START_LIMIT_BURST)
                    .allMatch(l -> l.equals(dir.resolve("relay home").toString()));
            // systemd counts the restart it then refused for the start limit too.
            assertThat(systemd.property(Autostart.UNIT, "NRestarts")).isEqualTo(String.valueOf(Autostart.START_LIMIT_BURST));
            assertThat(systemd.property(Autostart.UNIT, "Result")).isEqualTo("exit-code");
            assertThat(Files.readString(notified)).contains("codex-relay stopped").contains("crashed " + Autostart.START_LIMIT_BURST + " times");

            autostart.disable();
            assertThat(autostart.unitFile()).doesNotExist();
            assertThat(autostart.entryFile()).doesNotExist();
            assertThat(autostart.isEnabled()).isFalse();
        }
    }

    private static Path script(Path p, String body) throws IOException {
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        p.toFile().setExecutable(true);
        return p;
    }
}
