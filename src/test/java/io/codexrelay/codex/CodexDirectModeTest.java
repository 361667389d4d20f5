package io.codexrelay.codex;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.account.CodexAuthExport;
import io.codexrelay.account.CodexAuthFile;
import io.codexrelay.account.Credentials;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.TestAccounts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static io.codexrelay.codex.CodexConfigPatchTest.SPEC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CodexDirectModeTest {
    @TempDir Path tmp;
    final Clock clock = Clock.fixed(Instant.parse("2030-01-01T10:00:00Z"), ZoneOffset.UTC);

    static Credentials.ChatGptTokens tokens(String refresh) {
        return new Credentials.ChatGptTokens(TestAccounts.idToken("a@example.com", "acct-a", "plus"),
                TestAccounts.accessToken("a", Instant.parse("2100-01-01T00:00:00Z")), refresh, "acct-a",
                Instant.parse("2030-01-01T09:00:00Z"));
    }

    CodexDirectMode direct() { return new CodexDirectMode(new RelayHome(tmp.resolve("relay")), clock); }

    @Test
    void applyWritesCodexsAuthAndLeavesTheRelayThenUndoRestoresBothFilesByteForByte() throws Exception {
        CodexHome home = new CodexHome(Files.createDirectories(tmp.resolve("codex")));
        Files.writeString(home.configFile(), CodexConfigPatchTest.rich());
        new CodexWiring(new RelayHome(tmp.resolve("relay")), clock).on(home, SPEC);
        Files.setPosixFilePermissions(home.configFile(), PosixFilePermissions.fromString("rw-r-----"));
        byte[] configBefore = Files.readAllBytes(home.configFile());
        byte[] authBefore = CodexAuthExport.authJson(new Credentials.ApiKey("sk-old-user-key-0000", null), clock.instant())
                .getBytes(StandardCharsets.UTF_8);
        Files.write(home.authFile(), authBefore);

        CodexDirectMode d = direct();
        var applied = d.apply(home, "A", tokens("rt-1"));
        assertThat(applied.effectiveProvider()).isEqualTo("openai");
        assertThat(d.isApplied(home)).isTrue();
        assertThat(CodexConfigPatch.inspect(Files.readString(home.configFile()), "t").pointsAtRelay()).isFalse();
        var json = new ObjectMapper().readTree(home.authFile().toFile());
        assertThat(json.get("auth_mode").asText()).isEqualTo("chatgpt");
        assertThat(json.get("tokens").get("refresh_token").asText()).isEqualTo("rt-1");
        assertThat(json.get("tokens").get("account_id").asText()).isEqualTo("acct-a");
        assertThat(Files.getPosixFilePermissions(home.authFile())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readAllBytes(applied.authBackup())).isEqualTo(authBefore);
        assertThat(Files.readAllBytes(applied.configBackup())).isEqualTo(configBefore);
        assertThat(Files.readString(d.recordFile())).doesNotContain("rt-1");

        // A second account on top keeps the first backups: undo returns to before direct mode.
        d.apply(home, "B", new Credentials.ApiKey("sk-b-000000000000", null));
        assertThat(CodexAuthFile.read(home.dir()).credentials()).isInstanceOf(Credentials.ApiKey.class);

        var undone = d.undo(home);
        assertThat(undone.accountName()).isEqualTo("B");
        assertThat(Files.readAllBytes(home.configFile())).isEqualTo(configBefore);
        assertThat(Files.readAllBytes(home.authFile())).isEqualTo(authBefore);
        assertThat(Files.getPosixFilePermissions(home.configFile())).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
        assertThat(d.isApplied(home)).isFalse();
        assertThatThrownBy(() -> d.undo(home)).isInstanceOf(CodexConfigException.class).hasMessageContaining("nothing to undo");
    }

    @Test
    void undoRemovesFilesThatDidNotExistBefore() throws Exception {
        CodexHome home = new CodexHome(tmp.resolve("fresh-codex"));
        CodexDirectMode d = direct();
        d.apply(home, "A", tokens("rt-1"));
        assertThat(home.authFile()).exists();
        d.undo(home);
        assertThat(home.authFile()).doesNotExist();
        assertThat(home.configFile()).doesNotExist();
    }

    @Test
    void aRefreshTokenRotatedByCodexIsReportedForReimportNotReused() throws Exception {
        CodexHome home = new CodexHome(tmp.resolve("codex"));
        CodexDirectMode d = direct();
        d.apply(home, "A", tokens("rt-1"));
        assertThat(d.check(home, tokens("rt-1")).state()).isEqualTo(CodexDirectMode.Check.State.SAME);

        // Codex refreshed the login on its own: auth.json now holds rt-2, the relay's rt-1 is spent.
        Files.writeString(home.authFile(), CodexAuthExport.authJson(tokens("rt-2"), clock.instant()));
        var check = d.check(home, tokens("rt-1"));
        assertThat(check.reimportNeeded()).isTrue();
        assertThat(((Credentials.ChatGptTokens) check.codexCredentials()).refreshToken()).isEqualTo("rt-2");

        // The user logged in with another account: not ours to re-import.
        Files.writeString(home.authFile(), CodexAuthExport.authJson(new Credentials.ChatGptTokens(
                TestAccounts.idToken("z@example.com", "acct-z", "pro"), "at-z", "rt-z", "acct-z", null), clock.instant()));
        assertThat(d.check(home, tokens("rt-1")).state()).isEqualTo(CodexDirectMode.Check.State.OTHER_LOGIN);
        assertThat(d.check(home, new Credentials.ApiKey("sk-x", null)).state()).isEqualTo(CodexDirectMode.Check.State.NOT_APPLICABLE);
    }

    @Test
    void aKeyForAnotherEndpointIsRefusedBeforeAnythingChanges() throws Exception {
        CodexHome home = new CodexHome(Files.createDirectories(tmp.resolve("codex")));
        Files.writeString(home.configFile(), "model = \"gpt-5\"\n");
        assertThatThrownBy(() -> direct().apply(home, "Z", new Credentials.ApiKey("sk-z", "https://example.test/v1")))
                .isInstanceOf(CodexConfigException.class).hasMessageContaining("Choose another account").hasMessageNotContaining("sk-z");
        assertThat(Files.readString(home.configFile())).isEqualTo("model = \"gpt-5\"\n");
        assertThat(home.authFile()).doesNotExist();
    }
}
