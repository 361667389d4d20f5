package io.codexrelay.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.Controls;
import io.codexrelay.app.ToolKeyView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Settings window's Tool keys tab and "Connect a tool…" dialog, for real on an Xvfb desktop (a child JVM,
 * {@link SettingsKeysDriver}, clicks through them): a key is created and shown once with a working Copy button and is
 * gone from the screen when its dialog closes; revoking asks first; connecting Claude Code writes the env block of
 * {@code ~/.claude/settings.json} after a backup and Undo puts the file back; the SDK environment is shown as values
 * to paste, each with Copy. The effects are checked here through {@link io.codexrelay.app.ControlApi} (the keys) and
 * the files; each step is photographed (target/screenshots; docs/screenshots with {@code -Dscreenshots.update=true}).
 */
@Tag("ui")
class SettingsKeysXvfbTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SETTINGS_BEFORE = "{\n  \"model\" : \"opus\",\n  \"env\" : {\n    \"DISABLE_TELEMETRY\" : \"1\"\n  }\n}\n";

    @TempDir Path tmp;
    XDesktop desktop;
    Process driver;
    String claudeToken;   // the key connect wrote for Claude Code: it must not appear in the driver's output

    @AfterEach
    void tearDown() {
        if (driver != null) XDesktop.stop(driver);
        if (desktop != null) desktop.close();
    }

    private Map<String, ToolKeyView> keys(Path relay) throws Exception {
        try (ControlHandle control = Controls.open(Map.of("CODEX_RELAY_HOME", relay.toString()), Clock.systemUTC())) {
            Map<String, ToolKeyView> out = new LinkedHashMap<>();
            for (ToolKeyView k : control.keys()) out.put(k.name(), k);
            return out;
        }
    }

    @Test
    void toolKeysAreCreatedShownOnceRevokedAndToolsConnectedFromTheSettingsWindow() throws Exception {
        desktop = XDesktop.start(tmp.resolve("desktop"), false);
        Path relay = tmp.resolve("relay"), userHome = tmp.resolve("home");
        Path claudeSettings = userHome.resolve(".claude/settings.json");
        Files.createDirectories(claudeSettings.getParent());
        Files.writeString(claudeSettings, SETTINGS_BEFORE);

        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + userHome, "-cp", System.getProperty("java.class.path"), SettingsKeysDriver.class.getName(),
                relay.toString(), userHome.toString()).redirectErrorStream(true);
        pb.environment().putAll(desktop.env());
        driver = pb.start();
        ChildLines out = new ChildLines(driver);
        Writer answer = new OutputStreamWriter(driver.getOutputStream(), StandardCharsets.UTF_8);

        Map<String, String> facts = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>();
        Set<String> shots = new HashSet<>();
        String line;
        // every step of the driver answers within two minutes, or the test fails with what it printed (never hangs)
        while ((line = out.poll("", java.time.Duration.ofMinutes(2)).orElse(null)) != null) {
            lines.add(line);
            if (line.startsWith("FACT ")) {
                String f = line.substring(5);
                facts.put(f.substring(0, f.indexOf('=')), f.substring(f.indexOf('=') + 1));
            } else if (line.startsWith("SHOT ")) {
                String name = line.substring(5);
                BufferedImage img = desktop.screenshot(name, false);
                shots.add(name);
                if (name.equals("settings-tool-keys") || name.equals("settings-connect-env")) {
                    // docs/screenshots: the Settings window, and the Connect dialog over it when it is open
                    java.awt.Rectangle r = desktop.geometry(desktop.window("--name", "^codex-relay settings$").orElseThrow());
                    var dialog = desktop.window("--name", "^Connect a tool$");
                    if (dialog.isPresent()) r = r.union(desktop.geometry(dialog.get()));
                    XDesktop.crop(img, r, name, true);
                }
                assertThat(distinctColours(img)).as("something drawn for %s", name).isGreaterThan(30);
                answer.write("go\n");
                answer.flush();
            } else if (line.startsWith("CHECK ")) {
                check(line.substring(6), relay, userHome, claudeSettings, facts);
                answer.write("go\n");
                answer.flush();
            } else if (line.equals("DONE") || line.startsWith("FAILED")) {
                break;
            }
        }
        assertThat(driver.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(driver.exitValue()).as(String.join("\n", lines)).isZero();
        assertThat(lines).contains("DONE");
        assertThat(shots).contains("settings-tool-keys", "settings-key-shown", "settings-connect-claude", "settings-connect-env");

        // What the window showed
        assertThat(facts.get("tab")).isEqualTo("Tool keys");
        assertThat(facts.get("apply-visible")).as("Apply belongs to the Relay and General tabs").isEqualTo("false");
        assertThat(facts.get("accounts-offered")).isEqualTo(ToolKeysPanel.ANY_ACCOUNT + "|Pro-1");
        assertThat(facts.get("key-note")).contains("It is shown only now");
        assertThat(facts.get("clipboard-is-the-key")).isEqualTo("true");
        assertThat(facts.get("key-visible-after-close")).as("the key is gone from every window once its dialog closed").isEqualTo("false");
        assertThat(facts.get("revoke-enabled")).isEqualTo("true");
        assertThat(facts.get("confirm-text")).contains("Revoke the key “my-script”?");
        assertThat(facts.get("connect-message")).startsWith("Wrote the env block of " + claudeSettings).contains("(backup: ");
        assertThat(facts.get("undo-label")).isEqualTo("Undo");
        assertThat(facts.get("undo-message")).contains("Restored the env block").contains("Revoked the key 'claude-code'");
        assertThat(facts.get("pastes")).isEqualTo("4");
        assertThat(facts.get("paste-names")).isEqualTo("export OPENAI_BASE_URL=…|export OPENAI_API_KEY=…|export ANTHROPIC_BASE_URL=…|export ANTHROPIC_AUTH_TOKEN=…");
        assertThat(facts.get("clipboard-is-paste-1")).isEqualTo("true");
        assertThat(facts.get("env-key-visible-after-close")).isEqualTo("false");
        // the Accounts tab shows each snapshot the tray hands over: no quota yet, then 80 % used in 3 h, then 20 %
        assertThat(facts.get("pace-before")).isEqualTo("—");
        assertThat(facts.get("pace-after-event")).matches("out in 4[56] m \\(5 h\\)");
        assertThat(facts.get("pace-after-second-event")).isEqualTo("lasts to the reset");
        String rows = facts.get("rows").replace("\\n", "\n");
        assertThat(rows.lines().findFirst().orElseThrow()).startsWith("codex;any;none;—;—;0;active");
        assertThat(rows).contains("\nenv;any;none;").contains("\nmy-script;any;30 a minute;");

        // Through the ControlApi: env active, the others revoked
        Map<String, ToolKeyView> keys = keys(relay);
        assertThat(keys.get("env").active()).isTrue();
        assertThat(keys.get("my-script").active()).isFalse();
        assertThat(keys.get("my-script").rpm()).isEqualTo(30);
        assertThat(keys.get("claude-code").active()).isFalse();
        // no key in the driver's output: only its length and the first characters
        String all = String.join("\n", lines);
        assertThat(all).doesNotContainPattern("OPENAI_API_KEY=[^…]");
        assertThat(claudeToken).isNotBlank();
        assertThat(all).doesNotContain(claudeToken);
    }

    /** The test's side of a CHECK: the files and the keys as they must be at that step. */
    private void check(String step, Path relay, Path userHome, Path claudeSettings, Map<String, String> facts) throws Exception {
        Map<String, ToolKeyView> keys = keys(relay);
        switch (step) {
            case "key-created" -> {
                assertThat(keys).containsKey("my-script");
                assertThat(keys.get("my-script").active()).isTrue();
                assertThat(Integer.parseInt(facts.get("key-length"))).isGreaterThan(20);
            }
            case "key-revoked" -> assertThat(keys.get("my-script").active()).isFalse();
            case "claude-connected" -> {
                JsonNode s = JSON.readTree(Files.readString(claudeSettings));
                assertThat(s.path("model").asText()).isEqualTo("opus");               // the rest of the file is kept
                assertThat(s.path("env").path("DISABLE_TELEMETRY").asText()).isEqualTo("1");
                assertThat(s.path("env").path("ANTHROPIC_BASE_URL").asText()).startsWith("http://127.0.0.1:");
                claudeToken = s.path("env").path("ANTHROPIC_AUTH_TOKEN").asText();
                assertThat(claudeToken).hasSizeGreaterThan(20);
                assertThat(s.path("env").path("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC").asText()).isEqualTo("1");
                assertThat(keys.get("claude-code").active()).isTrue();
                try (Stream<Path> backups = Files.list(relay.resolve("backups"))) {
                    List<Path> b = backups.filter(p -> p.getFileName().toString().contains("settings.json")).toList();
                    assertThat(b).as("a backup of settings.json").hasSize(1);
                    assertThat(Files.readString(b.get(0))).isEqualTo(SETTINGS_BEFORE);
                }
            }
            case "claude-undone" -> {
                JsonNode s = JSON.readTree(Files.readString(claudeSettings));
                assertThat(s).isEqualTo(JSON.readTree(SETTINGS_BEFORE));
                assertThat(keys.get("claude-code").active()).isFalse();
            }
            case "env-connected" -> assertThat(keys.get("env").active()).isTrue();
            default -> throw new AssertionError("unknown step " + step);
        }
    }

    private static int distinctColours(BufferedImage img) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) for (int x = 0; x < img.getWidth(); x += 2) colours.add(img.getRGB(x, y));
        return colours.size();
    }
}
