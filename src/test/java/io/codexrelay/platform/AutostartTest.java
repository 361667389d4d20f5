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
        Path script = home.resolve("AppData/Roaming/codex-relay/start-at-login.js");
        assertThat(a.entryFile()).isEqualTo(script);
        assertThat(calls.get(1)).containsExactly("reg", "add", Autostart.RUN_KEY, "/v", "codex-relay", "/t", "REG_SZ", "/d",
                "wscript.exe //Nologo \"" + script + "\"", "/f");
        assertThat(Files.readString(script)).contains("var command = \"\\\"C:\\\\Program Files\\\\Java\\\\bin\\\\javaw.exe\\\" -jar C:\\\\cr\\\\codex-relay.jar\";");
        assertThat(a.isEnabled()).isTrue();
        a.disable();
        assertThat(calls.get(calls.size() - 1)).containsExactly("reg", "delete", Autostart.RUN_KEY, "/v", "codex-relay", "/f");
        assertThat(a.isEnabled()).isFalse();
        assertThat(script).doesNotExist();
    }

    /**
     * The Windows supervisor's logic, run for real under Node with stand-ins for the script host's WScript.Shell and
     * WScript objects (the script itself is plain ES3, as JScript runs it): a crash is restarted after the delay, a
     * normal exit ends it, the fourth crash within two minutes ends it with a message.
     */
    @Test
    void theWindowsSupervisorRestartsACrashAndGivesUpAfterTheBurst() throws Exception {
        var a = new Autostart(Os.WINDOWS, home, Map.of("APPDATA", home.resolve("roaming").toString(), "CODEX_RELAY_HOME", "C:\\relay home"),
                List.of("C:\\Java\\bin\\javaw.exe", "-jar", "C:\\cr\\codex-relay.jar"), cmd -> 0);
        Path script = home.resolve("supervisor.js");
        Files.writeString(script, a.windowsSupervisor());

        String crashThenQuit = runSupervisor(script, "[3, 1, 0]");
        assertThat(crashThenQuit).contains("RUN cmd.exe /c set \"CODEX_RELAY_HOME=C:\\relay home\" && C:\\Java\\bin\\javaw.exe -jar C:\\cr\\codex-relay.jar hidden=0 wait=true");
        assertThat(crashThenQuit.lines().filter(l -> l.startsWith("RUN ")).count()).isEqualTo(3);
        assertThat(crashThenQuit.lines().filter(l -> l.equals("SLEEP " + Autostart.RESTART_DELAY_SEC * 1000)).count()).isEqualTo(2);
        assertThat(crashThenQuit).endsWith("QUIT 0").doesNotContain("POPUP");

        String crashLoop = runSupervisor(script, "[1, 1, 1, 1, 1, 1]");
        assertThat(crashLoop.lines().filter(l -> l.startsWith("RUN ")).count()).isEqualTo(Autostart.START_LIMIT_BURST);
        assertThat(crashLoop).contains("POPUP codex-relay stopped after 4 crashes within 120 s (last exit code 1)").endsWith("QUIT 1");
    }

    /** Runs the supervisor under Node; the stand-in shell answers Run with {@code codes} in turn. Returns what it did. */
    private String runSupervisor(Path script, String codes) throws Exception {
        String node = findNode();
        Path harness = home.resolve("harness.js");
        Files.writeString(harness, """
                const fs = require('fs');
                const codes = %s; const out = [];
                class Quit extends Error { constructor(c) { super('quit'); this.code = c; } }
                global.ActiveXObject = function (name) {
                  if (name !== 'WScript.Shell') throw new Error('unexpected object ' + name);
                  this.Run = (cmd, style, wait) => { out.push('RUN ' + cmd + ' hidden=' + style + ' wait=' + wait);
                    if (codes.length === 0) throw new Error('ran too often'); return codes.shift(); };
                  this.Popup = (text, secs, title, type) => { out.push('POPUP ' + text); return 1; };
                };
                global.WScript = { Quit: (c) => { throw new Quit(c); }, Sleep: (ms) => out.push('SLEEP ' + ms) };
                try { eval(fs.readFileSync(process.argv[2], 'utf8')); out.push('FELL THROUGH'); }
                catch (e) { if (e instanceof Quit) out.push('QUIT ' + e.code); else out.push('ERROR ' + e.message); }
                process.stdout.write(out.join('\\n'));
                """.formatted(codes));
        Process p = new ProcessBuilder(node, harness.toString(), script.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static String findNode() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, "node"))) return Path.of(d, "node").toString();
        }
        String msg = "node is not installed (needed to run the Windows start-at-login supervisor; .ci/run installs it)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) throw new AssertionError(msg);
        org.junit.jupiter.api.Assumptions.abort(msg);
        return null;
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
