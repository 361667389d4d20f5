package io.codexrelay.app;

import io.codexrelay.testing.CodexAuth;
import io.codexrelay.testing.ManualClock;
import io.codexrelay.testing.TestAccounts;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.store.Database;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** doctor's clock checks: the system clock against the upstream's Date header and each token's expiry (injected clocks). */
class ClockSkewTest {
    static final Instant SERVER = Instant.parse("2026-03-10T12:00:00Z");
    @TempDir Path tmp;

    private static Doctor.Check find(List<Doctor.Check> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError("no check " + name + " in " + checks));
    }

    @Test
    void aTokenThatLooksExpiredOnlyBecauseTheClockRunsAheadIsAClockProblem() {
        Instant local = SERVER.plus(Duration.ofMinutes(40));   // this machine runs 40 minutes ahead
        List<Doctor.Check> checks = ClockSkew.checks(local, SERVER, "chatgpt.com", List.of(
                new ClockSkew.Token("account A", SERVER.plus(Duration.ofMinutes(10))),    // valid for 10 m by the server
                new ClockSkew.Token("account B", SERVER.minus(Duration.ofHours(2))),      // expired by both clocks
                new ClockSkew.Token("account C", SERVER.plus(Duration.ofDays(3)))));
        assertThat(find(checks, "clock skew").level()).isEqualTo(Doctor.Level.PROBLEM);
        assertThat(find(checks, "clock skew").found()).contains("40 m ahead of chatgpt.com's");
        Doctor.Check a = find(checks, "token account A");
        assertThat(a.level()).isEqualTo(Doctor.Level.PROBLEM);
        assertThat(a.found()).contains("looks expired").contains("only because the clock is 40 m ahead").contains("valid for 10 m more");
        assertThat(a.fix()).contains("timedatectl set-ntp true").contains("a new login does not help");
        assertThat(find(checks, "token account B").level()).isEqualTo(Doctor.Level.INFO);
        assertThat(find(checks, "token account C").level()).isEqualTo(Doctor.Level.OK);
    }

    @Test
    void aClockBehindMakesAnExpiredTokenLookValid() {
        Instant local = SERVER.minus(Duration.ofMinutes(30));
        List<Doctor.Check> checks = ClockSkew.checks(local, SERVER, "chatgpt.com", List.of(
                new ClockSkew.Token("Codex's auth.json", SERVER.minus(Duration.ofMinutes(5)))));
        assertThat(find(checks, "clock skew").found()).contains("30 m behind chatgpt.com's");
        Doctor.Check t = find(checks, "token Codex's auth.json");
        assertThat(t.level()).isEqualTo(Doctor.Level.PROBLEM);
        assertThat(t.found()).contains("looks valid").contains("expired 5 m ago");
    }

    @Test
    void aRightClockOrAnUnknownServerTimeBlamesNoClock() {
        List<Doctor.Check> right = ClockSkew.checks(SERVER.plusSeconds(3), SERVER, "chatgpt.com",
                List.of(new ClockSkew.Token("account A", SERVER.minus(Duration.ofMinutes(1)))));
        assertThat(find(right, "clock skew").level()).isEqualTo(Doctor.Level.OK);
        assertThat(find(right, "token account A").level()).isEqualTo(Doctor.Level.INFO);   // really expired: refreshed on use
        List<Doctor.Check> unknown = ClockSkew.checks(SERVER, null, "chatgpt.com",
                List.of(new ClockSkew.Token("account A", SERVER.plus(Duration.ofHours(1)))));
        assertThat(unknown).extracting(Doctor.Check::name).containsExactly("token account A");
        assertThat(ClockSkew.parseDate("Tue, 10 Mar 2026 12:00:00 GMT")).contains(SERVER);
        assertThat(ClockSkew.parseDate("yesterday")).isEmpty();
    }

    @Test
    void doctorJudgesCodexsAndTheRelaysTokensByTheUpstreamsDate() throws Exception {
        Path relay = Files.createDirectories(tmp.resolve("relay")), codex = tmp.resolve("codex");
        Instant local = SERVER.plus(Duration.ofHours(1));   // an hour ahead
        CodexAuth.writeChatGpt(codex, "a@example.com", "plus", "acct-1", TestAccounts.accessToken("codex", SERVER.plus(Duration.ofMinutes(30))), "rt-1");
        try (Database db = new Database(relay.resolve("relay.db"))) {
            TestAccounts.insert(new AccountRepository(db, new ManualClock(local)),
                    TestAccounts.chatgpt("A", 100, TestAccounts.accessToken("a", SERVER.plus(Duration.ofDays(2))), "rt-a", "acct-a"));
        }
        Map<String, String> env = Map.of("CODEX_RELAY_HOME", relay.toString(), "CODEX_HOME", codex.toString(), "HOME", tmp.resolve("user").toString());
        List<java.net.URI> asked = new java.util.ArrayList<>();
        List<Doctor.Check> checks = new Doctor(env, new ManualClock(local), null, u -> { asked.add(u); return Optional.of(SERVER); }).run();
        assertThat(asked).singleElement().asString().startsWith("https://chatgpt.com/");
        assertThat(find(checks, "clock skew").level()).isEqualTo(Doctor.Level.PROBLEM);
        assertThat(find(checks, "token Codex's auth.json").level()).isEqualTo(Doctor.Level.PROBLEM);
        assertThat(find(checks, "token Codex's auth.json").found()).contains("only because the clock is 1 h");
        assertThat(find(checks, "token account A").level()).isEqualTo(Doctor.Level.OK);
        assertThat(checks.toString()).doesNotContain("rt-a").doesNotContain("rt-1");

        List<Doctor.Check> offline = new Doctor(env, new ManualClock(local), null, u -> Optional.empty()).run();
        assertThat(find(offline, "clock skew").level()).isEqualTo(Doctor.Level.INFO);
        assertThat(find(offline, "token Codex's auth.json").level()).isEqualTo(Doctor.Level.INFO);   // expired by this clock; no blame
    }
}
