package io.codexrelay.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.codex.CodexConfigPatch;
import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.CodexFilesChurn;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9 with real processes: SIGTERM with the "hand Codex over" choice leaves Codex working without the relay and the
 * next start routes it back; {@code kill -9} during a burst of requests and during the file changes of
 * {@code codex on/off} / {@code switch} leaves every file old or new, never half, and relay.db intact.
 */
class DaemonLifecycleProcessTest {
    private static final String KEY_B = "sk-life-b-0000000000000000000000BBBB";
    @TempDir Path dir;
    FakeUpstream fake;
    final List<Process> started = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (fake != null) fake.close();
    }

    private Process java(Path log, List<String> args, java.util.Map<String, String> env) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private Process daemon(RelayHome home, Path codexDir, Path log) throws Exception {
        return java(log, List.of("io.codexrelay.Main", "serve", "--port", "0"), java.util.Map.of("CODEX_RELAY_HOME", home.dir().toString(),
                "CODEX_HOME", codexDir.toString(), "HOME", dir.resolve("user").toString()));
    }

    private static AdminFile.Info awaitAdmin(RelayHome home, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && p.isAlive()) {
            var info = AdminFile.read(home);
            if (info.isPresent() && info.get().pid() == p.pid()) return info.get();
            Thread.sleep(50);
        }
        throw new AssertionError("daemon did not write admin.json; its output:\n" + Files.readString(log));
    }

    @Test
    void sigtermWithTheDirectChoiceHandsCodexOverAndTheNextStartRoutesItBack() throws Exception {
        fake = new FakeUpstream();
        RelayHome home = new RelayHome(RelayHomes.pointedAt(dir.resolve("relay"), fake));
        Path codexDir = Files.createDirectories(dir.resolve("codex"));
        Files.writeString(codexDir.resolve("config.toml"), "# mine\nmodel = \"o3\"   # keep me\n");
        Cli cli = new Cli(home.dir()).env("CODEX_HOME", codexDir.toString());
        assertThat(cli.env("K", KEY_B).run("accounts", "add-key", "--name", "B", "--key-env", "K", "--base-url",
                "https://api.openai.com/v1").exit()).isZero();
        assertThat(cli.run("switch", "--on-stop", "direct").exit()).isZero();

        Path log = dir.resolve("daemon.log");
        Process p = daemon(home, codexDir, log);
        awaitAdmin(home, p, log);
        var on = cli.run("codex", "on", "--no-start");
        assertThat(on.exit()).as(on.toString()).isZero();
        byte[] routed = Files.readAllBytes(codexDir.resolve("config.toml"));

        p.destroy();   // SIGTERM, as at logout
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("Codex now uses B directly").doesNotContain(KEY_B);
        assertThat(Files.readString(codexDir.resolve("auth.json"))).contains(KEY_B);
        assertThat(CodexConfigPatch.inspect(Files.readString(codexDir.resolve("config.toml")), "x").pointsAtRelay()).isFalse();

        Path log2 = dir.resolve("daemon2.log");
        Process again = daemon(home, codexDir, log2);
        awaitAdmin(home, again, log2);
        assertThat(Files.readAllBytes(codexDir.resolve("config.toml"))).isEqualTo(routed);
        assertThat(codexDir.resolve("auth.json")).doesNotExist();
        again.destroy();
        assertThat(again.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void kill9DuringABurstAndDuringCodexOnOffLeavesFilesOldOrNewNeverHalf() throws Exception {
        fake = new FakeUpstream();
        fake.setDefault(FakeUpstream.slowSuccess("burst", 6, 40));
        RelayHome home = new RelayHome(RelayHomes.pointedAt(dir.resolve("relay"), fake));
        Cli cli = new Cli(home.dir());
        for (int i = 0; i < 3; i++) assertThat(cli.run("accounts", "add-key", "--name", "k" + i, "--key", "sk-burst-" + i + "-000000000000000000").exit()).isZero();
        Path codexDir = Files.createDirectories(dir.resolve("codex"));
        String original = "# mine\nmodel = \"o3\"   # keep me\n\n[profiles.x]\nmodel = \"o4\"\n";
        Files.writeString(codexDir.resolve("config.toml"), original);

        Path log = dir.resolve("daemon.log");
        Process p = daemon(home, codexDir, log);
        var info = awaitAdmin(home, p, log);
        String clientKey = ClientKey.loadOrCreate(home).value();
        // the files churn in another process, as `codex on` / `switch` / `switch --undo` / `codex off` write them
        Path churnLog = dir.resolve("churn.log");
        Process churn = java(churnLog, List.of(CodexFilesChurn.class.getName(), home.dir().toString(), codexDir.toString(),
                "http://127.0.0.1:" + info.port() + "/v1", clientKey, KEY_B), java.util.Map.of());

        HttpClient http = HttpClient.newHttpClient();
        List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            burst.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + info.port() + "/v1/responses"))
                    .header("content-type", "application/json").header(ClientKey.HEADER, clientKey)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5\",\"stream\":true,\"input\":[]}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        // kill both once some requests have finished (rows being written) and the churn has gone round a few times
        CompletableFuture.anyOf(burst.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        awaitLine(churnLog, "cycle 3", churn);
        p.destroyForcibly();
        churn.destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(churn.waitFor(30, TimeUnit.SECONDS)).isTrue();

        try (var c = DriverManager.getConnection("jdbc:sqlite:" + home.database());
             var rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
        // config.toml: one of the states a whole write leaves, never a mix
        String onText = CodexConfigPatch.on(original, new CodexConfigPatch.ProviderSpec("http://127.0.0.1:" + info.port() + "/v1",
                clientKey, 600_000), CodexConfigPatch.Memory.NONE, "x").text();
        String directText = CodexConfigPatch.off(onText, new CodexConfigPatch.Memory(true, null, "\n", false), false, "x").text();
        String config = Files.readString(codexDir.resolve("config.toml"));
        assertThat(config).isIn(original, onText, directText);
        Path auth = codexDir.resolve("auth.json");
        if (Files.exists(auth)) {
            assertThat(new ObjectMapper().readTree(auth.toFile()).path("OPENAI_API_KEY").asText()).isEqualTo(KEY_B);
        }
        // and every step can still be undone / redone from here: the files and the records agree
        var status = new Cli(home.dir()).run("codex", "status", "--codex-home", codexDir.toString());
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(Set.of(original, onText, directText)).hasSize(3);
    }

    private static void awaitLine(Path log, String line, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(line)) return;
            if (!p.isAlive()) throw new AssertionError("the churn process ended:\n" + Files.readString(log));
            Thread.sleep(20);
        }
        throw new AssertionError("no '" + line + "' from the churn process:\n" + Files.readString(log));
    }
}
