package io.codexrelay.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.PoolDaemon;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code keys create|list|revoke} and {@code connect|disconnect claude-code} against a running daemon. */
class KeysAndConnectTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MESSAGES = "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir Path tmp;
    PoolDaemon d;

    @AfterEach
    void stop() throws Exception {
        if (d != null) d.close();
    }

    HttpResponse<String> messages(String apiKey) throws Exception {
        return d.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.app.port() + "/v1/messages"))
                .header("content-type", "application/json").header("x-api-key", apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(MESSAGES)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aKeyIsShownOnceStoredHashedListedWithItsUseAndRefusedOnceRevoked() throws Exception {
        d = new PoolDaemon(tmp, "").chatgpt("A", 1, null).start();

        Cli.Result made = d.cli.run("keys", "create", "claude-code", "--rpm", "30", "--max-concurrent", "2");
        assertThat(made.exit()).as("%s", made).isZero();
        String key = made.out().trim();
        assertThat(key).startsWith("crk_");

        assertThat(messages(key).statusCode()).isEqualTo(200);
        Cli.Result list = d.cli.run("keys", "list", "--json");
        JsonNode keys = JSON.readTree(list.out());
        assertThat(keys.get(0).path("name").asText()).isEqualTo("codex");
        JsonNode cc = keys.get(1);
        assertThat(cc.path("name").asText()).isEqualTo("claude-code");
        assertThat(cc.path("rpm").asInt()).isEqualTo(30);
        assertThat(cc.path("maxConcurrent").asInt()).isEqualTo(2);
        assertThat(cc.path("requests").asLong()).isEqualTo(1);
        assertThat(list.out()).doesNotContain(key);
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + d.home.database());
             var rs = c.createStatement().executeQuery("SELECT key_hash FROM client_keys")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).hasSize(64).isNotEqualTo(key).doesNotContain(key);
        }

        Cli.Result revoked = d.cli.run("keys", "revoke", "claude-code");
        assertThat(revoked.exit()).as("%s", revoked).isZero();
        HttpResponse<String> refused = messages(key);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(refused.body()).at("/error/type").asText()).isEqualTo("authentication_error");
        assertThat(d.cli.run("keys", "revoke", "claude-code").all()).contains("No active key is named 'claude-code'");
        assertThat(d.cli.run("keys", "create", "codex").all()).contains("Codex's own key");
    }

    @Test
    void connectClaudeCodeWritesItsEnvBlockKeepingEverythingElseAndDisconnectPutsItBack() throws Exception {
        d = new PoolDaemon(tmp, "").chatgpt("A", 1, null).start();
        Path userHome = tmp.resolve("user");
        Path settings = userHome.resolve(".claude/settings.json");
        Files.createDirectories(settings.getParent());
        String original = "{\n  \"model\": \"opus\",\n  \"env\": {\"ANTHROPIC_BASE_URL\": \"https://example.invalid\", \"FOO\": \"bar\"},\n"
                + "  \"permissions\": {\"allow\": [\"Bash(ls:*)\"]}\n}\n";
        Files.writeString(settings, original);
        Cli cli = d.cli.env("HOME", userHome.toString());

        Cli.Result c = cli.run("connect", "claude-code");

        assertThat(c.exit()).as("%s", c).isZero();
        JsonNode s = JSON.readTree(Files.readString(settings));
        assertThat(s.path("model").asText()).isEqualTo("opus");
        assertThat(s.at("/permissions/allow/0").asText()).isEqualTo("Bash(ls:*)");
        assertThat(s.at("/env/FOO").asText()).isEqualTo("bar");
        assertThat(s.at("/env/ANTHROPIC_BASE_URL").asText()).isEqualTo("http://127.0.0.1:" + d.app.port());
        assertThat(s.at("/env/CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC").asText()).isEqualTo("1");
        String key = s.at("/env/ANTHROPIC_AUTH_TOKEN").asText();
        assertThat(messages(key).statusCode()).isEqualTo(200);
        try (var backups = Files.list(d.home.backupsDir())) {
            assertThat(backups.filter(p -> p.getFileName().toString().startsWith("settings.json.")).map(p -> {
                try { return Files.readString(p); } catch (Exception e) { throw new IllegalStateException(e); }
            })).containsExactly(original);
        }
        assertThat(cli.run("connect", "claude-code").all()).contains("connected already");

        Cli.Result off = cli.run("disconnect", "claude-code");

        assertThat(off.exit()).as("%s", off).isZero();
        assertThat(JSON.readTree(Files.readString(settings))).isEqualTo(JSON.readTree(original));
        assertThat(messages(key).statusCode()).isEqualTo(401);
    }

    @Test
    void connectEnvPrintsWhatToPasteWithAWorkingKey() throws Exception {
        d = new PoolDaemon(tmp, "").chatgpt("A", 1, null).start();

        Cli.Result c = d.cli.run("connect", "env");

        assertThat(c.exit()).as("%s", c).isZero();
        assertThat(c.out()).contains("OPENAI_BASE_URL=http://127.0.0.1:" + d.app.port() + "/v1");
        String key = c.out().lines().filter(l -> l.startsWith("export OPENAI_API_KEY=")).findFirst().orElseThrow().substring(22);
        assertThat(messages(key).statusCode()).isEqualTo(200);
        assertThat(d.cli.run("connect", "vim").all()).contains("Unknown tool 'vim'");
    }
}
