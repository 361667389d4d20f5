package io.codexrelay.ui;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The tray's windows in processes of their own (issue 9): what is started, and "front" for one still open. */
class WindowProcessesTest {
    @TempDir Path tmp;

    @Test
    void theLauncherIsThisRuntimesJavaWithTheClassPathOrElseTheNativeLauncher() throws Exception {
        List<String> java = WindowProcesses.launcher(System.getProperty("java.home"), "/opt/codex-relay.jar", "/usr/bin/java");
        assertThat(java.get(0)).isEqualTo(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        assertThat(java).containsSubsequence("-cp", "/opt/codex-relay.jar", "io.codexrelay.Main")
                .contains("-XX:TieredStopAtLevel=1", "-Duser.home=" + System.getProperty("user.home"));
        // a jpackage image: its trimmed runtime has no bin/java; the launcher that started the daemon starts the window
        Path runtime = Files.createDirectories(tmp.resolve("runtime"));
        assertThat(WindowProcesses.launcher(runtime.toString(), "/opt/app/codex-relay.jar", "/opt/codex-relay/bin/codex-relay"))
                .containsExactly("/opt/codex-relay/bin/codex-relay");
        assertThat(WindowProcesses.launcher(runtime.toString(), "/opt/app/codex-relay.jar", "/usr/lib/jvm/x/bin/java")).isNull();
        assertThat(WindowProcesses.launcher(null, null, null)).isNull();
    }

    @Test
    void eachWindowHasItsCommand() {
        assertThat(WindowProcesses.arguments("settings")).containsExactly("window", "settings");
        assertThat(WindowProcesses.arguments("log")).containsExactly("window", "log");
        assertThat(WindowProcesses.arguments("sessions")).containsExactly("sessions", "window");
    }

    @Test
    void aWindowIsStartedOnceAndChosenAgainItIsAskedToComeForward() throws Exception {
        // a stand-in window process: records its arguments and everything the tray writes to it
        Path script = tmp.resolve("window.sh");
        Files.writeString(script, "#!/bin/sh\necho \"$@\" > '" + tmp.resolve("args") + "'\nexec cat > \"" + tmp + "/stdin-$2\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        WindowProcesses windows = new WindowProcesses(List.of(script.toString()), Map.of("PATH", "/usr/bin:/bin"));
        try {
            assertThat(windows.open("settings")).isTrue();
            await(() -> Files.exists(tmp.resolve("args")));
            assertThat(Files.readString(tmp.resolve("args")).strip()).isEqualTo("window settings");
            assertThat(windows.running("settings")).isTrue();
            assertThat(windows.open("settings")).isTrue();   // still open: brought forward, not started twice
            await(() -> Files.exists(tmp.resolve("stdin-settings")) && read(tmp.resolve("stdin-settings")).equals("front\n"));
        } finally {
            windows.close();
        }
        await(() -> !windows.running("settings"));
        assertThat(windows.open("log")).as("closed with the daemon: nothing more is started").isFalse();
    }

    @Test
    void withWindowsInTheDaemonNothingIsStarted() {
        WindowProcesses inProcess = WindowProcesses.forThisProcess(Map.of("CODEX_RELAY_WINDOWS", "in-process"));
        assertThat(inProcess.open("settings")).isFalse();
        assertThat(inProcess.running("settings")).isFalse();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }

    private static void await(java.util.function.BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("gave up after 20 s");
            Thread.sleep(50);
        }
    }
}
