package io.codexrelay.e2e;

import io.codexrelay.app.ControlApi;
import io.codexrelay.app.RelayApp;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.CodexAuth;
import io.codexrelay.testing.CodexCli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real Codex CLI in two named homes made by {@code codex-relay homes create}, bound to accounts A and B: each
 * {@code codex exec} is served by its home's account (the fake upstream sees that account's credentials) while the
 * pool's own choice is A; {@code homes bind} moves a home to another account at once.
 */
@Tag("e2e")
class NamedHomesE2eTest {
    private static final String KEY_B = "sk-account-b-homes-000000000000000";
    private static final Duration CODEX_TIMEOUT = Duration.ofSeconds(180);

    @TempDir Path tmp;

    private CodexCli codex;
    private FakeUpstream fake;
    private RelayApp app;
    private String tokenA;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        codex = CodexCli.require();
        fake = new FakeUpstream();
        RelayHome relayHome = new RelayHome(RelayHomes.pointedAt(tmp.resolve("relay"), fake));
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        Files.writeString(relayHome.configFile(), Files.readString(relayHome.configFile())
                + "\n[server]\nport = " + port + "\n\n[pool]\nrouting = \"priority\"\n");
        cli = new Cli(relayHome.dir());
        app = RelayApp.start(new RelayApp.Options(relayHome, Clock.systemUTC(), null));
        Path loginHome = tmp.resolve("login-codex-home");
        tokenA = CodexAuth.writeChatGpt(loginHome, "a@example.com", "plus", "acct-a",
                CodexAuth.jwt("{\"exp\":4102444800,\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"acct-a\"}}"), "rt-a");
        ControlApi control = app.control();
        control.importCodex(loginHome, "A");
        control.updateAccount("A", new ControlApi.AccountChanges(1, null, null));
        control.addApiKey(new ControlApi.NewApiKey("B", KEY_B, fake.apiBaseUrl(), 2, null));
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) app.stop(Duration.ofSeconds(5));
        if (fake != null) fake.close();
    }

    private String codexRelay(String... args) {
        Cli.Result r = cli.run(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.all();
    }

    private String servedToken(Path home, String answer) throws Exception {
        int before = fake.received("/responses").size();
        fake.setDefault(FakeUpstream.success(answer));
        var r = codex.exec(home, tmp.resolve("work"), "say hello", CODEX_TIMEOUT);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains(answer);
        var responses = fake.received("/responses");
        assertThat(responses).hasSize(before + 1);
        return responses.get(before).token();
    }

    @Test
    void eachNamedHomeIsServedByItsAccount() throws Exception {
        Path homeA = CodexCli.prepareHome(tmp.resolve("home-a"));
        Path homeB = CodexCli.prepareHome(tmp.resolve("home-b"));
        assertThat(codexRelay("homes", "create", "proj-b", "--dir", homeB.toString(), "--account", "B"))
                .contains("wired to the relay").contains("accepts its key now");
        assertThat(codexRelay("homes", "create", "proj-a", "--dir", homeA.toString(), "--account", "A")).contains("account 'A'");
        assertThat(codexRelay("homes", "list")).contains("proj-a").contains("proj-b").doesNotContain("crk_");

        assertThat(servedToken(homeB, "Served for project B.")).isEqualTo(KEY_B);
        assertThat(servedToken(homeA, "Served for project A.")).isEqualTo(tokenA);

        // rebinding takes effect at once, without touching the home's files
        String configBefore = Files.readString(homeA.resolve("config.toml"));
        codexRelay("homes", "bind", "proj-a", "B");
        assertThat(Files.readString(homeA.resolve("config.toml"))).isEqualTo(configBefore);
        assertThat(servedToken(homeA, "Now B serves project A.")).isEqualTo(KEY_B);

        // removal points the home back and forgets its key; the directory stays
        assertThat(codexRelay("homes", "remove", "proj-b")).contains("stay where they are");
        assertThat(homeB).isDirectory();
        assertThat(Files.readString(homeB.resolve("config.toml"))).doesNotContain("model_provider = \"codex-relay\"");
        assertThat(codexRelay("homes", "list")).doesNotContain("proj-b");
        for (FakeUpstream.Received r : fake.received()) assertThat(r.headers()).doesNotContainKey("x-relay-key");
    }
}
