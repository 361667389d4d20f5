package io.codexrelay.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.account.LearnedParameters;
import io.codexrelay.store.Database;
import io.codexrelay.testing.Cli;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

/** Accounts of other wires from the command line: add-key --wire/--model-rule, the list, learned parameters. */
class CliWiresTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-deepseek-secret-0123456789-TAIL";

    @TempDir Path home;
    Cli cli;

    @BeforeEach
    void setUp() {
        cli = new Cli(home.resolve("relay"));
    }

    @Test
    void aChatAccountWithModelRulesIsAddedListedAndItsLearnedParametersShownAndReset() throws Exception {
        var add = cli.env("DS_KEY", KEY).run("accounts", "add-key", "--name", "deepseek", "--key-env", "DS_KEY",
                "--base-url", "https://api.deepseek.com/v1", "--wire", "chat", "--model-rule", "gpt-5*=deepseek-chat",
                "--model-rule", "o3*=deepseek-reasoner");
        assertThat(add.exit()).as(add.toString()).isZero();
        assertThat(add.out()).contains("wire chat").contains("gpt-5*=deepseek-chat o3*=deepseek-reasoner");

        var list = cli.run("accounts", "list");
        assertThat(list.out()).contains("WIRE").contains("chat").contains("gpt-5*=deepseek-chat");
        JsonNode a = JSON.readTree(cli.run("accounts", "list", "--json").out()).get(0);
        assertThat(a.get("wire").asText()).isEqualTo("chat");
        assertThat(a.get("modelRules")).hasSize(2);

        assertThat(cli.run("accounts", "params", "deepseek").out()).contains("sends every parameter");
        try (Database db = new Database(home.resolve("relay").resolve("relay.db"))) {
            long id = new AccountRepository(db, Clock.systemUTC()).findByName("deepseek").orElseThrow().id();
            new LearnedParameters(db, Clock.systemUTC()).learn(id, "deepseek-chat", "reasoning_effort");
        }
        var shown = cli.run("accounts", "params", "deepseek");
        assertThat(shown.out()).contains("deepseek-chat").contains("reasoning_effort");
        JsonNode js = JSON.readTree(cli.run("accounts", "params", "deepseek", "--json").out());
        assertThat(js.get("params").get(0).get("param").asText()).isEqualTo("reasoning_effort");

        var reset = cli.run("accounts", "params", "deepseek", "--reset");
        assertThat(reset.out()).contains("Forgot 1 learned parameter of 'deepseek'");
        assertThat(cli.run("accounts", "params", "deepseek").out()).contains("sends every parameter");
        for (var r : new Cli.Result[] {add, list, shown, reset}) assertThat(r.all()).doesNotContain(KEY);
    }

    @Test
    void anAnthropicKeyWithoutABaseUrlGoesToAnthropicAndBadWiresOrRulesSayWhatToWrite() throws Exception {
        var add = cli.env("K", "sk-ant-0123456789").run("accounts", "add-key", "--name", "claude", "--key-env", "K", "--wire", "anthropic");
        assertThat(add.exit()).as(add.toString()).isZero();
        assertThat(add.out()).contains("https://api.anthropic.com").contains("wire anthropic");

        var badWire = cli.env("K", "sk-x-0123456789").run("accounts", "add-key", "--name", "x", "--key-env", "K", "--wire", "grpc");
        assertThat(badWire.exit()).isNotZero();
        assertThat(badWire.all()).contains("unknown wire 'grpc': use responses, chat or anthropic");

        var badRule = cli.env("K", "sk-y-0123456789").run("accounts", "add-key", "--name", "y", "--key-env", "K", "--wire", "chat",
                "--model-rule", "gpt-5");
        assertThat(badRule.exit()).isNotZero();
        assertThat(badRule.all()).contains("must look like PATTERN=MODEL");
    }

    @Test
    void accountsSetKeepsAnAccountForSomeToolsChangesItsWireAndRulesAndSetsItsBalanceSource() throws Exception {
        var add = cli.env("K", KEY).run("accounts", "add-key", "--name", "deepseek", "--key-env", "K",
                "--base-url", "https://api.deepseek.com/v1");
        assertThat(add.exit()).as(add.toString()).isZero();

        var set = cli.run("accounts", "set", "deepseek", "--clients", "codex,claude", "--wire", "chat",
                "--model-rule", "gpt-5*=deepseek-chat", "--balance-url", "https://api.deepseek.com/user/balance",
                "--balance-path", "balance_infos[0].total_balance");
        assertThat(set.exit()).as(set.toString()).isZero();
        assertThat(set.out()).contains("only for codex,claude").contains("wire chat").contains("gpt-5*=deepseek-chat")
                .contains("balance from https://api.deepseek.com/user/balance");
        assertThat(cli.run("accounts", "list").out()).contains("CLIENTS").contains("codex,claude");
        JsonNode a = JSON.readTree(cli.run("accounts", "list", "--json").out()).get(0);
        assertThat(a.get("clients").toString()).isEqualTo("[\"codex\",\"claude\"]");
        assertThat(a.get("wire").asText()).isEqualTo("chat");
        assertThat(a.get("balance").get("remainingPath").asText()).isEqualTo("balance_infos[0].total_balance");
        assertThat(a.get("balance").get("intervalSeconds").asInt()).isEqualTo(600);

        // changing the priority alone keeps the restriction, the wire and the balance source
        assertThat(cli.run("accounts", "set", "deepseek", "--priority", "7").exit()).isZero();
        a = JSON.readTree(cli.run("accounts", "list", "--json").out()).get(0);
        assertThat(a.get("clients")).hasSize(2);
        assertThat(a.get("balance").isNull()).isFalse();

        var undo = cli.run("accounts", "set", "deepseek", "--clients", "all", "--no-model-rules", "--no-balance");
        assertThat(undo.exit()).as(undo.toString()).isZero();
        a = JSON.readTree(cli.run("accounts", "list", "--json").out()).get(0);
        assertThat(a.get("clients")).isEmpty();
        assertThat(a.get("modelRules")).isEmpty();
        assertThat(a.get("balance").isNull()).isTrue();
        assertThat(cli.run("accounts", "list").out()).contains("all");
        for (var r : new Cli.Result[] {add, set, undo}) assertThat(r.all()).doesNotContain(KEY);
    }

    @Test
    void badClientListsAndBalanceSettingsSayWhatToWrite() {
        assertThat(cli.env("K", KEY).run("accounts", "add-key", "--name", "k", "--key-env", "K").exit()).isZero();
        var badClient = cli.run("accounts", "set", "k", "--clients", "codex,vim");
        assertThat(badClient.exit()).isNotZero();
        assertThat(badClient.all()).contains("unknown client 'vim': use codex, claude or chat");
        var noPath = cli.run("accounts", "set", "k", "--balance-url", "https://relay.example/balance");
        assertThat(noPath.exit()).isNotZero();
        assertThat(noPath.all()).contains("--balance-path");
        var pathAlone = cli.run("accounts", "set", "k", "--balance-path", "data.x");
        assertThat(pathAlone.exit()).isNotZero();
        assertThat(pathAlone.all()).contains("go with --balance-url URL");
        var nothing = cli.run("accounts", "set", "k");
        assertThat(nothing.exit()).isEqualTo(2);
        assertThat(nothing.all()).contains("--clients");
    }

    @Test
    void anApiKeyAccountChoosesItsUpstreamTransportAndAChatGptLoginOrAChatWireRefuses() throws Exception {
        assertThat(cli.env("K_KEY", KEY).run("accounts", "add-key", "--name", "k", "--key-env", "K_KEY",
                "--base-url", "https://api.example.com/v1").exit()).isZero();
        var on = cli.run("accounts", "set", "k", "--websocket", "on");
        assertThat(on.exit()).as(on.toString()).isZero();
        assertThat(on.out()).contains("WebSocket to its upstream");
        assertThat(cli.run("accounts", "list").out()).contains("responses (ws)");
        assertThat(JSON.readTree(cli.run("accounts", "list", "--json").out()).get(0).get("websocket").asBoolean()).isTrue();

        assertThat(cli.run("accounts", "set", "k", "--websocket", "off").out()).contains("HTTP to its upstream");
        assertThat(cli.run("accounts", "set", "k", "--websocket", "pool").exit()).isZero();
        assertThat(JSON.readTree(cli.run("accounts", "list", "--json").out()).get(0).get("websocket").isNull()).isTrue();

        var bad = cli.run("accounts", "set", "k", "--websocket", "maybe");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("on, off or pool");

        assertThat(cli.env("DS_KEY", KEY).run("accounts", "add-key", "--name", "ds", "--key-env", "DS_KEY",
                "--base-url", "https://api.deepseek.com/v1", "--wire", "chat").exit()).isZero();
        var chat = cli.run("accounts", "set", "ds", "--websocket", "on");
        assertThat(chat.exit()).isNotZero();
        assertThat(chat.err()).contains("has no WebSocket");
        for (var r : new Cli.Result[] {on, bad, chat}) assertThat(r.all()).doesNotContain(KEY);
    }
}
