package io.codexrelay.cli;

import io.codexrelay.codex.CodexConfigPatch;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.CodexAuth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code switch [NAME]}, {@code switch --undo} and a true {@code codex off}, offline (no daemon), issue 9. */
class SwitchCommandTest {
    private static final String KEY_A = "sk-switch-a-00000000000000000000AAAA", KEY_B = "sk-switch-b-00000000000000000000BBBB",
            KEY_FAR = "sk-switch-far-000000000000000000FARR", USERS_KEY = "sk-users-own-0000000000000000000USER";

    private static final String RICH_CONFIG = """
            # My Codex settings (hand-written; please keep the comments)
            model = "gpt-5-codex"        # the model I like
            approval_policy = "never"

            # Tools ------------------------------------------------------------
            [mcp_servers.docs]
            command = "npx"
            args = ["-y", "@upstash/context7-mcp"]   # pinned
            env = { "DEBUG" = "0" }

            [profiles.work]
            model = "o3"

            # trailing comment, no newline at the end""";

    @TempDir Path tmp;

    private Cli cli() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); } // nothing listens: no relay running
        Path relay = Files.createDirectories(tmp.resolve("relay"));
        if (!Files.exists(relay.resolve("config.toml"))) Files.writeString(relay.resolve("config.toml"), "[server]\nport = " + port + "\n");
        return new Cli(relay).env("CODEX_HOME", tmp.resolve("codex").toString());
    }

    @Test
    void switchHandsTheAccountWithTheMostHeadroomAndUndoPutsBothFilesBackByteForByte() throws Exception {
        Cli cli = cli();
        assertThat(cli.env("K", KEY_FAR).run("accounts", "add-key", "--name", "far", "--key-env", "K", "--base-url",
                "https://llm.example.com/v1", "--priority", "1").exit()).isZero();
        assertThat(cli.env("K", KEY_A).run("accounts", "add-key", "--name", "A", "--key-env", "K", "--priority", "50").exit()).isZero();
        assertThat(cli.env("K", KEY_B).run("accounts", "add-key", "--name", "B", "--key-env", "K", "--priority", "10").exit()).isZero();
        Path codex = Files.createDirectories(tmp.resolve("codex"));
        Files.writeString(codex.resolve("config.toml"), RICH_CONFIG);
        CodexAuth.writeApiKey(codex, USERS_KEY);
        assertThat(cli.run("codex", "on", "--no-start").exit()).isZero();
        byte[] configBefore = Files.readAllBytes(codex.resolve("config.toml"));
        byte[] authBefore = Files.readAllBytes(codex.resolve("auth.json"));

        // No name: "far" has the best priority but Codex's own provider cannot reach its API; B beats A on priority.
        var best = cli.run("switch");
        assertThat(best.exit()).as(best.toString()).isZero();
        assertThat(best.out()).contains("Codex now uses B directly").contains("Chose B");
        assertThat(Files.readString(codex.resolve("auth.json"))).contains(KEY_B);
        assertThat(CodexConfigPatch.inspect(Files.readString(codex.resolve("config.toml")), "x").pointsAtRelay()).isFalse();

        var named = cli.run("switch", "A");
        assertThat(named.exit()).as(named.toString()).isZero();
        assertThat(Files.readString(codex.resolve("auth.json"))).contains(KEY_A).doesNotContain(KEY_B);

        var far = cli.run("switch", "far");
        assertThat(far.exit()).isEqualTo(1);
        assertThat(far.err()).contains("llm.example.com").contains("Choose another account");

        var undo = cli.run("switch", "--undo");
        assertThat(undo.exit()).as(undo.toString()).isZero();
        assertThat(undo.out()).contains("as they were before `switch`");
        assertThat(Files.readAllBytes(codex.resolve("config.toml"))).isEqualTo(configBefore);
        assertThat(Files.readAllBytes(codex.resolve("auth.json"))).isEqualTo(authBefore);
        for (var r : new Cli.Result[] {best, named, far, undo}) {
            assertThat(r.all()).doesNotContain(KEY_A).doesNotContain(KEY_B).doesNotContain(USERS_KEY);
        }
        assertThat(cli.run("switch", "--undo").err()).contains("nothing to undo");
    }

    @Test
    void aRefreshTokenCodexRotatedWhileUsedDirectlyIsReimportedNotReused() throws Exception {
        Cli cli = cli();
        String access = CodexAuth.jwt("{\"exp\":4102444800,\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"acct-r\"}}");
        Path origin = tmp.resolve("origin");
        CodexAuth.writeChatGpt(origin, "r@example.com", "plus", "acct-r", access, "rt-relay-old");
        assertThat(cli.run("accounts", "import-codex", "--codex-home", origin.toString(), "--name", "R").exit()).isZero();
        Path codex = Files.createDirectories(tmp.resolve("codex"));

        assertThat(cli.run("switch", "R").exit()).isZero();
        assertThat(Files.readString(codex.resolve("auth.json"))).contains("rt-relay-old");
        // Codex refreshes the login on its own: the refresh token rotates and the relay's copy is spent.
        String access2 = CodexAuth.jwt("{\"exp\":4102444801,\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"acct-r\"}}");
        CodexAuth.writeChatGpt(codex, "r@example.com", "plus", "acct-r", access2, "rt-codex-new");

        var undo = cli.run("switch", "--undo");
        assertThat(undo.exit()).as(undo.toString()).isZero();
        assertThat(undo.out()).contains("Codex had refreshed R's login; the relay now uses those tokens");
        assertThat(undo.all()).doesNotContain("rt-codex-new").doesNotContain(access2);
        assertThat(Files.exists(codex.resolve("auth.json"))).as("there was no auth.json before switch").isFalse();

        // The relay's copy is now Codex's rotated one: exporting it shows the new refresh token, never the spent one.
        Path out = tmp.resolve("exported");
        assertThat(cli.run("accounts", "export-codex", "R", "--codex-home", out.toString()).exit()).isZero();
        assertThat(Files.readString(out.resolve("auth.json"))).contains("rt-codex-new").doesNotContain("rt-relay-old");
    }

    @Test
    void codexOnThenOffLeavesARichlyCommentedConfigByteIdentical() throws Exception {
        Cli cli = cli();
        Path codex = Files.createDirectories(tmp.resolve("codex"));
        Files.writeString(codex.resolve("config.toml"), RICH_CONFIG);
        byte[] original = Files.readAllBytes(codex.resolve("config.toml"));

        assertThat(cli.run("codex", "on", "--no-start").exit()).isZero();
        assertThat(Files.readString(codex.resolve("config.toml"))).contains("[model_providers.codex-relay]");
        var off = cli.run("codex", "off");
        assertThat(off.exit()).as(off.toString()).isZero();
        assertThat(off.out()).contains("Nothing of the relay stays in config.toml");
        assertThat(Files.readAllBytes(codex.resolve("config.toml"))).isEqualTo(original);

        assertThat(cli.run("codex", "on", "--no-start").exit()).isZero();
        var keep = cli.run("codex", "off", "--keep-table");
        assertThat(keep.out()).contains("Kept: the [model_providers.codex-relay] table");
        String kept = Files.readString(codex.resolve("config.toml"));
        assertThat(kept).contains("[model_providers.codex-relay]");
        assertThat(CodexConfigPatch.inspect(kept, "x").pointsAtRelay()).isFalse();
        assertThat(cli.run("codex", "off").exit()).isZero();
        assertThat(Files.readAllBytes(codex.resolve("config.toml"))).isEqualTo(original);
    }

    @Test
    void theStopChoiceIsRemembered() throws Exception {
        Cli cli = cli();
        var set = cli.run("switch", "--on-stop", "direct");
        assertThat(set.exit()).as(set.toString()).isZero();
        assertThat(set.out()).contains("When the relay stops, Codex gets the account with the most headroom directly");
        try (var control = io.codexrelay.app.Controls.open(java.util.Map.of("CODEX_RELAY_HOME", tmp.resolve("relay").toString()),
                java.time.Clock.systemUTC())) {
            assertThat(control.stopChoice()).isEqualTo(io.codexrelay.app.ControlApi.StopChoice.HAND_OVER);
        }
        assertThat(cli.run("switch", "--on-stop", "sometimes").exit()).isEqualTo(2);
    }
}
