package io.codexrelay.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.account.Credentials;
import io.codexrelay.cli.CliContext;
import io.codexrelay.cli.RootCommand;
import io.codexrelay.events.RelayEvent;
import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.PoolDaemon;
import io.codexrelay.testing.TestAccounts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Tokens, logins, exports and the stale-reasoning repair through the running daemon. */
class PoolAccountsIntegrationTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;
    PoolDaemon d;

    @AfterEach
    void stop() throws Exception {
        if (d != null) d.close();
    }

    static String bodyWithReasoning(String session) {
        return "{\"model\":\"gpt-5\",\"stream\":true,\"store\":false,\"input\":["
                + "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"first\"}]},"
                + "{\"type\":\"reasoning\",\"summary\":[],\"encrypted_content\":\"gAAAA-from-another-account\"},"
                + "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"ok\"}]},"
                + "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"second\"}]}],"
                + "\"include\":[\"reasoning.encrypted_content\"],\"prompt_cache_key\":\"" + session + "\"}";
    }

    /** The log row of the request of this session (rows may be published out of request order). */
    FinishedRequest record(String session) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            for (var e : d.events(RelayEvent.RequestFinished.class)) {
                if (session.equals(e.record().sessionId())) return e.record();
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no request finished for " + session);
    }

    @Test
    void staleReasoningIsStrippedAndResentExactlyOnceOnTheSameAccount() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.badRequest("invalid_encrypted_content", "Encrypted content could not be decrypted"));

        HttpResponse<String> r = d.ask("t1", bodyWithReasoning("t1"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("response.completed");
        var sent = d.fake.received("/responses");
        assertThat(sent).hasSize(2).allSatisfy(x -> assertThat(d.nameOf(x.token())).isEqualTo("A"));
        assertThat(sent.get(0).bodyText()).contains("encrypted_content\":\"gAAAA");
        JsonNode second = sent.get(1).json();
        assertThat(second.toString()).doesNotContain("gAAAA");
        assertThat(second.get("input")).hasSize(3); // the reasoning item left empty is gone, the messages stay
        assertThat(second.get("include").get(0).asText()).isEqualTo("reasoning.encrypted_content");
        assertThat(record("t1").failoverChain()).containsExactly("A:400 invalid_encrypted_content", "A:200");

        // a second refusal is Codex's to see: no third attempt, no other account
        d.fake.enqueue(d.token("A"), FakeUpstream.badRequest(null, "The encrypted content for item rs_1 could not be verified."),
                FakeUpstream.badRequest(null, "The encrypted content for item rs_1 could not be verified."));
        HttpResponse<String> again = d.ask("t2", bodyWithReasoning("t2"));
        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(d.fake.received("/responses")).hasSize(4).allSatisfy(x -> assertThat(d.nameOf(x.token())).isEqualTo("A"));
        assertThat(d.status("A").state()).isEqualTo("ready");
    }

    @Test
    void concurrentUnauthorizedAnswersShareOneRefreshAndRetry() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"\ngate_wait_ms = 30000").chatgpt("A", 1, 20).chatgpt("B", 2, null).start();
        String oldToken = d.token("A");
        String newToken = TestAccounts.accessToken("tok-A-new", d.t0.plus(Duration.ofDays(10)));
        for (int i = 0; i < 10; i++) d.fake.enqueue(oldToken, FakeUpstream.status(401, "{\"error\":{\"code\":\"token_expired\"}}"));
        d.fake.enqueueTokenReply(200, "{\"access_token\":\"" + newToken + "\",\"refresh_token\":\"rt-A-2\"}", 400);
        d.fake.setUsage(newToken, PoolDaemon.NEUTRAL_USAGE);

        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            all.add(d.http.sendAsync(d.request("u" + i, PoolDaemon.body("u" + i)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (var f : all) assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

        assertThat(d.fake.received("/oauth/token")).hasSize(1);
        var responses = d.fake.received("/responses");
        assertThat(responses).allSatisfy(x -> assertThat(x.token()).isIn(oldToken, newToken));
        assertThat(responses.stream().filter(x -> x.token().equals(newToken)).count()).isEqualTo(10);
        assertThat(responses.stream().filter(x -> x.token().equals(oldToken)).count())
                .as("several requests were refused while the one refresh ran").isGreaterThanOrEqualTo(2);
        assertThat(d.status("A").state()).isEqualTo("ready");
        var stored = (Credentials.ChatGptTokens) d.app.accounts().findByName("A").orElseThrow().credentials();
        assertThat(stored.accessToken()).isEqualTo(newToken);
        assertThat(stored.refreshToken()).isEqualTo("rt-A-2");
        assertThat(d.events(RelayEvent.ReloginNeeded.class)).isEmpty();
    }

    @Test
    void aDeadLoginIsReportedOnceAndTheNextAccountServes() throws Exception {
        d = new PoolDaemon(dir, "[pool]\nrouting = \"priority\"").chatgpt("A", 1, null).chatgpt("B", 2, null).start();
        d.fake.enqueue(d.token("A"), FakeUpstream.status(401, "{\"error\":{\"code\":\"token_expired\"}}"));
        d.fake.enqueueTokenReply(400, "{\"error\":{\"code\":\"refresh_token_expired\",\"message\":\"expired\"}}");

        assertThat(d.ask("s1").statusCode()).isEqualTo(200);
        assertThat(d.lastServed()).isEqualTo("B");
        assertThat(d.status("A").state()).isEqualTo("relogin");
        assertThat(d.events(RelayEvent.ReloginNeeded.class)).singleElement().satisfies(e -> {
            assertThat(e.account()).isEqualTo("A");
            assertThat(e.reason()).contains("expired");
        });
        d.ask("s2");
        assertThat(d.lastServed()).isEqualTo("B");
        assertThat(d.fake.received("/oauth/token")).hasSize(1);
        assertThat(record("s1").failoverChain()).containsExactly("A:401 token_expired", "B:200");
        assertThat(record("s2").failoverChain()).containsExactly("B:200");
    }

    @Test
    void accountsLoginAddsTheAccountThroughTheRunningDaemon() throws Exception {
        d = new PoolDaemon(dir, null).chatgpt("A", 1, null).start();
        String access = TestAccounts.accessToken("tok-login", d.t0.plus(Duration.ofDays(10)));
        d.fake.enqueueTokenReply(200, "{\"id_token\":\"" + TestAccounts.idToken("new.person@example.com", "acct-new", "pro")
                + "\",\"access_token\":\"" + access + "\",\"refresh_token\":\"rt-login\"}");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = runCli(out, null, "accounts", "login", "--callback-port", "0");
        String url = await(out, Pattern.compile("(http://127\\.0\\.0\\.1:\\d+/oauth/authorize\\?\\S+)"));
        // the "browser": the fake signs the user in and redirects to the relay's callback
        HttpClient browser = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpResponse<String> page = browser.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.body()).contains("Signed in");

        assertThat(exit.get(60, TimeUnit.SECONDS)).as(out.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Added 'new.person'").doesNotContain("rt-login").doesNotContain(access);
        AccountStatus added = d.status("new.person");
        assertThat(added.kind()).isEqualTo("chatgpt");
        assertThat(added.plan()).isEqualTo("pro");
        assertThat(added.email()).isEqualTo("new.person@example.com");
        d.app.control().pin("new.person");
        d.fake.setUsage(access, PoolDaemon.NEUTRAL_USAGE);
        assertThat(d.ask("s1").statusCode()).isEqualTo(200);
        assertThat(d.fake.received("/responses").get(0).token()).isEqualTo(access);
    }

    @Test
    void loginWorksWithoutARunningDaemonAndTheDaemonServesTheAccountWhenItStarts() throws Exception {
        d = new PoolDaemon(dir, null);
        String access = TestAccounts.accessToken("tok-offline", d.t0.plus(Duration.ofDays(10)));
        d.fake.enqueueTokenReply(200, "{\"id_token\":\"" + TestAccounts.idToken("solo@example.com", "acct-solo", "team")
                + "\",\"access_token\":\"" + access + "\",\"refresh_token\":\"rt-solo\"}");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = runCli(out, null, "accounts", "login", "--name", "solo", "--callback-port", "0");
        String url = await(out, Pattern.compile("(http://127\\.0\\.0\\.1:\\d+/oauth/authorize\\?\\S+)"));
        HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()
                .send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(exit.get(60, TimeUnit.SECONDS)).as(out.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Added 'solo'").contains("takes effect when it starts");

        d.tokens.put("solo", access);
        d.fake.setUsage(access, PoolDaemon.NEUTRAL_USAGE);
        d.start();
        assertThat(d.status("solo").plan()).isEqualTo("team");
        assertThat(d.ask("s1").statusCode()).isEqualTo(200);
        assertThat(d.lastServed()).isEqualTo("solo");
    }

    @Test
    void manualLoginTakesThePastedAddressAndUpdatesAnExistingAccountInPlace() throws Exception {
        d = new PoolDaemon(dir, null).chatgpt("A", 1, null).start();
        String access = TestAccounts.accessToken("tok-A-relogin", d.t0.plus(Duration.ofDays(10)));
        // the same ChatGPT account as A: a re-login gives A new tokens, name and settings stay
        d.fake.enqueueTokenReply(200, "{\"id_token\":\"" + TestAccounts.idToken("A@example.com", "acct-A", "plus")
                + "\",\"access_token\":\"" + access + "\",\"refresh_token\":\"rt-A-relogin\"}");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PipedOutputStream typing = new PipedOutputStream();
        CompletableFuture<Integer> exit = runCli(out, new PipedInputStream(typing), "accounts", "login", "--manual");
        String state = await(out, Pattern.compile("[?&]state=([A-Za-z0-9_-]+)"));
        typing.write(("http://localhost:1455/auth/callback?code=pasted&state=" + state + "\n").getBytes(StandardCharsets.UTF_8));
        typing.flush();

        assertThat(exit.get(60, TimeUnit.SECONDS)).as(out.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Updated 'A'");
        var stored = (Credentials.ChatGptTokens) d.app.accounts().findByName("A").orElseThrow().credentials();
        assertThat(stored.refreshToken()).isEqualTo("rt-A-relogin");
        assertThat(d.app.control().status().accounts()).hasSize(1);
        Map<String, String> form = new HashMap<>();
        for (String kv : d.fake.received("/oauth/token").get(0).bodyText().split("&")) {
            form.put(kv.substring(0, kv.indexOf('=')), java.net.URLDecoder.decode(kv.substring(kv.indexOf('=') + 1), StandardCharsets.UTF_8));
        }
        assertThat(form).containsEntry("code", "pasted").containsEntry("redirect_uri", "http://localhost:1455/auth/callback");
    }

    @Test
    void exportCodexWritesTheFreshestTokensWithABackup() throws Exception {
        d = new PoolDaemon(dir, null).chatgpt("A", 1, null).start();
        Path codexHome = Files.createDirectories(dir.resolve("codex"));
        Files.writeString(codexHome.resolve("auth.json"), "{\"auth_mode\":\"apikey\",\"OPENAI_API_KEY\":\"sk-old-0000000000\"}");
        // the relay refreshed A's token since it was added
        String newer = TestAccounts.accessToken("tok-A-newer", d.t0.plus(Duration.ofDays(10)));
        d.fake.enqueueTokenReply(200, "{\"access_token\":\"" + newer + "\",\"refresh_token\":\"rt-A-newer\"}");
        d.app.poolServices().tokens().refresh(d.app.accounts().findByName("A").orElseThrow()).get(30, TimeUnit.SECONDS);

        var r = d.cli.run("accounts", "export-codex", "A", "--codex-home", codexHome.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("auth.json").contains("previous file");
        JsonNode auth = JSON.readTree(Files.readString(codexHome.resolve("auth.json")));
        assertThat(auth.get("auth_mode").asText()).isEqualTo("chatgpt");
        assertThat(auth.at("/tokens/access_token").asText()).isEqualTo(newer);
        assertThat(auth.at("/tokens/refresh_token").asText()).isEqualTo("rt-A-newer");
        assertThat(auth.at("/tokens/account_id").asText()).isEqualTo("acct-A");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(codexHome.resolve("auth.json")))).isEqualTo("rw-------");
        try (var backups = Files.list(d.home.backupsDir())) {
            assertThat(backups.filter(p -> p.getFileName().toString().startsWith("auth.json"))
                    .anyMatch(p -> readQuietly(p).contains("sk-old-0000000000"))).isTrue();
        }
        assertThat(r.all()).doesNotContain(newer).doesNotContain("rt-A-newer");
        assertThat(d.app.accounts().findByName("A").orElseThrow().sourceCodexHome())
                .isEqualTo(codexHome.toAbsolutePath().normalize().toString());
    }

    @Test
    void changedUpstreamUrlsReachUsagePollsAndTokenRefreshesWithoutARestart() throws Exception {
        d = new PoolDaemon(dir, null).chatgpt("A", 1, null).start();
        try (FakeUpstream moved = new FakeUpstream()) {
            moved.setUsage(d.token("A"), FakeUpstream.usageBody("plus", 42, 7, d.t0.getEpochSecond() + 3600,
                    d.t0.getEpochSecond() + 5 * 86_400));
            String newer = TestAccounts.accessToken("tok-A-moved", d.t0.plus(Duration.ofDays(10)));
            moved.enqueueTokenReply(200, "{\"access_token\":\"" + newer + "\",\"refresh_token\":\"rt-A-moved\"}");

            assertThat(d.app.control().applyConfig(Map.of("upstream.chatgpt_base_url", moved.chatgptBaseUrl(),
                    "upstream.oauth_issuer", moved.issuerUrl()))).as("restart needed").isEmpty();

            var status = d.cli.run("status", "--refresh");
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(moved.received("/wham/usage")).isNotEmpty();
            assertThat(d.status("A").quota().primary().usedPercent()).isEqualTo(42.0);

            d.app.poolServices().tokens().refresh(d.app.accounts().findByName("A").orElseThrow()).get(30, TimeUnit.SECONDS);
            assertThat(moved.received("/oauth/token")).hasSize(1);
            assertThat(d.fake.received("/oauth/token")).isEmpty();
        }
    }

    @Test
    void noSecretReachesTheDaemonLogEvenAtDebugLevel() throws Exception {
        var ctx = (ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        var root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        var captured = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        captured.start();
        root.addAppender(captured);
        try {
            d = new PoolDaemon(dir, "[log]\nlevel = \"debug\"\n[pool]\nrouting = \"priority\"")
                    .chatgpt("A", 1, null).chatgpt("B", 2, null).start();
            String newer = TestAccounts.accessToken("tok-A-refreshed", d.t0.plus(Duration.ofDays(10)));
            String apiKey = "sk-live-0123456789-never-logged";
            // A: 401, refresh, retry; then a stale-reasoning repair; B: usage limit; a key added through the admin API
            d.fake.enqueue(d.token("A"), FakeUpstream.status(401, "{\"error\":{\"code\":\"token_expired\"}}"));
            d.fake.enqueueTokenReply(200, "{\"access_token\":\"" + newer + "\",\"refresh_token\":\"rt-A-refreshed-secret\"}");
            d.fake.setUsage(newer, PoolDaemon.NEUTRAL_USAGE);
            assertThat(d.ask("s1").statusCode()).isEqualTo(200);
            d.fake.enqueue(newer, FakeUpstream.badRequest("invalid_encrypted_content", "could not be verified"));
            assertThat(d.ask("s2", bodyWithReasoning("s2")).statusCode()).isEqualTo(200);
            d.app.control().pin("B");
            d.fake.enqueue(d.token("B"), FakeUpstream.usageLimit(d.t0.getEpochSecond() + 600, "plus"));
            assertThat(d.ask("s3").statusCode()).isEqualTo(200);
            var add = d.cli.stdin(apiKey).run("accounts", "add-key", "--name", "K", "--key-stdin");
            assertThat(add.exit()).as(add.toString()).isZero();
            assertThat(d.cli.run("status", "--refresh").exit()).isZero();
            String adminToken = d.app.adminInfo().token();
            d.app.events().drain();
            d.app.stop(Duration.ofSeconds(5));
            d.app = null;

            assertThat(captured.list).as("debug logging was on").anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.DEBUG);
            String log = captured.list.stream().map(e -> e.getFormattedMessage() + " "
                    + ch.qos.logback.classic.spi.ThrowableProxyUtil.asString(e.getThrowableProxy())).reduce("", String::concat);
            List<String> secrets = List.of(d.token("A"), d.token("B"), newer, "rt-A", "rt-B", "rt-A-refreshed-secret", apiKey,
                    d.clientKey, adminToken);
            for (int i = 0; i < secrets.size(); i++) {
                // a boolean, so that a failure does not print the secret itself
                assertThat(log.contains(secrets.get(i))).as("secret #%d is in the log", i).isFalse();
            }
        } finally {
            root.detachAppender(captured);
            io.codexrelay.app.LogSetup.level("info");
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }

    /** Runs the CLI in the background with output going to {@code out} (readable while it runs). */
    private CompletableFuture<Integer> runCli(ByteArrayOutputStream out, java.io.InputStream in, String... args) {
        Map<String, String> env = Map.of("CODEX_RELAY_HOME", d.home.dir().toString(),
                "HOME", d.home.dir().resolve("user-home").toString());
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        var ctx = new CliContext(env, ps, ps, in != null ? in : java.io.InputStream.nullInputStream(), Clock.systemUTC());
        return CompletableFuture.supplyAsync(() -> RootCommand.run(args, ctx));
    }

    private static String await(ByteArrayOutputStream out, Pattern p) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            Matcher m = p.matcher(out.toString(StandardCharsets.UTF_8));
            if (m.find()) return m.group(1);
            Thread.sleep(25);
        }
        throw new AssertionError("never printed " + p + ":\n" + out.toString(StandardCharsets.UTF_8));
    }
}
