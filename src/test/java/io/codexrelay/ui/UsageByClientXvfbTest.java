package io.codexrelay.ui;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request-log window's Usage tab on an X server (Xvfb started here), over a relay home's real request log: the
 * chart stacks requests by account, and after choosing "By client key" by the client key each request came with
 * (request_log.client), rows from before clients were kept counting as "(unknown)". The window closes on Esc.
 */
@Tag("ui")
class UsageByClientXvfbTest {
    @TempDir Path tmp;
    final List<Process> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            Process p = started.get(i);
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    private String startXvfb() throws Exception {
        for (int n = 141; n < 190; n++) {
            if (Files.exists(Path.of("/tmp/.X" + n + "-lock")) || Files.exists(Path.of("/tmp/.X11-unix/X" + n))) continue;
            Process x = new ProcessBuilder("Xvfb", ":" + n, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            started.add(x);
            for (int i = 0; i < 50 && x.isAlive(); i++) {
                if (Files.exists(Path.of("/tmp/.X11-unix/X" + n))) return ":" + n;
                Thread.sleep(100);
            }
            x.destroy();
            started.remove(x);
        }
        throw new AssertionError("could not start Xvfb");
    }

    private static String run(String display, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DISPLAY", display);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
        return out.strip();
    }

    @Test
    void theUsageChartShowsRequestsByAccountOrByClientKey() throws Exception {
        SessionsWindowXvfbTest.need("Xvfb");
        SessionsWindowXvfbTest.need("xdotool");
        String display = startXvfb();
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + tmp.resolve("user-home"), "-cp", System.getProperty("java.class.path"),
                UsageByClientShot.class.getName(), tmp.resolve("relay").toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DISPLAY", display);
        pb.environment().put("CODEX_RELAY_HOME", tmp.resolve("relay").toString());
        Process shot = pb.start();
        started.add(shot);
        BufferedReader out = new BufferedReader(new InputStreamReader(shot.getInputStream(), StandardCharsets.UTF_8));
        List<String> log = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null && !line.equals("READY")) log.add(line);
        assertThat(line).as("child output: " + log).isEqualTo("READY");

        assertThat(log).as("child output").contains("SERIES ACCOUNT A=4;B=3");
        assertThat(log).as("child output").contains("SERIES CLIENT (unknown)=1;claude-code=2;codex=3;run:4242 codex=1");

        String id = run(display, "xdotool", "search", "--sync", "--name", "request log").lines().findFirst().orElseThrow();
        Thread.sleep(1000);
        run(display, "xdotool", "mousemove", "--window", id, "600", "400", "click", "1");
        Thread.sleep(500);
        run(display, "xdotool", "key", "Escape");
        assertThat(shot.waitFor(20, TimeUnit.SECONDS)).as("window closed on Esc").isTrue();
        assertThat(shot.exitValue()).isZero();
    }
}
