package io.codexrelay.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayHome;
import io.codexrelay.platform.SingleInstance;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The daemon in this JVM on port 0 against the fake upstream; the CLI talks to it over the admin API. */
class DaemonInProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_A = "tok-A-0123456789-secretAAAA";
    private static final String KEY_B = "tok-B-0123456789-secretBBBB";

    @TempDir Path dir;
    FakeUpstream fake;
    RelayHome home;
    RelayApp app;
    Cli cli;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        fake = new FakeUpstream();
        home = new RelayHome(RelayHomes.pointedAt(dir.resolve("relay"), fake));
        cli = new Cli(home.dir());
        // accounts added offline, before the daemon exists, are served once it starts
        assertThat(cli.run("accounts", "add-key", "--name", "A", "--key", KEY_A).exit()).isZero();
        assertThat(cli.run("accounts", "add-key", "--name", "B", "--key", KEY_B).exit()).isZero();
        app = RelayApp.start(new RelayApp.Options(home, Clock.systemUTC(), 0));
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) app.stop(java.time.Duration.ofSeconds(5));
        fake.close();
    }

    @Test
    void answersHealthzAndWritesAdminFile() throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        var info = AdminFile.read(home).orElseThrow();
        assertThat(info.port()).isEqualTo(app.port());
        assertThat(info.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(home.adminFile()))).isEqualTo("rw-------");
    }

    @Test
    void adminApiRejectsAWrongToken() throws Exception {
        for (String token : new String[] {"wrong", AdminFile.read(home).orElseThrow().token() + "0"}) {
            var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/_relay/admin/auto"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(401);
        }
        // nor does the client key open the admin API
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/_relay/admin/status"))
                .header("Authorization", "Bearer " + ClientKey.loadOrCreate(home).value())
                .header(ClientKey.HEADER, ClientKey.loadOrCreate(home).value()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
    }

    @Test
    void cliCommandsGoThroughTheAdminApiAndTakeEffectAtOnce() throws Exception {
        JsonNode status = JSON.readTree(cli.run("status", "--json").out());
        assertThat(status.get("daemonRunning").asBoolean()).isTrue();
        assertThat(status.get("daemon").asText()).contains("pid " + ProcessHandle.current().pid());
        assertThat(status.get("accounts")).hasSize(2);

        var use = cli.run("use", "B");
        assertThat(use.exit()).as(use.toString()).isZero();
        assertThat(use.out()).contains("in effect now");
        assertThat(app.pool().pinned()).isEqualTo("B");
        assertThat(servedBy(relayRequest())).isEqualTo(KEY_B);

        assertThat(cli.run("use", "A").exit()).isZero();
        assertThat(servedBy(relayRequest())).isEqualTo(KEY_A);

        assertThat(cli.run("auto").exit()).isZero();
        assertThat(app.pool().pinned()).isNull();

        assertThat(cli.run("pause").exit()).isZero();
        assertThat(app.pool().paused()).isTrue();
        assertThat(relayRequest().statusCode()).isEqualTo(503);
        assertThat(cli.run("resume").exit()).isZero();
        assertThat(relayRequest().statusCode()).isEqualTo(200);
    }

    @Test
    void anAccountAddedWhileRunningServesAtOnceAndItsKeyIsNeverPrinted() throws Exception {
        String keyC = "tok-C-0123456789-secretCCCC";
        var add = cli.stdin(keyC).run("accounts", "add-key", "--name", "C", "--key-stdin");
        assertThat(add.exit()).as(add.toString()).isZero();
        assertThat(cli.run("use", "C").exit()).isZero();
        assertThat(servedBy(relayRequest())).isEqualTo(keyC);

        var set = cli.run("accounts", "set", "C", "--max-concurrent", "3", "--priority", "1");
        assertThat(set.exit()).as(set.toString()).isZero();
        JsonNode c = find(JSON.readTree(cli.run("accounts", "list", "--json").out()), "C");
        assertThat(c.get("maxConcurrent").asInt()).isEqualTo(3);
        assertThat(c.get("priority").asInt()).isEqualTo(1);

        for (var r : new Cli.Result[] {add, set, cli.run("accounts", "list"), cli.run("status"), cli.run("status", "--json"),
                cli.run("logs", "tail"), cli.run("logs", "tail", "--json")}) {
            assertThat(r.all()).doesNotContain(keyC).doesNotContain(KEY_A).doesNotContain(KEY_B);
        }
        assertThat(cli.run("accounts", "remove", "C").exit()).isZero();
        assertThat(app.pool().pinned()).isNull();
    }

    @Test
    void finishedRequestsReachTheLog() throws Exception {
        cli.run("use", "B");
        assertThat(relayRequest().statusCode()).isEqualTo(200);
        JsonNode rows = awaitLogRows(1);
        JsonNode last = rows.get(rows.size() - 1);
        assertThat(last.get("account").asText()).isEqualTo("B");
        assertThat(last.get("status").asInt()).isEqualTo(200);
        assertThat(last.get("path").asText()).isEqualTo("/v1/responses");
        assertThat(cli.run("logs", "tail", "-n", "5").out()).contains("B").contains("/v1/responses").contains("200");
    }

    @Test
    void configChangesAreSavedAndReportedAsLiveOrNeedingRestart() throws Exception {
        assertThat(app.control().applyConfig(Map.of("pool.gate_wait_ms", 250))).isEmpty();
        assertThat(app.config().pool().gateWait().toMillis()).isEqualTo(250);
        assertThat(app.control().applyConfig(Map.of("server.port", 18555))).containsExactly("server.port");
        assertThat(Files.readString(home.configFile())).contains("gate_wait_ms = 250").contains("port = 18555").contains("# test relay");
        assertThat(app.port()).isNotEqualTo(18555);   // still where it started until a restart
    }

    @Test
    void codexOnPointsCodexAtTheRunningRelaysPortNotTheConfiguredOne() throws Exception {
        // started on another port than server.port (like `serve --port N`)
        assertThat(app.port()).isNotEqualTo(17771);
        Path codex = Files.createDirectories(dir.resolve("codex"));
        var on = cli.run("codex", "on", "--no-start", "--codex-home", codex.toString());
        assertThat(on.exit()).as(on.toString()).isZero();
        String url = "http://127.0.0.1:" + app.port() + "/v1";
        assertThat(on.out()).contains("Codex now uses the relay at " + url)
                .contains("Port " + app.port() + ": the running relay's port; config.toml says 17771")
                .contains("Relay: answering at");
        assertThat(io.codexrelay.codex.CodexConfigPatch.inspect(Files.readString(codex.resolve("config.toml")), "x").relayBaseUrl())
                .isEqualTo(url);
        var status = cli.run("codex", "status", "--codex-home", codex.toString());
        assertThat(status.out()).contains("[model_providers.codex-relay] present; client key matches")
                .doesNotContain("but the relay listens at").contains("answering at");

        // once the relay is gone, the configured port is used and the output says so
        app.stop(java.time.Duration.ofSeconds(5));
        app = null;
        var offline = cli.run("codex", "on", "--no-start", "--codex-home", codex.toString());
        assertThat(offline.out()).contains("Codex now uses the relay at http://127.0.0.1:17771/v1")
                .contains("Port 17771: server.port in " + home.configFile() + "; no relay is running");
    }

    @Test
    void aSecondDaemonOnTheSameHomeIsRefusedNamingTheHolder() {
        assertThatThrownBy(() -> RelayApp.start(new RelayApp.Options(home, Clock.systemUTC(), 0)))
                .isInstanceOf(SingleInstance.HeldException.class)
                .hasMessageContaining("pid " + ProcessHandle.current().pid());
        var serve = cli.run("serve", "--port", "0");
        assertThat(serve.exit()).isEqualTo(1);
        assertThat(serve.err()).contains("already running").contains("pid " + ProcessHandle.current().pid());
        // the refused start did not disturb the running one
        assertThat(AdminFile.read(home).orElseThrow().port()).isEqualTo(app.port());
    }

    @Test
    void afterStopTheCliWorksOfflineAgain() throws Exception {
        app.stop(java.time.Duration.ofSeconds(5));
        app = null;
        assertThat(Files.exists(home.adminFile())).isFalse();
        var s = cli.run("status", "--json");
        assertThat(s.exit()).as(s.toString()).isZero();
        assertThat(JSON.readTree(s.out()).get("daemonRunning").asBoolean()).isFalse();
        assertThat(cli.run("use", "A").exit()).isZero();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private HttpResponse<String> relayRequest() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/v1/responses"))
                .header("content-type", "application/json")
                .header(ClientKey.HEADER, ClientKey.loadOrCreate(home).value())
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5\",\"stream\":true,\"input\":[]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String servedBy(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("response.completed");
        var all = fake.received("/responses");
        return all.get(all.size() - 1).token();
    }

    private JsonNode awaitLogRows(int n) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            JsonNode rows = JSON.readTree(cli.run("logs", "tail", "--json").out());
            if (rows.size() >= n || System.nanoTime() > deadline) {
                assertThat(rows.size()).as("request-log rows").isGreaterThanOrEqualTo(n);
                return rows;
            }
            Thread.sleep(50);
        }
    }

    private static JsonNode find(JsonNode accounts, String name) {
        for (JsonNode a : accounts) if (a.get("name").asText().equals(name)) return a;
        throw new AssertionError("no account " + name + " in " + accounts);
    }
}
