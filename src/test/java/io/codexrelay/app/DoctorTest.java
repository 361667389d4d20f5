package io.codexrelay.app;

import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code doctor} finds each problem planted in a test home, says what to do, and exits 1; a sound home exits 0. */
class DoctorTest {
    @TempDir Path tmp;

    private Map<String, String> env(Path relay, Path codex) {
        return Map.of("CODEX_RELAY_HOME", relay.toString(), "CODEX_HOME", codex.toString(), "HOME", tmp.resolve("user").toString());
    }

    private static Doctor.Check find(List<Doctor.Check> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no check " + name + " in " + checks));
    }

    @Test
    void findsEachPlantedProblem() throws Exception {
        Path relay = tmp.resolve("relay"), codex = Files.createDirectories(tmp.resolve("codex"));
        Cli cli = new Cli(relay).env("CODEX_HOME", codex.toString());
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(cli.run("accounts", "add-key", "--name", "A", "--key", "sk-test-0123456789abcdefAAAA").exit()).isZero();
            Files.writeString(relay.resolve("config.toml"), "[server]\nport = " + busy.getLocalPort() + "\n");
            assertThat(cli.run("accounts", "set", "A", "--disable").exit()).isZero();
            // Codex points at the relay but sends a key that is not the relay's.
            Files.writeString(relay.resolve("config.toml"), "[server]\nport = 17771\n");
            assertThat(cli.run("codex", "on", "--no-start", "--codex-home", codex.toString()).exit()).isZero();
            Files.writeString(relay.resolve("config.toml"), "[server]\nport = " + busy.getLocalPort() + "\n");
            String key = ClientKey.loadOrCreate(new RelayHome(relay)).value();
            Path codexConfig = codex.resolve("config.toml");
            assertThat(Files.readString(codexConfig)).contains(key);
            Files.writeString(codexConfig, Files.readString(codexConfig).replace(key, "not-the-relay-key-0000"));
            // The secrets file readable by others; auth.json written in the future (the clock is wrong).
            Files.setPosixFilePermissions(relay.resolve("client.key"), PosixFilePermissions.fromString("rw-r--r--"));
            Path auth = Files.writeString(codex.resolve("auth.json"), "{}");
            Files.setLastModifiedTime(auth, FileTime.from(Instant.now().plus(Duration.ofHours(3))));

            List<Doctor.Check> checks = new Doctor(env(relay, codex), Clock.systemUTC(), null).run();
            assertThat(find(checks, "daemon").level()).isEqualTo(Doctor.Level.WARN);
            assertThat(find(checks, "port").level()).isEqualTo(Doctor.Level.PROBLEM);
            assertThat(find(checks, "port").fix()).contains("server.port");
            assertThat(find(checks, "account A").level()).isEqualTo(Doctor.Level.INFO);
            assertThat(find(checks, "pool").level()).isEqualTo(Doctor.Level.PROBLEM);
            assertThat(find(checks, "codex key").level()).isEqualTo(Doctor.Level.PROBLEM);
            assertThat(find(checks, "codex key").fix()).contains("codex-relay codex on");
            assertThat(find(checks, "file mode client.key").level()).isEqualTo(Doctor.Level.PROBLEM);
            assertThat(find(checks, "file mode client.key").fix()).isEqualTo("chmod 600 " + relay.resolve("client.key"));
            assertThat(find(checks, "clock").level()).isEqualTo(Doctor.Level.PROBLEM);
            assertThat(checks).allSatisfy(c -> assertThat(c.level() == Doctor.Level.OK || c.fix() != null || c.level() == Doctor.Level.INFO)
                    .as("%s says what to do", c).isTrue());

            Cli.Result r = cli.run("doctor", "--json");
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.out()).contains("\"ok\": false").contains("\"level\": \"problem\"");
            assertThat(r.all()).doesNotContain("sk-test-0123456789abcdefAAAA").doesNotContain(key);
        }
    }

    @Test
    void aSoundHomeHasNoProblemAndStaleAuthIsAWarning() throws Exception {
        Path relay = tmp.resolve("relay"), codex = Files.createDirectories(tmp.resolve("codex"));
        Cli cli = new Cli(relay).env("CODEX_HOME", codex.toString());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(relay);
        Files.writeString(relay.resolve("config.toml"), "[server]\nport = " + port + "\n");
        assertThat(cli.run("accounts", "add-key", "--name", "A", "--key", "sk-test-0123456789abcdefAAAA").exit()).isZero();
        assertThat(cli.run("codex", "on", "--no-start", "--codex-home", codex.toString()).exit()).isZero();
        Path auth = Files.writeString(codex.resolve("auth.json"), "{}");
        Files.setLastModifiedTime(auth, FileTime.from(Instant.now().minus(Duration.ofDays(20))));

        List<Doctor.Check> checks = new Doctor(env(relay, codex), Clock.systemUTC(), null).run();
        assertThat(checks).noneMatch(c -> c.level() == Doctor.Level.PROBLEM);
        assertThat(find(checks, "codex key").level()).isEqualTo(Doctor.Level.OK);
        assertThat(find(checks, "auth.json").level()).isEqualTo(Doctor.Level.WARN);
        assertThat(find(checks, "account A").level()).isEqualTo(Doctor.Level.OK);
        Cli.Result r = cli.run("doctor");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Nothing wrong found.");
    }
}
