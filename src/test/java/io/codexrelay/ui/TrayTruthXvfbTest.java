package io.codexrelay.ui;

import io.codexrelay.config.ClientKey;
import io.codexrelay.config.RelayHome;
import io.codexrelay.testing.Cli;
import io.codexrelay.testing.FakeUpstream;
import io.codexrelay.testing.RelayHomes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 under Xvfb with the real tray (trayer), D-Bus and a notification daemon: the menu follows {@code codex on}
 * from the CLI, a launch with stored quota never shows the grey "unknown" icon, and one all-out moment gives exactly
 * one notification whose icon is the all-out meter. Waits poll for the outcome and assert on the final state.
 */
@Tag("ui")
class TrayTruthXvfbTest {
    static final String KEY_A = "sk-test-A-0123456789abcdefAAAA";
    static final String KEY_B = "sk-test-B-0123456789abcdefBBBB";

    @TempDir Path tmp;
    XDesktop desktop;
    FakeUpstream fake;
    RelayHome home;
    Cli cli;
    Process daemon;
    int port;

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) XDesktop.stop(daemon);
        if (desktop != null) desktop.close();
        if (fake != null) fake.close();
    }

    private Process start(Path logFile) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + tmp.resolve("user-home"), "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.codexrelay.Main");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile());
        Map<String, String> env = pb.environment();
        env.putAll(desktop.env());
        env.put("CODEX_RELAY_HOME", home.dir().toString());
        env.put("CODEX_HOME", tmp.resolve("codex").toString());
        env.put("XDG_CONFIG_HOME", tmp.resolve("user-home/.config").toString());
        env.put("HOME", tmp.resolve("user-home").toString());
        Process p = pb.start();
        XDesktop.await("the tray's UI-ready line", Duration.ofSeconds(90), () -> read(logFile).contains("UI ready: tray") || !p.isAlive());
        XDesktop.await("the daemon's admin API", Duration.ofSeconds(60), () -> Files.exists(home.adminFile()) || !p.isAlive());
        assertThat(p.isAlive()).as("daemon running; log:\n%s", read(logFile)).isTrue();
        return p;
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (Exception e) {
            return "";
        }
    }

    private int relayRequest() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/responses"))
                .header("content-type", "application/json").header(ClientKey.HEADER, ClientKey.loadOrCreate(home).value())
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-5-codex\",\"input\":\"hi\",\"stream\":true}"))
                .timeout(Duration.ofSeconds(30)).build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static int count(String text, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    @Test
    void menuFollowsTheCliIconStartsFromStoredQuotaAndOneAllOutIsOneNotification() throws Exception {
        desktop = XDesktop.start(tmp.resolve("desktop"), true);
        fake = new FakeUpstream();
        long r5h = Instant.now().plusSeconds(5400).getEpochSecond(), rWeek = Instant.now().plusSeconds(4 * 86400).getEpochSecond();
        fake.setDefaultQuotaHeaders(FakeUpstream.quotaHeaders(35, 12, r5h, rWeek));
        Path relay = RelayHomes.pointedAt(tmp.resolve("relay"), fake);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.writeString(relay.resolve("config.toml"), Files.readString(relay.resolve("config.toml")) + "[server]\nport = " + port + "\n");
        home = new RelayHome(relay);
        cli = new Cli(relay);
        Path codex = Files.createDirectories(tmp.resolve("codex"));
        assertThat(cli.run("accounts", "add-key", "--name", "A", "--key", KEY_A).exit()).isZero();
        assertThat(cli.run("accounts", "add-key", "--name", "B", "--key", KEY_B).exit()).isZero();

        // First run: some traffic, so the pool stores each account's quota; then stop.
        Path first = tmp.resolve("first.log");
        daemon = start(first);
        for (int i = 0; i < 4; i++) assertThat(relayRequest()).isEqualTo(200);
        XDesktop.await("the icon showing quota", Duration.ofSeconds(10), () -> read(first).contains("Tray icon: 5h"));
        // The daemon logs the icon, then stores it for the next start: stopping it between the two (a fresh-clone CI
        // run once did) leaves nothing stored, and the next start rightly begins grey.
        XDesktop.await("the icon stored for the next start", Duration.ofSeconds(10),
                () -> Files.exists(relay.resolve("tray-icon.properties")));
        XDesktop.stop(daemon);
        XDesktop.await("the first daemon gone", Duration.ofSeconds(30), () -> !Files.exists(home.adminFile()));

        // 1. Launched with stored quota, the icon is never grey "unknown".
        Path second = tmp.resolve("second.log");
        daemon = start(second);
        XDesktop.await("the icon line", Duration.ofSeconds(10), () -> read(second).contains("Tray icon: "));
        Thread.sleep(1500);   // a refresh after attach must not turn it grey either
        assertThat(read(second)).contains("Tray icon: 5h 35 % used").doesNotContain("Tray icon: unknown");

        // 2. `codex on` from the CLI: the menu's "Route Codex through relay" is ticked (by the file watch event).
        XDesktop.await("the menu's first Codex state", Duration.ofSeconds(35), () -> read(second).contains("Tray menu: Route Codex through relay"));
        assertThat(read(second)).contains("Tray menu: Route Codex through relay unticked");
        Cli.Result on = cli.run("codex", "on", "--no-start", "--codex-home", codex.toString());
        assertThat(on.exit()).as(on.toString()).isZero();
        XDesktop.await("the tick", Duration.ofSeconds(5), () -> read(second).contains("Route Codex through relay ticked"));
        assertThat(read(second)).contains("Tray menu: Route Codex through relay ticked");

        // 3. Both accounts run dry in one request: one notification, with the all-out meter as its icon.
        String before = desktop.notifications();
        long reset = Instant.now().plusSeconds(3 * 3600).getEpochSecond();
        fake.enqueue(KEY_A, FakeUpstream.usageLimit(reset, "plus"));
        fake.enqueue(KEY_B, FakeUpstream.usageLimit(reset, "plus"));
        assertThat(relayRequest()).isEqualTo(429);
        XDesktop.await("a Notify call", Duration.ofSeconds(20), () -> {
            try {
                return desktop.notifications().length() > before.length() && desktop.notifications().substring(before.length()).contains("All accounts are out");
            } catch (Exception e) {
                return false;
            }
        });
        Thread.sleep(4000);   // longer than the notifier's merge window: a second note would have come by now
        String calls = desktop.notifications().substring(before.length());
        assertThat(count(calls, "member=Notify")).as(calls).isEqualTo(1);
        assertThat(calls).contains("All accounts are out").contains("notify-100-100-all-out.png");
        assertThat(read(second)).doesNotContain(KEY_A).doesNotContain(KEY_B);
    }
}
