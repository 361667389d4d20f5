package io.codexrelay.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.app.ControlHandle;
import io.codexrelay.app.Controls;
import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real daemon with its tray, in a child JVM on an Xvfb desktop with a tray host (trayer), a D-Bus session,
 * a notification daemon (dunst) and dbus-monitor; driven with xdotool like a person would, checked through the
 * CLI ({@code status --json}), the admin API, the files and the bus. Screenshots go to target/screenshots and
 * docs/screenshots.
 */
@Tag("ui")
class TrayXvfbTest {
    static final String KEY_A = "sk-test-A-0123456789abcdefAAAA";
    static final String KEY_B = "sk-test-B-0123456789abcdefBBBB";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;
    XDesktop desktop;
    FakeUpstream fake;
    RelayHome home;
    Cli cli;
    Process daemon;
    Path daemonLog;
    final List<Process> others = new ArrayList<>();
    int port;

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : others) XDesktop.stop(p);
        if (daemon != null) XDesktop.stop(daemon);
        if (desktop != null) desktop.close();
        if (fake != null) fake.close();
    }

    private void startRelay(boolean trayHost) throws Exception {
        desktop = XDesktop.start(tmp.resolve("desktop"), trayHost);
        fake = new FakeUpstream();
        fake.setDefaultQuotaHeaders(FakeUpstream.quotaHeaders(35, 12, Instant.now().plusSeconds(7200).getEpochSecond(),
                Instant.now().plusSeconds(5 * 86400).getEpochSecond()));
        Path relay = RelayHomes.pointedAt(tmp.resolve("relay"), fake);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.writeString(relay.resolve("config.toml"), Files.readString(relay.resolve("config.toml")) + "[server]\nport = " + port + "\n");
        home = new RelayHome(relay);
        cli = new Cli(relay);
        Files.createDirectories(tmp.resolve("codex"));
        assertThat(cli.run("accounts", "add-key", "--name", "A", "--key", KEY_A).exit()).isZero();
        assertThat(cli.run("accounts", "add-key", "--name", "B", "--key", KEY_B).exit()).isZero();
        daemonLog = tmp.resolve("daemon.log");
        daemon = startCodexRelay(daemonLog);
        XDesktop.await("the daemon's admin API", Duration.ofSeconds(60), () -> Files.exists(home.adminFile()) || !daemon.isAlive());
        assertThat(daemon.isAlive()).as("daemon running; log:\n%s", log()).isTrue();
    }

    /** {@code codex-relay} with no command, as a person starts it (child JVM on the test class path). */
    private Process startCodexRelay(Path logFile) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + tmp.resolve("user-home"), "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.codexrelay.Main");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile());
        Map<String, String> env = pb.environment();
        env.putAll(desktop.env());
        env.put("CODEX_RELAY_HOME", home.dir().toString());
        env.put("CODEX_HOME", tmp.resolve("codex").toString());
        env.put("XDG_CONFIG_HOME", tmp.resolve("user-home/.config").toString());
        env.put("HOME", tmp.resolve("user-home").toString());
        return pb.start();
    }

    private String log() {
        try {
            return Files.readString(daemonLog);
        } catch (Exception e) {
            return "(no log)";
        }
    }

    private JsonNode status() throws Exception {
        Cli.Result r = cli.run("status", "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        return JSON.readTree(r.out());
    }

    private String trayIcon() throws Exception {
        XDesktop.await("the tray icon", Duration.ofSeconds(60), () -> desktop.window("--name", "^codex-relay$").isPresent() || !daemon.isAlive());
        assertThat(daemon.isAlive()).as("daemon running; log:\n%s", log()).isTrue();
        return desktop.window("--name", "^codex-relay$").orElseThrow();
    }

    /** Clicks the tray icon, waits until the menu is drawn below the panel, and returns where it is. */
    private Rectangle openMenu(String icon) throws Exception {
        Rectangle g = desktop.geometry(icon);
        BufferedImage before = desktop.screenshot("tmp-before-menu", false);
        desktop.click(g.x + g.width / 2, g.y + g.height / 2);
        Rectangle below = new Rectangle(680, 34, 600, 500);
        XDesktop.await("the tray menu", Duration.ofSeconds(15), () -> {
            try {
                return changedPixels(before, desktop.screenshot("tmp-menu", false), below) > 5000;
            } catch (Exception e) {
                return false;
            }
        });
        Thread.sleep(400);
        BufferedImage after = desktop.screenshot("tmp-menu", false);
        int minX = Integer.MAX_VALUE, maxX = 0, maxY = 0;
        for (int y = below.y; y < below.y + below.height; y++)
            for (int x = below.x; x < below.x + below.width; x++)
                if (before.getRGB(x, y) != after.getRGB(x, y)) {
                    minX = Math.min(minX, x);
                    maxX = Math.max(maxX, x);
                    maxY = Math.max(maxY, y);
                }
        return new Rectangle(minX, below.y, maxX - minX + 1, maxY - below.y + 1);
    }

    private static int changedPixels(BufferedImage a, BufferedImage b, Rectangle r) {
        int n = 0;
        for (int y = r.y; y < r.y + r.height; y++)
            for (int x = r.x; x < r.x + r.width; x++)
                if (a.getRGB(x, y) != b.getRGB(x, y)) n++;
        return n;
    }

    private HttpResponse<String> relayRequest() throws Exception {
        String key = ClientKey.loadOrCreate(home).value();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/responses"))
                .header("content-type", "application/json").header(ClientKey.HEADER, key)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5-codex\",\"input\":\"hi\",\"stream\":true}"))
                .timeout(Duration.ofSeconds(30)).build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }

    private void focus(String window) throws Exception {
        Rectangle g = desktop.geometry(window);
        // Without a window manager a click gives a Java window the keyboard focus; click a neutral spot (the tab row's end).
        desktop.click(g.x + g.width - 40, g.y + 14);
        Thread.sleep(400);
    }

    @Test
    void trayIconMenuPinSettingsNotificationLogAndSecondLaunch() throws Exception {
        startRelay(true);

        // 1. The icon appears in the tray host's panel and shows the pool's headroom (green bars).
        String icon = trayIcon();
        Rectangle ig = desktop.geometry(icon);
        assertThat(ig.y).isLessThan(32);
        assertThat(ig.x).isGreaterThan(1280 - 200 - 1);
        XDesktop.await("the UI-ready log line", Duration.ofSeconds(30), () -> log().contains("UI ready: tray (Gtk)"));

        // Some traffic first, so the pool knows each account's quota (the fake upstream sends the x-codex-* headers).
        // (Where the pool does not track quota yet, the bars stay neutral grey; the test does not depend on it.)
        // B has used more of its windows than A (its answers say so), which the menu and icon show.
        assertThat(cli.run("use", "B").exit()).isZero();
        long r5h = Instant.now().plusSeconds(5400).getEpochSecond(), rWeek = Instant.now().plusSeconds(4 * 86400).getEpochSecond();
        for (int i = 0; i < 2; i++) {
            fake.enqueue(KEY_B, FakeUpstream.success("ok", FakeUpstream.quotaHeaders(78, 46, r5h, rWeek)));
            assertThat(relayRequest().statusCode()).isEqualTo(200);
        }
        assertThat(cli.run("auto").exit()).isZero();
        for (int i = 0; i < 4; i++) assertThat(relayRequest().statusCode()).isEqualTo(200);
        Thread.sleep(1000);
        XDesktop.crop(desktop.screenshot("tray-icon-full", false), new Rectangle(1080, 0, 200, 32), "tray-icon", true);

        // 2. The menu opens on a click and lists the accounts; choosing B pins it.
        JsonNode st = status();
        List<String> names = new ArrayList<>();
        st.get("accounts").forEach(a -> names.add(a.get("name").asText()));
        assertThat(names).containsExactlyInAnyOrder("A", "B");
        Rectangle menu = openMenu(icon);
        BufferedImage shot = desktop.screenshot("tray-menu-full", false);
        assertThat(menu.width).as("menu width").isGreaterThan(150);
        assertThat(menu.height).as("menu height (entries for 2 accounts and the actions)").isGreaterThan(200);
        int left = Math.min(menu.x - 8, 1080);
        XDesktop.crop(shot, new Rectangle(left, 0, 1280 - left, menu.y + menu.height + 8), "tray-menu", true);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i <= names.indexOf("B"); i++) keys.add("Down");
        keys.add("Return");
        desktop.keys(keys.toArray(String[]::new));
        XDesktop.await("B pinned (status --json)", Duration.ofSeconds(20), () -> {
            try {
                return "B".equals(status().path("pinned").asText(null));
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(status().path("autoSwitch").asBoolean(true)).isFalse();

        // 3. Settings from the menu; a change on the Relay tab is saved to config.toml and applied by the daemon.
        openMenu(icon);
        // Opening the menu fetched quota (issue 15), the first time only: not twice within a minute.
        XDesktop.await("the second opening logged", Duration.ofSeconds(10), () -> log().contains("Tray menu opened: quota was refreshed"));
        assertThat(log().split("Tray menu opened: refreshing quota now", -1).length - 1).as("quota rounds started by opening the menu").isEqualTo(1);
        desktop.keys("s");
        XDesktop.await("the settings window", Duration.ofSeconds(30), () -> desktop.window("--name", "^codex-relay settings$").isPresent());
        String settings = desktop.window("--name", "^codex-relay settings$").orElseThrow();
        // in a process of its own (issue 9): the window's classes leave with it, the daemon stays small
        assertThat(log()).contains("Opened the settings window in process");
        Thread.sleep(1500);
        Rectangle sg = desktop.geometry(settings);
        XDesktop.crop(desktop.screenshot("settings-accounts-full", false), sg, "settings-accounts", true);
        focus(settings);
        desktop.keys("alt+r");
        Thread.sleep(500);
        desktop.keys("alt+p", "p");
        Thread.sleep(500);
        desktop.keys("alt+a");
        XDesktop.await("routing = priority in config.toml", Duration.ofSeconds(20), () -> {
            try {
                return Files.readString(home.configFile()).contains("routing = \"priority\"");
            } catch (Exception e) {
                return false;
            }
        });
        try (ControlHandle control = Controls.open(home, Clock.systemUTC())) {
            assertThat(control.daemonRunning()).isTrue();
            assertThat(control.config().get("pool.routing")).isEqualTo("priority");
        }
        assertThat(Files.readString(home.configFile())).contains("# test relay");  // the rest of the file is kept
        Thread.sleep(500);
        XDesktop.crop(desktop.screenshot("settings-relay-full", false), sg, "settings-relay", true);
        desktop.keys("alt+g");
        Thread.sleep(600);
        XDesktop.crop(desktop.screenshot("settings-general-full", false), sg, "settings-general", true);
        desktop.keys("Escape");
        XDesktop.await("the settings window closed on Esc", Duration.ofSeconds(10),
                () -> desktop.window("--name", "^codex-relay settings$").isEmpty());

        // 4. B runs out: the relay moves the request to A, and the desktop is told so over D-Bus.
        long reset = Instant.now().plusSeconds(3 * 3600).getEpochSecond();
        fake.enqueue(KEY_B, FakeUpstream.usageLimit(reset, "plus"));
        HttpResponse<String> r = relayRequest();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        XDesktop.await("a Notify call on the bus", Duration.ofSeconds(20), () -> {
            try {
                return desktop.notifications().contains("B is out until");
            } catch (Exception e) {
                return false;
            }
        });
        String notes = desktop.notifications();
        assertThat(notes).contains("string \"codex-relay\"").contains("switched to A");
        Thread.sleep(800);
        XDesktop.crop(desktop.screenshot("notification-full", false), new Rectangle(780, 0, 500, 200), "notification", true);
        JsonNode after = status();
        JsonNode b = null;
        for (JsonNode a : after.get("accounts")) if (a.get("name").asText().equals("B")) b = a;
        assertThat(b).isNotNull();
        assertThat(b.get("state").asText()).isEqualTo("exhausted");

        // 5. The request log window shows the failed-over request; its chart tab draws the usage.
        openMenu(icon);
        desktop.keys("l");
        XDesktop.await("the request log window", Duration.ofSeconds(30), () -> desktop.window("--name", "^codex-relay request log$").isPresent());
        String logWin = desktop.window("--name", "^codex-relay request log$").orElseThrow();
        assertThat(log()).contains("Opened the log window in process");
        Thread.sleep(1500);
        Rectangle lg = desktop.geometry(logWin);
        desktop.click(lg.x + 200, lg.y + 100);   // the first row (newest first)
        Thread.sleep(800);
        XDesktop.crop(desktop.screenshot("request-log-full", false), lg, "request-log", true);
        desktop.keys("alt+u");
        Thread.sleep(1500);
        XDesktop.crop(desktop.screenshot("usage-chart-full", false), lg, "usage-chart", true);
        desktop.keys("Escape");

        // 6. A second launch does not start twice: it brings the settings window of the running one forward.
        Process second = startCodexRelay(tmp.resolve("second.log"));
        others.add(second);
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String secondOut = Files.readString(tmp.resolve("second.log"));
        assertThat(second.exitValue()).as(secondOut).isZero();
        assertThat(secondOut).contains("already running");
        XDesktop.await("the settings window brought forward", Duration.ofSeconds(20),
                () -> desktop.window("--name", "^codex-relay settings$").isPresent());

        // 7. Quit from the menu stops the daemon cleanly.
        openMenu(icon);
        desktop.keys("q");
        assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).as("daemon quit; log:\n%s", log()).isTrue();
        assertThat(daemon.exitValue()).isZero();
        assertThat(home.adminFile()).doesNotExist();
    }

    @Test
    void withoutATrayHostTheControlWindowTakesItsPlace() throws Exception {
        startRelay(false);
        XDesktop.await("the control window", Duration.ofSeconds(60),
                () -> desktop.window("--name", "^codex-relay — ").isPresent() || !daemon.isAlive());
        assertThat(daemon.isAlive()).as(log()).isTrue();
        assertThat(log()).contains("No tray icon: no system tray host is running").contains("UI ready: control window");
        assertThat(desktop.window("--name", "^codex-relay$")).isEmpty();
        String w = desktop.window("--name", "^codex-relay — ").orElseThrow();
        Thread.sleep(1500);
        Rectangle g = desktop.geometry(w);
        XDesktop.crop(desktop.screenshot("control-window-full", false), g, "control-window", true);

        // Its switches work like the menu's: pin B by its check box. A click gives the window the focus, which lands
        // on the first check box (account A); Tab moves down the accounts, Space ticks.
        JsonNode st = status();
        assertThat(st.path("pinned").isNull() || st.path("pinned").isMissingNode()).isTrue();
        focus(w);
        Map<String, Integer> index = new HashMap<>();
        int i = 0;
        for (JsonNode a : st.get("accounts")) index.put(a.get("name").asText(), i++);
        List<String> keys = new ArrayList<>();
        for (int k = 0; k < index.get("B"); k++) keys.add("Tab");
        keys.add("space");
        desktop.keys(keys.toArray(String[]::new));
        XDesktop.await("B pinned from the control window", Duration.ofSeconds(20), () -> {
            try {
                return "B".equals(status().path("pinned").asText(null));
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(new String(Files.readAllBytes(daemonLog), StandardCharsets.UTF_8)).doesNotContain(KEY_A).doesNotContain(KEY_B);
    }
}
