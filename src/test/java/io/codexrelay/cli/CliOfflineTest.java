package io.codexrelay.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.account.Credentials;
import io.codexrelay.store.Database;
import io.codexrelay.store.RelayState;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.CodexAuth;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI without a daemon: it works on relay.db and config.toml directly. */
class CliOfflineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-proj-OFFLINEsecretKEY0123456789abcdWXYZ";

    @TempDir Path home;
    Cli cli;

    @BeforeEach
    void setUp() {
        cli = new Cli(home.resolve("relay"));
    }

    @Test
    void addKeyListAndJsonNeverShowTheKey() throws Exception {
        var add = cli.env("MY_KEY", KEY).run("accounts", "add-key", "--name", "work", "--key-env", "MY_KEY",
                "--base-url", "https://llm.example.com/v1/", "--priority", "5", "--max-concurrent", "8");
        assertThat(add.exit()).as(add.toString()).isZero();
        assertThat(add.out()).contains("Added 'work'").contains("…WXYZ").contains("relay not running");

        var list = cli.run("accounts", "list");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains("work").contains("api-key").contains("https://llm.example.com/v1").contains("…WXYZ");

        var json = cli.run("accounts", "list", "--json");
        JsonNode arr = JSON.readTree(json.out());
        assertThat(arr.isArray()).isTrue();
        JsonNode a = arr.get(0);
        assertThat(a.get("name").asText()).isEqualTo("work");
        assertThat(a.get("kind").asText()).isEqualTo("api-key");
        assertThat(a.get("baseUrl").asText()).isEqualTo("https://llm.example.com/v1");
        assertThat(a.get("priority").asInt()).isEqualTo(5);
        assertThat(a.get("maxConcurrent").asInt()).isEqualTo(8);
        assertThat(a.get("secretHint").asText()).isEqualTo("…WXYZ");
        assertThat(a.get("state").asText()).isEqualTo("ready");
        assertThat(a.has("quota")).isTrue();

        for (var r : new Cli.Result[] {add, list, json, cli.run("status"), cli.run("status", "--json")}) {
            assertThat(r.all()).doesNotContain(KEY).doesNotContain(KEY.substring(0, KEY.length() - 4));
        }
    }

    @Test
    void keyFromStdinAndFromTheCommandLine() {
        var viaStdin = cli.stdin(KEY + "\n").run("accounts", "add-key", "--name", "piped", "--key-stdin");
        assertThat(viaStdin.exit()).as(viaStdin.toString()).isZero();
        var direct = cli.run("accounts", "add-key", "--name", "direct", "--key", "sk-other-0123456789-TAIL");
        assertThat(direct.exit()).isZero();
        assertThat(direct.all()).doesNotContain("sk-other-0123456789-TAIL");
        assertThat(cli.run("accounts", "list").out()).contains("piped").contains("direct").contains("…TAIL");
        // the same key twice is refused, naming the existing account, not the key
        var again = cli.stdin(KEY).run("accounts", "add-key", "--name", "again", "--key-stdin");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already in the pool as 'piped'").doesNotContain(KEY);
    }

    @Test
    void usageErrorsExitTwoAndFailuresExitOne() {
        var noKey = cli.run("accounts", "add-key", "--name", "x");
        assertThat(noKey.exit()).isEqualTo(2);
        assertThat(noKey.err()).contains("--key");

        var unsetEnv = cli.run("accounts", "add-key", "--name", "x", "--key-env", "NOT_SET_ANYWHERE");
        assertThat(unsetEnv.exit()).isEqualTo(2);
        assertThat(unsetEnv.err()).contains("NOT_SET_ANYWHERE is not set");

        assertThat(cli.run("bogus").exit()).isEqualTo(2);

        var unknown = cli.run("use", "nobody");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("No account named 'nobody'").contains("import-codex");

        cli.run("accounts", "add-key", "--name", "dup", "--key", "sk-dup-0123456789abcdef");
        var dup = cli.run("accounts", "add-key", "--name", "dup", "--key", "sk-dup-other-0123456789");
        assertThat(dup.exit()).isEqualTo(1);
        assertThat(dup.err()).contains("already exists");
    }

    @Test
    void importCodexChatGptThenReimportUpdatesTokensInPlace() throws Exception {
        Path codex = home.resolve("codex");
        CodexAuth.writeChatGpt(codex, "alice@example.com", "plus", "acc-1", "access-token-ONE-0123456789", "refresh-token-ONE-0123456789");
        var first = cli.run("accounts", "import-codex", "--codex-home", codex.toString());
        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(first.out()).contains("Imported 'alice'").contains("chatgpt").contains("alice@example.com").contains("plus");

        assertThat(cli.run("accounts", "set", "alice", "--priority", "7").exit()).isZero();

        CodexAuth.writeChatGpt(codex, "alice@example.com", "pro", "acc-1", "access-token-TWO-0123456789", "refresh-token-TWO-0123456789");
        var second = cli.env("CODEX_HOME", codex.toString()).run("accounts", "import-codex", "--name", "ignored-on-update");
        assertThat(second.exit()).as(second.toString()).isZero();
        assertThat(second.out()).contains("Updated 'alice'");

        try (Database db = new Database(home.resolve("relay/relay.db"))) {
            var accounts = new AccountRepository(db, Clock.systemUTC()).list();
            assertThat(accounts).hasSize(1);
            var a = accounts.get(0);
            assertThat(a.name()).isEqualTo("alice");
            assertThat(a.priority()).isEqualTo(7);
            assertThat(a.plan()).isEqualTo("pro");
            assertThat(((Credentials.ChatGptTokens) a.credentials()).accessToken()).isEqualTo("access-token-TWO-0123456789");
        }
        for (var r : new Cli.Result[] {first, second, cli.run("accounts", "list"), cli.run("accounts", "list", "--json")}) {
            assertThat(r.all()).doesNotContain("access-token-").doesNotContain("refresh-token-");
        }
    }

    @Test
    void importCodexApiKeyGetsACodexNName() throws Exception {
        Path codex = home.resolve("codex-key");
        CodexAuth.writeApiKey(codex, "sk-from-codex-0123456789-LAST");
        var r = cli.run("accounts", "import-codex", "--codex-home", codex.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("'codex-1'").contains("api-key").contains("…LAST").doesNotContain("sk-from-codex");

        var missing = cli.run("accounts", "import-codex", "--codex-home", home.resolve("nowhere").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("codex login");
    }

    @Test
    void useAutoPauseResumeAreStoredForTheNextStart() throws Exception {
        cli.run("accounts", "add-key", "--name", "A", "--key", "sk-a-0123456789abcdef");
        cli.run("accounts", "add-key", "--name", "B", "--key", "sk-b-0123456789abcdef");

        var use = cli.run("use", "B");
        assertThat(use.exit()).as(use.toString()).isZero();
        JsonNode s = JSON.readTree(cli.run("status", "--json").out());
        assertThat(s.get("daemonRunning").asBoolean()).isFalse();
        assertThat(s.get("pinned").asText()).isEqualTo("B");
        assertThat(s.get("autoSwitch").asBoolean()).isFalse();
        assertThat(stored(RelayState.PINNED_ACCOUNT)).isEqualTo("B");

        assertThat(cli.run("pause").exit()).isZero();
        assertThat(JSON.readTree(cli.run("status", "--json").out()).get("paused").asBoolean()).isTrue();
        assertThat(cli.run("status").out()).contains("PAUSED").contains("not running");
        assertThat(cli.run("resume").exit()).isZero();
        assertThat(JSON.readTree(cli.run("status", "--json").out()).get("paused").asBoolean()).isFalse();

        assertThat(cli.run("auto").exit()).isZero();
        s = JSON.readTree(cli.run("status", "--json").out());
        assertThat(s.get("pinned").isNull()).isTrue();
        assertThat(s.get("autoSwitch").asBoolean()).isTrue();
        assertThat(stored(RelayState.PINNED_ACCOUNT)).isNull();
    }

    @Test
    void disablingOrRemovingThePinnedAccountUnpinsIt() throws Exception {
        cli.run("accounts", "add-key", "--name", "A", "--key", "sk-a-0123456789abcdef");
        cli.run("use", "A");
        var off = cli.run("accounts", "set", "A", "--disable");
        assertThat(off.exit()).as(off.toString()).isZero();
        assertThat(stored(RelayState.PINNED_ACCOUNT)).isNull();
        var refused = cli.run("use", "A");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("disabled").contains("--enable");

        assertThat(cli.run("accounts", "set", "A", "--enable").exit()).isZero();
        cli.run("use", "A");
        var rm = cli.run("accounts", "remove", "A");
        assertThat(rm.exit()).isZero();
        assertThat(stored(RelayState.PINNED_ACCOUNT)).isNull();
        assertThat(cli.run("accounts", "list").out()).contains("No accounts yet");
        assertThat(cli.run("accounts", "set", "A").exit()).isEqualTo(2);
    }

    @Test
    void aBadConfigStopsEveryCommandWithOneClearMessage() throws Exception {
        Path relay = home.resolve("relay");
        Files.createDirectories(relay);
        Files.writeString(relay.resolve("config.toml"), "[server]\nprot = 1234\n");
        for (String[] args : new String[][] {{"accounts", "list"}, {"serve", "--port", "0"}, {"status"}}) {
            var r = cli.run(args);
            assertThat(r.exit()).as(r.toString()).isEqualTo(2);
            assertThat(r.err()).contains(relay.resolve("config.toml") + ":2: ").contains("server.prot").contains("did you mean 'port'");
            assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
        }
    }

    @Test
    void firstUseCreatesTheConfigWithCommentedDefaults() throws Exception {
        assertThat(cli.run("status").exit()).isZero();
        String text = Files.readString(home.resolve("relay/config.toml"));
        assertThat(text).contains("[server]").contains("# port = 17771").contains("# max_body_mb = 32");
    }

    private String stored(String key) throws Exception {
        try (Database db = new Database(home.resolve("relay/relay.db"))) {
            return new RelayState(db).get(key).orElse(null);
        }
    }

    @Test
    void aStaleAdminFileFromACrashedDaemonIsIgnored() throws Exception {
        Path relay = home.resolve("relay");
        Files.createDirectories(relay);
        int deadPort;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        Files.writeString(relay.resolve("admin.json"), "{\"pid\":999999,\"host\":\"127.0.0.1\",\"port\":" + deadPort
                + ",\"token\":\"stale\",\"version\":\"0.1.0\"}");
        var r = cli.run("status", "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(JSON.readTree(r.out()).get("daemonRunning").asBoolean()).isFalse();
        assertThat(cli.run("logs", "tail").out()).contains("No requests logged yet.");
        // codex on does not point Codex at the dead daemon's port, and says why it used the configured one
        var on = cli.run("codex", "on", "--no-start", "--codex-home", Files.createDirectories(home.resolve("codex")).toString());
        assertThat(on.exit()).as(on.toString()).isZero();
        assertThat(on.out()).contains("relay at http://127.0.0.1:17771/v1").doesNotContain(":" + deadPort + "/v1")
                .contains("Port 17771: server.port in").contains("did not answer");
    }

    @Test
    void serveOnABusyPortSaysSoAndExitsOne() throws Exception {
        try (var busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            var r = cli.run("serve", "--port", Integer.toString(busy.getLocalPort()));
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).contains(Integer.toString(busy.getLocalPort())).contains("server.port");
            assertThat(r.err()).doesNotContain("\tat ");
        }
        // nothing was left behind that would make the CLI think a daemon runs
        assertThat(Files.exists(home.resolve("relay/admin.json"))).isFalse();
        assertThat(io.codexrelay.platform.SingleInstance.holder(home.resolve("relay/daemon.lock"))).isEmpty();
    }

    @Test
    void codexCommandsSeeTheContextsEnvironmentNotTheProcesss() throws Exception {
        Path codex = home.resolve("codex-home");
        Files.createDirectories(codex);
        var r = cli.env("CODEX_HOME", codex.toString()).run("codex", "status");
        assertThat(r.all()).contains(codex.toString());
    }
}
