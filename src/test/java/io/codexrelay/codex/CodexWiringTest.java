package io.codexrelay.codex;

import io.codexrelay.config.RelayHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import static io.codexrelay.codex.CodexConfigPatchTest.SPEC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CodexWiringTest {
    @TempDir Path tmp;

    private final Clock clock = Clock.fixed(Instant.parse("2025-06-01T10:00:00Z"), ZoneOffset.UTC);

    private CodexWiring wiring() { return new CodexWiring(new RelayHome(tmp.resolve("relay")), clock); }

    private CodexHome codexHome() throws Exception {
        return new CodexHome(Files.createDirectories(tmp.resolve("codex")));
    }

    static void rollout(Path sessions, String day, String id, String provider) throws Exception {
        Path dir = Files.createDirectories(sessions.resolve(day));
        String meta = "{\"timestamp\":\"2025-05-01T10:00:00.000Z\",\"type\":\"session_meta\",\"payload\":{\"id\":\"" + id
                + "\",\"timestamp\":\"2025-05-01T10:00:00.000Z\",\"cwd\":\"/home/me\",\"originator\":\"codex_cli_rs\",\"cli_version\":\"0.169.0\","
                + "\"instructions\":null,\"source\":\"cli\"" + (provider == null ? "" : ",\"model_provider\":\"" + provider + "\"")
                + ",\"git\":{\"commit_hash\":\"abc\",\"branch\":\"main\"}}}";
        Files.writeString(dir.resolve("rollout-2025-05-01T10-00-00-" + id + ".jsonl"),
                meta + "\n{\"timestamp\":\"2025-05-01T10:00:01.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\"hi\"}}\n");
    }

    @Test
    void onThenOffPurgeOnDiskIsByteIdenticalWithBackupsAndKeepsPermissions() throws Exception {
        CodexHome home = codexHome();
        byte[] original = CodexConfigPatchTest.rich().getBytes(StandardCharsets.UTF_8);
        Files.write(home.configFile(), original);
        Files.setPosixFilePermissions(home.configFile(), PosixFilePermissions.fromString("rw-r-----"));
        CodexWiring w = wiring();

        var on = w.on(home, SPEC);
        assertThat(on.changed()).isTrue();
        assertThat(on.backup()).isNotNull().startsWith(w.backupDir());
        assertThat(Files.readAllBytes(on.backup())).isEqualTo(original);
        assertThat(on.view().pointsAtRelay()).isTrue();
        assertThat(Files.getPosixFilePermissions(home.configFile())).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
        assertThat(w.memoryFile()).exists();
        assertThat(Files.readString(w.memoryFile())).doesNotContain(SPEC.clientKey());

        var again = w.on(home, SPEC);
        assertThat(again.changed()).isFalse();
        assertThat(again.backup()).isNull();
        assertThat(w.backups()).hasSize(1);

        var off = w.off(home, true);
        assertThat(off.changed()).isTrue();
        assertThat(Files.readAllBytes(home.configFile())).isEqualTo(original);
        assertThat(w.backups()).hasSize(2);
        assertThat(w.loadMemory(home.configFile()).isEmpty()).isTrue();
    }

    @Test
    void onTightensAWorldReadableConfigBecauseItNowHoldsTheClientKey() throws Exception {
        CodexHome home = codexHome();
        byte[] original = CodexConfigPatchTest.rich().getBytes(StandardCharsets.UTF_8);
        Files.write(home.configFile(), original);
        Files.setPosixFilePermissions(home.configFile(), PosixFilePermissions.fromString("rw-r--r--"));
        var on = wiring().on(home, SPEC);
        assertThat(Files.getPosixFilePermissions(home.configFile())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(String.join("\n", on.notes())).contains("rw-r--r--", "rw-------", on.backup().toString())
                .doesNotContain(SPEC.clientKey());
        assertThat(Files.readAllBytes(on.backup())).isEqualTo(original);
    }

    @Test
    void aReplacedClientKeyIsWrittenIntoAConfigWiredToTheRelayOnly() throws Exception {
        CodexHome home = codexHome();
        Files.writeString(home.configFile(), CodexConfigPatchTest.rich());
        CodexWiring w = wiring();
        w.on(home, SPEC);
        String newKey = "crk_" + "b".repeat(48);
        var out = w.refreshClientKey(home, newKey);
        assertThat(out).isNotNull();
        assertThat(out.backup()).exists();
        var view = CodexConfigPatch.inspect(Files.readString(home.configFile()), "t");
        assertThat(view.relayClientKey()).isEqualTo(newKey);
        assertThat(view.relayBaseUrl()).isEqualTo(SPEC.baseUrl());
        assertThat(w.refreshClientKey(home, newKey)).isNull();
        // Off: the user pointed Codex elsewhere; a new key must not route it back through the relay.
        w.off(home, false);
        byte[] offBytes = Files.readAllBytes(home.configFile());
        assertThat(w.refreshClientKey(home, "crk_" + "c".repeat(48))).isNull();
        assertThat(Files.readAllBytes(home.configFile())).isEqualTo(offBytes);
    }

    @Test
    void offRestoresTheRememberedProviderAcrossRuns() throws Exception {
        CodexHome home = codexHome();
        String original = CodexConfigPatchTest.withProvider(CodexConfigPatchTest.rich(), "model_provider = \"azure\"");
        Files.writeString(home.configFile(), original);
        wiring().on(home, SPEC);
        // a new instance (a later CLI run) reads the memory from the relay home
        var off = wiring().off(home, false);
        assertThat(off.view().modelProvider()).isEqualTo("azure");
        assertThat(off.view().relayTablePresent()).isTrue();
        assertThat(Files.readString(home.configFile())).startsWith(original);
    }

    @Test
    void aBrokenFileIsNeverTouched() throws Exception {
        CodexHome home = codexHome();
        String broken = "# mine\nmodel = \"o3\"\n[mcp_servers.x\ncommand = \"npx\"\n";
        Files.writeString(home.configFile(), broken);
        CodexWiring w = wiring();
        assertThatThrownBy(() -> w.on(home, SPEC)).isInstanceOf(CodexConfigException.class)
                .hasMessageContaining(home.configFile() + ":3:").hasMessageContaining("not changed");
        assertThatThrownBy(() -> w.off(home, true)).isInstanceOf(CodexConfigException.class);
        assertThat(Files.readString(home.configFile())).isEqualTo(broken);
        assertThat(w.backups()).isEmpty();
        assertThat(w.memoryFile()).doesNotExist();
    }

    @Test
    void createsAMissingConfigOwnerOnly() throws Exception {
        CodexHome home = new CodexHome(tmp.resolve("fresh-codex"));
        var on = wiring().on(home, SPEC);
        assertThat(on.created()).isTrue();
        assertThat(on.backup()).isNull();
        assertThat(Files.getPosixFilePermissions(home.configFile())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(CodexConfigPatch.inspect(Files.readString(home.configFile()), "x").pointsAtRelay()).isTrue();
        wiring().off(home, true);
        assertThat(Files.readString(home.configFile())).isEmpty();
    }

    @Test
    void onAndOffSayHowManySessionsTheSwitchHides() throws Exception {
        CodexHome home = codexHome();
        Files.writeString(home.configFile(), "model = \"o3\"\n");
        rollout(home.sessionsDir(), "2025/05/01", "11111111-1111-1111-1111-111111111111", "openai");
        rollout(home.sessionsDir(), "2025/05/02", "22222222-2222-2222-2222-222222222222", "openai");
        rollout(home.sessionsDir(), "2025/05/02", "33333333-3333-3333-3333-333333333333", "codex-relay");
        rollout(home.sessionsDir(), "2025/05/03", "44444444-4444-4444-4444-444444444444", null);

        var on = wiring().on(home, SPEC);
        assertThat(on.notes()).contains("2 sessions recorded under provider 'openai' will not show in `codex resume` while Codex "
                + "points at the relay; `codex-relay sessions retag` can bring them along.");
        var off = wiring().off(home, false);
        assertThat(off.notes()).anySatisfy(n -> assertThat(n)
                .startsWith("1 session recorded under provider 'codex-relay' will not show in `codex resume` while Codex points at 'openai'")
                .contains("codex resume -c model_provider=codex-relay").contains("sessions retag --from codex-relay"));
    }

    @Test
    void describeListsSeveralProviders() {
        assertThat(CodexWiring.describe(new java.util.TreeMap<>(Map.of("openai", 214, "azure", 3))))
                .isEqualTo("217 sessions recorded under providers 3 'azure', 214 'openai'");
    }
}
