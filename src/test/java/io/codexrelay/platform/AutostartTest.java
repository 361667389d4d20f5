package io.codexrelay.platform;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AutostartTest {
    @TempDir Path home;
    static final List<String> LAUNCH = List.of("/opt/java 17/bin/java", "-jar", "/opt/codex-relay/codex-relay.jar");

    @Test
    void linuxWritesAndRemovesAnXdgDesktopEntry() throws Exception {
        var a = new Autostart(Os.LINUX, home, Map.of("CODEX_RELAY_HOME", "/tmp/relay home"), LAUNCH, cmd -> { throw new AssertionError(); });
        Path f = home.resolve(".config/autostart/codex-relay.desktop");
        assertThat(a.entryFile()).isEqualTo(f);
        assertThat(a.isEnabled()).isFalse();
        a.enable();
        assertThat(a.isEnabled()).isTrue();
        String text = Files.readString(f);
        assertThat(text).startsWith("[Desktop Entry]\n").contains("Type=Application\n", "Terminal=false\n",
                "Exec=env \"CODEX_RELAY_HOME=/tmp/relay home\" \"/opt/java 17/bin/java\" -jar /opt/codex-relay/codex-relay.jar\n");
        // Switched off by a desktop tool: reported as off.
        Files.writeString(f, text + "Hidden=true\n");
        assertThat(a.isEnabled()).isFalse();
        a.disable();
        assertThat(f).doesNotExist();
        a.disable(); // idempotent
    }

    @Test
    void linuxHonoursXdgConfigHome() {
        var a = new Autostart(Os.LINUX, home, Map.of("XDG_CONFIG_HOME", home.resolve("cfg").toString()), LAUNCH, cmd -> 0);
        assertThat(a.entryFile()).isEqualTo(home.resolve("cfg/autostart/codex-relay.desktop"));
    }

    @Test
    void desktopQuotingFollowsTheSpec() {
        assertThat(Autostart.desktopQuote("/usr/bin/java")).isEqualTo("/usr/bin/java");
        assertThat(Autostart.desktopQuote("a b")).isEqualTo("\"a b\"");
        assertThat(Autostart.desktopQuote("$HOME\\x\"`")).isEqualTo("\"\\$HOME\\\\x\\\"\\`\"");
        assertThat(Autostart.desktopQuote("50%")).isEqualTo("50%%");
    }

    @Test
    void macWritesALaunchAgent() throws Exception {
        var a = new Autostart(Os.MAC, home, Map.of(), LAUNCH, cmd -> 0);
        a.enable();
        Path f = home.resolve("Library/LaunchAgents/io.codexrelay.daemon.plist");
        assertThat(a.isEnabled()).isTrue();
        assertThat(Files.readString(f)).contains("<key>RunAtLoad</key><true/>", "<string>/opt/java 17/bin/java</string>",
                "<string>-jar</string>").doesNotContain("EnvironmentVariables");
        a.disable();
        assertThat(a.isEnabled()).isFalse();
    }

    @Test
    void macLaunchAgentRelaunchesAfterACrashButNotAfterQuit() {
        String plist = new Autostart(Os.MAC, home, Map.of(), LAUNCH, cmd -> 0).plist();
        assertThat(plist).contains("<key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key><false/>",
                "<key>ThrottleInterval</key><integer>" + Autostart.RESTART_DELAY_MAC_SEC + "</integer>");
    }

    @Test
    void pathsFollowHomeFromTheEnvironmentNotJavasUserHome() {
        Path envHome = home.resolve("elsewhere");
        assertThat(Autostart.userHome(Map.of("HOME", envHome.toString()))).isEqualTo(envHome);
        var a = new Autostart(Os.LINUX, Autostart.userHome(Map.of("HOME", envHome.toString())), Map.of(), LAUNCH, cmd -> 0);
        assertThat(a.entryFile()).isEqualTo(envHome.resolve(".config/autostart/codex-relay.desktop"));
        assertThat(a.unitFile()).isEqualTo(envHome.resolve(".config/systemd/user/codex-relay.service"));
    }

    @Test
    void systemdUnitQuotesTheLaunchCommandAndCarriesTheRelayHome() throws Exception {
        Path runtime = java.nio.file.Files.createDirectories(home.resolve("run/systemd"));
        java.nio.file.Files.createFile(runtime.resolve("private"));
        var a = new Autostart(Os.LINUX, home, Map.of("XDG_RUNTIME_DIR", home.resolve("run").toString(),
                "CODEX_RELAY_HOME", "/tmp/relay $home 100%"), LAUNCH, cmd -> 0);
        assertThat(a.systemdSupervises()).isTrue();
        assertThat(a.serviceUnit()).contains("Restart=on-failure", "StartLimitBurst=" + Autostart.START_LIMIT_BURST,
                "OnFailure=codex-relay-failed.service", "Environment=\"CODEX_RELAY_HOME=/tmp/relay $$home 100%%\"",
                "ExecStart=\"/opt/java 17/bin/java\" -jar");
    }

    @Test
    void windowsUsesTheRunKeyThroughReg() throws Exception {
        List<List<String>> calls = new ArrayList<>();
        boolean[] present = {false};
        var a = new Autostart(Os.WINDOWS, home, Map.of(), List.of("C:\\Program Files\\Java\\bin\\javaw.exe", "-jar", "C:\\cr\\codex-relay.jar"), cmd -> {
            calls.add(cmd);
            switch (cmd.get(1)) {
                case "add" -> present[0] = true;
                case "delete" -> present[0] = false;
                default -> { }
            }
            return cmd.get(1).equals("query") && !present[0] ? 1 : 0;
        });
        assertThat(a.isEnabled()).isFalse();
        a.enable();
        assertThat(calls.get(1)).containsExactly("reg", "add", Autostart.RUN_KEY, "/v", "codex-relay", "/t", "REG_SZ", "/d",
                "\"C:\\Program Files\\Java\\bin\\javaw.exe\" -jar C:\\cr\\codex-relay.jar", "/f");
        assertThat(a.isEnabled()).isTrue();
        a.disable();
        assertThat(calls.get(calls.size() - 1)).containsExactly("reg", "delete", Autostart.RUN_KEY, "/v", "codex-relay", "/f");
        assertThat(a.isEnabled()).isFalse();
    }

    @Test
    void refusesWithoutAJarToStart() {
        var a = new Autostart(Os.LINUX, home, Map.of(), List.of(), cmd -> 0);
        assertThat(a.supported()).isFalse();
        assertThatThrownBy(a::enable).hasMessageContaining("not supported");
    }

    @Test
    void recognisesTheOs() {
        assertThat(Os.of("Linux")).isEqualTo(Os.LINUX);
        assertThat(Os.of("Mac OS X")).isEqualTo(Os.MAC);
        assertThat(Os.of("Windows 11")).isEqualTo(Os.WINDOWS);
        assertThat(Os.of("Plan 9")).isEqualTo(Os.OTHER);
    }
}
