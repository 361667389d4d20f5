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
 * The real Codex CLI under {@code codex-relay run --account B -- codex exec ...}: from the default Codex home (wired
 * by {@code codex on}, WebSocket on as by default) that one process is served by account B while every other
 * {@code codex exec} gets the pool's choice, A; the fake upstream records which credentials served each request.
 * No file of the Codex home changes, the run's key is gone when the process ends, the request log names the run,
 * and the command's exit code is run's.
 */
@Tag("e2e")
class RunCommandE2eTest {
    private static final String KEY_B = "sk-account-b-run-00000000000000000";
    private static final Duration CODEX_TIMEOUT = Duration.ofSeconds(180);

    @TempDir Path tmp;

    private CodexCli codex;
    private FakeUpstream fake;
    private RelayApp app;
    private String tokenA;
    private Cli cli;
    private Path codexHome;

    @BeforeEach
    void start() throws Exception {
        codex = CodexCli.require();
        fake = new FakeUpstream();
        RelayHome relayHome = new RelayHome(RelayHomes.pointedAt(tmp.resolve("relay"), fake));
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        Files.writeString(relayHome.configFile(), Files.readString(relayHome.configFile())
                + "\n[server]\nport = " + port + "\n\n[pool]\nrouting = \"priority\"\n");
        app = RelayApp.start(new RelayApp.Options(relayHome, Clock.systemUTC(), null));
        Path loginHome = tmp.resolve("login-codex-home");
        tokenA = CodexAuth.writeChatGpt(loginHome, "a@example.com", "plus", "acct-a",
                CodexAuth.jwt("{\"exp\":4102444800,\"https://api.openai.com/auth\":{\"chatgpt_account_id\":\"acct-a\"}}"), "rt-a");
        ControlApi control = app.control();
        control.importCodex(loginHome, "A");
        control.updateAccount("A", new ControlApi.AccountChanges(1, null, null));
        control.addApiKey(new ControlApi.NewApiKey("B", KEY_B, fake.apiBaseUrl(), 2, null));

        codexHome = CodexCli.prepareHome(tmp.resolve("codex-home"));
        String path = System.getenv("PATH");
        cli = new Cli(relayHome.dir()).env("CODEX_HOME", codexHome.toString()).env("PATH", path == null ? "/usr/bin:/bin" : path)
                .env("HOME", Files.createDirectories(tmp.resolve("user-home")).toString())
                .env("LANG", "C.UTF-8").env("TERM", "dumb").env("NO_COLOR", "1");
        Cli.Result on = cli.run("codex", "on", "--no-start");
        assertThat(on.exit()).as(on.toString()).isZero();
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

    /** The fake answers {@code text} over HTTP and over WebSocket (Codex speaks the latter to the relay by default). */
    private void answer(String text) {
        fake.setDefault(FakeUpstream.success(text));
        fake.socket().setDefaultText(text);
    }

    /** The one token that served every Responses request (HTTP or WebSocket) since {@code before}. */
    private String servedSince(int before) {
        var requests = fake.responsesRequests();
        assertThat(requests).hasSizeGreaterThan(before);
        var tokens = requests.subList(before, requests.size()).stream().map(FakeUpstream.ResponsesRequest::token).distinct().toList();
        assertThat(tokens).hasSize(1);
        return tokens.get(0);
    }

    /** The token that served a plain {@code codex exec} in the default home. */
    private String plainCodexServedBy(String text) throws Exception {
        int before = fake.responsesRequests().size();
        answer(text);
        var r = codex.exec(codexHome, tmp.resolve("work"), "say hello", CODEX_TIMEOUT);
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(r.stdout()).contains(text);
        return servedSince(before);
    }

    @Test
    void runWithAccountBIsServedByBWhileEveryOtherCodexGetsThePoolsChoice() throws Exception {
        assertThat(plainCodexServedBy("Pool's choice.")).isEqualTo(tokenA);

        String configBefore = Files.readString(codexHome.resolve("config.toml"));
        assertThat(configBefore).contains("env_http_headers").contains("CODEX_RELAY_PROCESS_KEY");
        int before = fake.responsesRequests().size();
        answer("Served for this run by B.");
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path out = work.resolve("run-out.txt"), err = work.resolve("run-err.txt");
        // codex exec's stdio goes to files (run passes its own stdio on; the test JVM's are not a terminal)
        Cli.Result run = cli.run("run", "--account", "B", "--", "/bin/sh", "-c",
                "cd \"$1\" && exec \"$0\" exec --skip-git-repo-check 'say hello' </dev/null >\"$2\" 2>\"$3\"",
                codex.binary().toString(), work.toString(), out.toString(), err.toString());
        assertThat(run.exit()).as(run + "\n--- codex stdout\n" + CodexCli.redact(Files.readString(out))
                + "\n--- codex stderr\n" + CodexCli.redact(Files.readString(err))).isZero();
        assertThat(Files.readString(out)).contains("Served for this run by B.");
        assertThat(servedSince(before)).isEqualTo(KEY_B);
        for (FakeUpstream.ResponsesRequest r : fake.responsesRequests()) {
            assertThat(r.headers()).doesNotContainKey("x-relay-key").doesNotContainKey("x-relay-process-key");
        }

        // nothing of the user's changed; the run's key is gone; the log names the run
        assertThat(Files.readString(codexHome.resolve("config.toml"))).isEqualTo(configBefore);
        String runName = "run:" + ProcessHandle.current().pid() + " sh";
        assertThat(run.err()).contains(runName).contains("account 'B'");
        assertThat(codexRelay("keys", "list")).doesNotContain("run:");
        String logged = codexRelay("logs", "tail", "--client", runName);
        assertThat(logged).contains(runName).contains(" B ");
        assertThat(codexRelay("status")).contains("Clients since the relay started").contains(runName).contains("codex");

        // the next plain Codex is the pool's again
        assertThat(plainCodexServedBy("Pool's choice again.")).isEqualTo(tokenA);

        // the command's exit code is run's
        assertThat(cli.run("run", "--account", "B", "--", "/bin/sh", "-c", "exit 7").exit()).isEqualTo(7);
    }

    @Test
    void runWithAHomeUsesItsDirectoryAndAnUnwiredCodexHomeIsToldWhatToDo() throws Exception {
        Path homeDir = CodexCli.prepareHome(tmp.resolve("home-proj"));
        codexRelay("homes", "create", "proj", "--dir", homeDir.toString(), "--account", "B");
        Path seen = tmp.resolve("seen-codex-home");
        Cli.Result r = cli.run("run", "--home", "proj", "--strict", "--", "/bin/sh", "-c",
                "printf '%s|%s' \"$CODEX_HOME\" \"${CODEX_RELAY_PROCESS_KEY:+set}\" > \"$0\"", seen.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Files.readString(seen)).isEqualTo(homeDir.toAbsolutePath().normalize() + "|set");
        assertThat(r.err()).contains("account 'B' only");
        assertThat(codexRelay("keys", "list")).doesNotContain("run:");

        // a Codex home that does not go through the relay: nothing runs, and the message says what to do
        Path plain = CodexCli.prepareHome(tmp.resolve("plain-home"));
        Path ran = tmp.resolve("ran");
        Cli.Result refused = cli.env("CODEX_HOME", plain.toString())
                .run("run", "--account", "B", "--", "/bin/sh", "-c", "touch \"$0\"", ran.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("codex-relay codex on");
        assertThat(ran).doesNotExist();
        assertThat(codexRelay("keys", "list")).doesNotContain("run:");
    }
}
