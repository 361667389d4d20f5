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
}
