package io.codexrelay.bench;

import io.codexrelay.testing.FakeUpstream;
import org.eclipse.jetty.client.HttpClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the JIT's choice plays out over a daemon's life: for each set of JVM options ("modes"), a fresh relay is started
 * and measured from its first request on: milliseconds to the first 200 from {@code /healthz}, RSS just started, then
 * the time to first byte and the relay's CPU per request over consecutive stretches of requests (the 1st request, the
 * next 9, 90, 900, ... one stream at a time, then 16 at a time), and RSS idle at the end. The modes run one after
 * another, their order rotated every start, each alone on the machine. Run with {@code bench/jit-modes.sh}.
 */
public final class JitModes {
    private static final String KEY = "sk-bench-0000000000000000";

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(RelayBench.arg(args, "--jar", "target/codex-relay.jar"));
        int starts = Integer.parseInt(RelayBench.arg(args, "--starts", "2"));
        Path out = Path.of(RelayBench.arg(args, "--out", "target/bench/jit-modes.md"));
        Map<String, String> modes = new LinkedHashMap<>();
        String given = RelayBench.arg(args, "--modes", "");
        if (given.isBlank()) {
            modes.put("desktop (launcher)", VersusNginx.expandProfiles("$LEAN"));
            modes.put("shared (CODEX_RELAY_PROFILE=shared)", VersusNginx.expandProfiles("$SHARED"));
        } else {
            for (String m : given.split(";;")) {
                int eq = m.indexOf('=');
                modes.put(m.substring(0, eq).trim(), VersusNginx.expandProfiles(m.substring(eq + 1)).trim());
            }
        }
        // stretches of requests: {concurrency, requests}
        int[][] stretches = {{1, 1}, {1, 9}, {1, 90}, {1, 900}, {1, 4000}, {16, 16000}, {16, 16000}, {1, 2000}};
        String givenStretches = RelayBench.arg(args, "--stretches", ""); // e.g. 1x100,16x16000: streams x requests
        if (!givenStretches.isBlank()) {
            stretches = java.util.Arrays.stream(givenStretches.split(","))
                    .map(x -> new int[]{Integer.parseInt(x.split("x")[0]), Integer.parseInt(x.split("x")[1])}).toArray(int[][]::new);
        }

        HttpClient client = RelayBench.loadClient(512, 4096);
        StringBuilder r = new StringBuilder("## JIT modes over a relay's life, run of " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + "\n\n");
        r.append(RelayBench.Machine.describe());
        modes.forEach((name, opts) -> r.append("- ").append(name).append(": `").append(opts).append("`\n"));
        r.append("- stream: 5 text deltas, no gap; each mode a fresh relay, alone, modes rotated every start\n\n");
        StringBuilder head = new StringBuilder("| start | mode | ms to /healthz | RSS just started MB |");
        StringBuilder rule = new StringBuilder("|---|---|---|---|");
        int done = 0;
        for (int[] s : stretches) {
            head.append(" requests ").append(done + 1).append("-").append(done + s[1]).append(s[0] > 1 ? " (" + s[0] + " streams)" : "")
                    .append(": TTFB p50 ms / CPU per req ms |");
            rule.append("---|");
            done += s[1];
        }
        head.append(" RSS idle 10 s after MB |");
        rule.append("---|");
        r.append(head).append('\n').append(rule).append('\n');
        try (FakeUpstream fake = new FakeUpstream()) {
            fake.setDefault(FakeUpstream.slowSuccess("jit", 5, 0));
            List<String> names = new ArrayList<>(modes.keySet());
            for (int start = 1; start <= starts; start++) {
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get((i + start - 1) % names.size());
                    System.err.println("[jit] start " + start + ", " + name + " ...");
                    try (RelayBench.RelayProcess relay = RelayBench.RelayProcess.start(jar, modes.get(name), fake.apiBaseUrl(), KEY, 64,
                            Path.of("target/bench/jit-relay-" + start + "-" + name.replaceAll("[^A-Za-z0-9]+", "-") + ".log"))) {
                        var target = new RelayBench.Target("relay", "http://127.0.0.1:" + relay.port() + "/v1/responses",
                                Map.of("x-relay-key", relay.clientKey()));
                        RelayBench bench = new RelayBench(client, fake, target, target);
                        r.append("| ").append(start).append(" | ").append(name).append(" | ").append(relay.startMillis())
                                .append(" | ").append(relay.rssKb() / 1024).append(" |");
                        for (int[] s : stretches) {
                            long cpu0 = relay.cpuMillis();
                            List<RelayBench.Sample> samples = bench.batch(target, s[0], s[1]);
                            long cpu = relay.cpuMillis() - cpu0;
                            long[] ttfb = samples.stream().filter(RelayBench.Sample::ok).mapToLong(RelayBench.Sample::ttfb).sorted().toArray();
                            long errors = samples.size() - ttfb.length;
                            samples.stream().filter(x -> !x.ok()).limit(3).forEach(x -> System.err.println("[jit] " + name + ": failed request: status "
                                    + x.status() + ", completed " + x.completed() + ", " + x.error()));
                            r.append(' ').append(String.format(Locale.ROOT, "%.3f / %.3f", RelayBench.pct(ttfb, 50) / 1e6, (double) cpu / samples.size()))
                                    .append(errors > 0 ? " (" + errors + " errors)" : "").append(" |");
                        }
                        Thread.sleep(10_000);
                        r.append(' ').append(relay.rssKb() / 1024).append(" |\n");
                    }
                }
            }
        } finally {
            client.stop();
        }
        r.append("\n- load average at the end: ").append(Files.readString(Path.of("/proc/loadavg")).trim()).append("\n");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, r);
        System.out.println(r);
        System.out.println("(written to " + out + ")");
    }
}
