package io.codexrelay.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.testing.ApacheDav;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.CodexAuth;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two relay homes (two "machines") share their accounts through a real WebDAV server (Apache mod_dav on loopback):
 * an added account, a removed one and a refreshed token travel; a wrong passphrase and a damaged file are refused with
 * a clear message and change nothing here; export/import shows a dry run first and keeps newer tokens.
 */
class WebDavSyncTest {
    private static final String PASS = "correct horse battery staple";
    private static ApacheDav dav;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void startDav() throws Exception {
        if (ApacheDav.binary() == null) {
            assumeTrue("true".equals(System.getenv("CI")) ? fail() : false, "apache2 not installed; .ci/run installs apache2-bin");
        }
        dav = ApacheDav.start();
    }

    private static boolean fail() {
        throw new AssertionError("apache2 (Debian apache2-bin) is required in CI for the WebDAV tests");
    }

    @AfterAll
    static void stopDav() throws Exception {
        if (dav != null) dav.close();
    }

    private Cli machine(Path dir) {
        return new Cli(dir).env("PASS", PASS).env("DAVPW", ApacheDav.PASSWORD).env("KEY1", "sk-test-key-one-1111")
                .env("CODEX_RELAY_SYNC_PASSPHRASE", "").env("CODEX_RELAY_SYNC_PASSWORD", "");
    }

    private Map<String, JsonNode> accounts(Cli cli) throws Exception {
        Cli.Result r = cli.run("accounts", "list", "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        Map<String, JsonNode> m = new HashMap<>();
        for (JsonNode n : json.readTree(r.out())) m.put(n.get("name").asText(), n);
        return m;
    }

    private static void writeAuth(Path codexHome, String accountId, String access, String refresh, String lastRefresh) throws Exception {
        Files.createDirectories(codexHome);
        Files.writeString(codexHome.resolve("auth.json"), "{\"auth_mode\":\"chatgpt\",\"OPENAI_API_KEY\":null,\"tokens\":{\"id_token\":\""
                + CodexAuth.idToken("pat@example.com", "pro", accountId) + "\",\"access_token\":\"" + access + "\",\"refresh_token\":\""
                + refresh + "\",\"account_id\":\"" + accountId + "\"},\"last_refresh\":\"" + lastRefresh + "\"}");
    }

    @Test
    void twoMachinesShareAddedRemovedAndRefreshedAccounts(@TempDir Path tmp) throws Exception {
        String url = dav.url("/relay/accounts.crypt");
        Cli a = machine(tmp.resolve("a")), b = machine(tmp.resolve("b"));
        assertThat(a.run("accounts", "add-key", "--name", "k1", "--key-env", "KEY1").exit()).isZero();
        writeAuth(tmp.resolve("codex-a"), "acct-pat", "access-old-AAAA", "refresh-old", "2026-01-01T00:00:00Z");
        Cli.Result imp = a.run("accounts", "import-codex", "--codex-home", tmp.resolve("codex-a").toString(), "--name", "pat");
        assertThat(imp.exit()).as(imp.toString()).isZero();

        for (Cli m : new Cli[] {a, b}) {
            Cli.Result s = m.run("sync", "setup", "--url", url, "--user", ApacheDav.USER, "--password-env", "DAVPW", "--passphrase-env", "PASS");
            assertThat(s.exit()).as(s.toString()).isZero();
        }
        Cli.Result first = a.run("sync", "now");
        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(first.out()).contains("shared file created with 2 account(s)");
        byte[] stored = dav.stored("/relay/accounts.crypt");
        assertThat(new String(stored, StandardCharsets.UTF_8)).contains("AES-256-GCM").doesNotContain("sk-test-key-one")
                .doesNotContain("access-old");

        // the second machine gets both accounts
        Cli.Result pull = b.run("sync", "now");
        assertThat(pull.exit()).as(pull.toString()).isZero();
        assertThat(accounts(b)).containsKeys("k1", "pat");
        assertThat(accounts(b).get("pat").get("secretHint").asText()).endsWith("AAAA");

        // removed on A -> removed on B
        assertThat(a.run("accounts", "remove", "k1").exit()).isZero();
        assertThat(a.run("sync", "now").exit()).isZero();
        Cli.Result removed = b.run("sync", "now");
        assertThat(removed.out()).contains("k1: remove");
        assertThat(accounts(b)).doesNotContainKey("k1").containsKey("pat");

        // refreshed on B -> A takes the newer tokens
        writeAuth(tmp.resolve("codex-b"), "acct-pat", "access-new-BBBB", "refresh-new", "2026-02-01T00:00:00Z");
        assertThat(b.run("accounts", "import-codex", "--codex-home", tmp.resolve("codex-b").toString()).exit()).isZero();
        Cli.Result pushed = b.run("sync", "now");
        assertThat(pushed.exit()).as(pushed.toString()).isZero();
        Cli.Result refreshed = a.run("sync", "now");
        assertThat(refreshed.out()).contains("pat: update").contains("newer tokens");
        assertThat(accounts(a).get("pat").get("secretHint").asText()).endsWith("BBBB");
        Cli.Result status = a.run("sync", "status");
        assertThat(status.out()).contains("Last sync:").doesNotContain(ApacheDav.PASSWORD).doesNotContain(PASS);

        // a new account on B arrives on A
        assertThat(b.run("accounts", "add-key", "--name", "k2", "--key-env", "KEY1").exit()).isZero();
        assertThat(b.run("sync", "now").exit()).isZero();
        assertThat(a.run("sync", "now").exit()).isZero();
        assertThat(accounts(a)).containsKeys("k2", "pat");
    }

    @Test
    void wrongPassphraseAndDamagedFileAreRefusedAndChangeNothing(@TempDir Path tmp) throws Exception {
        String url = dav.url("/refuse/accounts.crypt");
        Cli a = machine(tmp.resolve("a"));
        Cli b = machine(tmp.resolve("b")).env("PASS", "another passphrase entirely");
        assertThat(a.run("accounts", "add-key", "--name", "k1", "--key-env", "KEY1").exit()).isZero();
        for (Cli m : new Cli[] {a, b})
            assertThat(m.run("sync", "setup", "--url", url, "--user", ApacheDav.USER, "--password-env", "DAVPW", "--passphrase-env", "PASS").exit()).isZero();
        assertThat(a.run("sync", "now").exit()).isZero();

        Cli.Result wrong = b.run("sync", "now");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("Wrong passphrase").contains("Nothing was changed here").doesNotContain("another passphrase");
        assertThat(accounts(b)).isEmpty();
        assertThat(b.run("sync", "status").out()).contains("Last error: Wrong passphrase");

        dav.overwrite("/refuse/accounts.crypt", "{\"format\":\"codex-relay-accounts\",\"version\":1,\"kdf\":{}}".getBytes(StandardCharsets.UTF_8));
        Cli.Result damaged = a.run("sync", "now");
        assertThat(damaged.exit()).isEqualTo(1);
        assertThat(damaged.err()).contains("damaged").contains("Nothing was changed here");
        assertThat(accounts(a)).containsOnlyKeys("k1");
    }

    @Test
    void exportImportShowsADryRunAndKeepsNewerTokens(@TempDir Path tmp) throws Exception {
        Cli a = machine(tmp.resolve("a")), c = machine(tmp.resolve("c"));
        writeAuth(tmp.resolve("codex-a"), "acct-pat", "access-old-AAAA", "refresh-old", "2026-01-01T00:00:00Z");
        assertThat(a.run("accounts", "import-codex", "--codex-home", tmp.resolve("codex-a").toString(), "--name", "pat").exit()).isZero();
        assertThat(a.run("accounts", "add-key", "--name", "k1", "--key-env", "KEY1").exit()).isZero();
        assertThat(a.run("accounts", "set", "k1", "--websocket", "on").exit()).isZero();
        Path file = tmp.resolve("accounts.crypt");
        Cli.Result ex = a.run("accounts", "export", "--to", file.toString(), "--passphrase-env", "PASS");
        assertThat(ex.exit()).as(ex.toString()).isZero();
        assertThat(Files.readString(file)).doesNotContain("sk-test-key-one").doesNotContain("refresh-old");

        Cli.Result dry = c.run("accounts", "import", file.toString(), "--passphrase-env", "PASS");
        assertThat(dry.exit()).as(dry.toString()).isZero();
        assertThat(dry.out()).contains("Would import").contains("pat").contains("add").contains("--yes");
        assertThat(accounts(c)).isEmpty();
        assertThat(c.run("accounts", "import", file.toString(), "--passphrase-env", "PASS", "--yes").exit()).isZero();
        assertThat(accounts(c)).containsKeys("pat", "k1");
        assertThat(accounts(c).get("k1").get("websocket").asBoolean()).as("the key's own WebSocket setting came along").isTrue();
        assertThat(accounts(c).get("pat").get("websocket").isNull()).isTrue();

        // c refreshes; importing the older file again keeps c's newer tokens
        writeAuth(tmp.resolve("codex-c"), "acct-pat", "access-new-CCCC", "refresh-new", "2026-03-01T00:00:00Z");
        assertThat(c.run("accounts", "import-codex", "--codex-home", tmp.resolve("codex-c").toString()).exit()).isZero();
        Cli.Result again = c.run("accounts", "import", file.toString(), "--passphrase-env", "PASS", "--yes");
        assertThat(again.out()).contains("keep-local").contains("newer");
        assertThat(accounts(c).get("pat").get("secretHint").asText()).endsWith("CCCC");

        Cli.Result wrong = c.env("PASS", "not the right one at all").run("accounts", "import", file.toString(), "--passphrase-env", "PASS", "--yes");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("Wrong passphrase");
        Files.write(file, "garbage".getBytes(StandardCharsets.UTF_8));
        Cli.Result garbage = c.run("accounts", "import", file.toString(), "--passphrase-env", "PASS", "--yes");
        assertThat(garbage.exit()).isEqualTo(1);
        assertThat(garbage.err()).contains("not a codex-relay accounts file");
        assertThat(accounts(c).get("pat").get("secretHint").asText()).endsWith("CCCC");
    }
}
