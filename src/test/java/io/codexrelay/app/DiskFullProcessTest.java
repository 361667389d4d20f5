package io.codexrelay.app;

import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9: the relay home's disk fills up while the daemon logs requests. The relay keeps serving Codex and says what
 * happened (its output names the failed request-log write and the full disk). The relay home is a small tmpfs,
 * mounted here (the suite runs as root in CI; elsewhere it needs root, and CI fails rather than skips without it).
 */
class DiskFullProcessTest {
    private static final String KEY = "sk-diskfull-000000000000000000000FULL";
    @TempDir Path dir;
    FakeUpstream fake;
    Process daemon;
    Path mounted;

    @AfterEach
    void cleanUp() throws Exception {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroyForcibly();
            daemon.waitFor(10, TimeUnit.SECONDS);
        }
        if (mounted != null) new ProcessBuilder("umount", "-l", mounted.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        if (fake != null) fake.close();
    }

    private boolean mountTmpfs(Path where, String size) throws Exception {
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", where.toString())
                .redirectErrorStream(true).start();
        boolean ok = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (ok) mounted = where;
        return ok;
    }

    @Test
    void whenTheDiskFillsWhileLoggingTheRelayKeepsServingAndSaysWhatHappened() throws Exception {
        Path relayDir = Files.createDirectories(dir.resolve("relay"));
        boolean ok = mountTmpfs(relayDir, "6m");
        if (!ok && System.getenv("CI") == null) Assumptions.abort("mounting a tmpfs needs root (CI runs as root)");
        assertThat(ok).as("mount -t tmpfs needs root; the CI job runs the suite as root").isTrue();

        fake = new FakeUpstream();
        fake.setDefault(FakeUpstream.success("served with a full disk"));
        RelayHome home = new RelayHome(RelayHomes.pointedAt(relayDir, fake));
        assertThat(new Cli(home.dir()).run("accounts", "add-key", "--name", "k", "--key", KEY).exit()).isZero();

        Path log = dir.resolve("daemon.log");   // outside the full disk: what the user would see on the terminal / journal
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.codexrelay.Main", "serve",
                "--port", "0").redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("CODEX_RELAY_HOME", home.dir().toString());
        daemon = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        AdminFile.Info info = null;
        while (info == null && System.nanoTime() < deadline && daemon.isAlive()) {
            var i = AdminFile.read(home);
            if (i.isPresent() && i.get().pid() == daemon.pid()) info = i.get(); else Thread.sleep(50);
        }
        assertThat(info).as(Files.readString(log)).isNotNull();

        // fill the disk to the last byte
        try (OutputStream out = Files.newOutputStream(relayDir.resolve("filler"))) {
            byte[] chunk = new byte[64 * 1024];
            while (true) out.write(chunk);
        } catch (IOException full) {
            assertThat(full.getMessage()).containsIgnoringCase("space");
        }

        HttpClient http = HttpClient.newHttpClient();
        String clientKey = ClientKey.loadOrCreate(home).value();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + info.port() + "/v1/responses"))
                    .header("content-type", "application/json").header(ClientKey.HEADER, clientKey)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5\",\"stream\":true,\"input\":[\"" + "x".repeat(2000) + "\"]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            statuses.add(r.statusCode());
            assertThat(r.body()).contains("served with a full disk");
        }
        assertThat(statuses).containsOnly(200);
        assertThat(daemon.isAlive()).isTrue();

        // the daemon said what happened (the request log could not be written: the disk is full)
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String out = Files.readString(log);
        while (!out.contains("Could not write") && System.nanoTime() < until) {
            Thread.sleep(200);
            out = Files.readString(log);
        }
        assertThat(out).contains("Could not write").containsIgnoringCase("full").doesNotContain(KEY);
    }
}
