package io.codexrelay.bench;

import io.codexrelay.testing.FakeUpstream;
import org.eclipse.jetty.client.HttpClient;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The relay next to nginx over the same fake upstream and the same load, in one run: CPU per streaming request of
 * each process (from {@code /proc/PID/stat} deltas over the measured load), their ratio, the time to first byte each
 * adds to the direct path at 1, 16 and 64 concurrent streams, and resident memory.
 *
 * <p>nginx runs unprivileged from a config in a temp dir: {@code proxy_pass} to the fake, {@code proxy_buffering
 * off}, HTTP/1.1 keep-alive to the upstream, an access log (buffered) as the relay keeps a request log. The relay is
 * started from the jar with the launcher's JVM options ({@code installer/codex-relay}'s {@code LEAN_JVM_OPTS}) unless
 * {@code --jvm-opts} says otherwise. With {@code --jfr FILE} the relay records a JFR profile of the measured load.
 * With {@code --versus-jar OTHER.jar} a second relay from that jar runs on the same fake and load, its batches
 * interleaved with the first's (the order swapped every round), so that a change is measured against the build
 * before it under the same machine load. Run with {@code bench/versus-nginx.sh}.
 */
public final class VersusNginx {
    private static final String KEY = "sk-bench-0000000000000000";
    /** The thread id of the Codex-like requests (its session headers and prompt_cache_key are the same id). */
    private static final String THREAD = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(RelayBench.arg(args, "--jar", "target/codex-relay.jar"));
        String jvmOpts = expandProfiles(RelayBench.arg(args, "--jvm-opts", "$LEAN"));
        int deltas = Integer.parseInt(RelayBench.arg(args, "--deltas", "5"));
        int gapMs = Integer.parseInt(RelayBench.arg(args, "--gap-ms", "0"));
        int perPath = Integer.parseInt(RelayBench.arg(args, "--requests", "2000"));
        int rounds = Integer.parseInt(RelayBench.arg(args, "--rounds", "4"));
        String jfr = RelayBench.arg(args, "--jfr", "");
        boolean syscalls = Arrays.asList(args).contains("--syscalls");
        String nginxBin = RelayBench.arg(args, "--nginx", "/usr/sbin/nginx");
        Path out = Path.of(RelayBench.arg(args, "--out", "target/bench/versus-nginx.md"));
        int codexLikeKb = Integer.parseInt(RelayBench.arg(args, "--codex-like", "0"));
        String otherJar = RelayBench.arg(args, "--versus-jar", "");
        String otherOpts = expandProfiles(RelayBench.arg(args, "--versus-jvm-opts", jvmOpts));
        if (otherJar.isBlank() && Arrays.asList(args).contains("--versus-jvm-opts")) otherJar = jar.toString();
        int warmUpRounds = Integer.parseInt(RelayBench.arg(args, "--warm-up-rounds", "4"));
        RelayBench.RelayProcess.logRowsBeforeStart = Integer.parseInt(RelayBench.arg(args, "--log-rows", "0"));
        int[] levels = Arrays.stream(RelayBench.arg(args, "--concurrency", "1,16,64").split(",")).mapToInt(Integer::parseInt).toArray();
        if (!Files.isRegularFile(jar)) throw new IllegalStateException(jar + " not found: run `mvn -q -DskipTests clean package` first");

        HttpClient client = RelayBench.loadClient(512, 4096);
        StringBuilder r = new StringBuilder();
        try (FakeUpstream fake = new FakeUpstream();
             RelayBench.RelayProcess relay = RelayBench.RelayProcess.start(jar, jvmOpts, fake.apiBaseUrl(), KEY, 256,
                     Path.of("target/bench/versus-relay.log"));
             Nginx nginx = Nginx.start(nginxBin, fake.port());
             RelayBench.RelayProcess other = otherJar.isBlank() ? null : RelayBench.RelayProcess.start(Path.of(otherJar), otherOpts,
                     fake.apiBaseUrl(), KEY, 256, Path.of("target/bench/versus-relay-b.log"))) {
            fake.setDefault(FakeUpstream.slowSuccess("versus", deltas, gapMs));
            var direct = new RelayBench.Target("direct", fake.apiBaseUrl() + "/responses", Map.of("authorization", "Bearer " + KEY));
            var viaRelay = new RelayBench.Target("relay", "http://127.0.0.1:" + relay.port() + "/v1/responses", Map.of("x-relay-key", relay.clientKey()));
            var viaNginx = new RelayBench.Target("nginx", "http://127.0.0.1:" + nginx.port + "/v1/responses", Map.of("authorization", "Bearer " + KEY));
            var viaOther = other == null ? null
                    : new RelayBench.Target("relay B", "http://127.0.0.1:" + other.port() + "/v1/responses", Map.of("x-relay-key", other.clientKey()));
            if (codexLikeKb > 0) {
                byte[] body = codexLikeBody(codexLikeKb);
                if (viaOther != null) viaOther = viaOther.with(codexHeaders(), body);
                Map<String, String> headers = codexHeaders();
                direct = direct.with(headers, body);
                viaRelay = viaRelay.with(headers, body);
                viaNginx = viaNginx.with(headers, body);
            }
            RelayBench bench = new RelayBench(client, fake, direct, viaRelay);

            r.append("## Relay vs nginx, run of ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append("\n\n");
            r.append(RelayBench.Machine.describe());
            r.append("- load average at start: ").append(loadAverage()).append('\n');
            r.append("- relay JVM options: `").append(jvmOpts.isBlank() ? "(none: JVM defaults)" : jvmOpts).append("`\n");
            r.append("- ").append(nginx.version).append(", 2 workers, `proxy_buffering off`, keep-alive to the fake, buffered access log\n");
            if (codexLikeKb > 0) {
                r.append("- requests as Codex sends them: its headers (session-id, thread-id, originator, turn metadata, ...) and a ")
                        .append(codexLikeKb).append(" KB body (the history in `input`, tools, `prompt_cache_key` after them)\n");
            }
            if (RelayBench.RelayProcess.logRowsBeforeStart > 0) r.append("- each relay started with ")
                    .append(RelayBench.RelayProcess.logRowsBeforeStart).append(" rows in its request log (as after that many requests)\n");
            r.append("- warm-up: ").append(warmUpRounds).append(" rounds of 1000 requests per path, at ")
                    .append(Arrays.stream(levels).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(" / ")))
                    .append(" streams in turn\n");
            if (other != null) r.append("- relay B: a second relay from `").append(otherJar).append("`, ")
                    .append(otherOpts.equals(jvmOpts) ? "same options" : "options `" + otherOpts + "`").append(", its batches interleaved with the relay's\n");
            r.append("- stream: ").append(deltas).append(" text deltas, ").append(gapMs == 0 ? "no gap" : gapMs + " ms apart").append(" (").append(deltas + 4).append(" events); ")
                    .append(perPath).append(" requests per path and concurrency, in ").append(rounds).append(" interleaved rounds\n\n");
            long relayRssStart = relay.rssKb();
            long otherRssStart = other == null ? 0 : other.rssKb();

            step("warm-up");
            // Each round at one of the measured levels in turn, so that the code every level runs (more connections
            // at 64 streams, one request at a time at 1) is compiled before it is measured, not only what 16 runs.
            for (int round = 0; round < warmUpRounds; round++) {
                int level = levels[round % levels.length];
                for (var t : List.of(direct, viaRelay, viaNginx)) bench.batch(t, level, 1000);
                if (viaOther != null) bench.batch(viaOther, level, 1000);
            }
            Thread.sleep(2000);
            long relayRssIdle = relay.rssKb();
            long nginxRssIdle = nginx.rssKb();
            long otherRssIdle = other == null ? 0 : other.rssKb();
            long otherPeak = otherRssIdle;

            if (!jfr.isBlank()) jcmd(relay, "JFR.start", "name=versus", "settings=" + samplingSettings(), "filename=" + Path.of(jfr).toAbsolutePath());
            Map<String, String> threadCpu0 = threadCpu(relay.pid());
            long processCpu0 = relay.cpuMillis();
            r.append("| streams | path | requests | errors | TTFB p50 ms | TTFB p99 ms | added p50 ms | added p99 ms | CPU per request ms |\n");
            r.append("|---|---|---|---|---|---|---|---|---|\n");
            StringBuilder summary = new StringBuilder("\n| streams | relay CPU/req ms | nginx CPU/req ms | ratio | relay added p50 ms | nginx added p50 ms | relay added p99 ms | nginx added p99 ms |\n|---|---|---|---|---|---|---|---|\n");
            long relayPeak = relayRssIdle, nginxPeak = nginxRssIdle;
            StringBuilder versus = new StringBuilder("\n| streams | relay CPU/req ms | relay B CPU/req ms | relay / relay B | relay added p50 ms | relay B added p50 ms | nginx added p50 ms |\n|---|---|---|---|---|---|---|\n");
            StringBuilder syscallTable = new StringBuilder("\n| streams | path | " + String.join(" | ", SyscallCount.NAMES) + " |\n|---|---|"
                    + "---|".repeat(SyscallCount.NAMES.size()) + "\n");
            for (int c : levels) {
                step("concurrency " + c);
                List<RelayBench.Sample> d = new ArrayList<>(), rl = new ArrayList<>(), ng = new ArrayList<>(), ob = new ArrayList<>();
                long relayCpu = 0, nginxCpu = 0, otherCpu = 0;
                SyscallCount relaySys = new SyscallCount(), nginxSys = new SyscallCount();
                int per = Math.max(c, perPath / rounds);
                for (int round = 0; round < rounds; round++) { // interleaved, so drift in the machine's load hits all alike
                    d.addAll(bench.batch(direct, c, per));
                    if (other != null && round % 2 == 1) { // B before A every other round: neither always runs first
                        long o0 = other.cpuMillis();
                        ob.addAll(bench.batch(viaOther, c, per));
                        otherCpu += other.cpuMillis() - o0;
                        otherPeak = Math.max(otherPeak, other.rssKb());
                    }
                    long c0 = relay.cpuMillis();
                    Process rp = syscalls ? SyscallCount.watch(List.of(relay.pid())) : null;
                    rl.addAll(bench.batch(viaRelay, c, per));
                    relayCpu += relay.cpuMillis() - c0;
                    if (rp != null) relaySys.add(rp);
                    relayPeak = Math.max(relayPeak, relay.rssKb());
                    if (other != null && round % 2 == 0) {
                        long o0 = other.cpuMillis();
                        ob.addAll(bench.batch(viaOther, c, per));
                        otherCpu += other.cpuMillis() - o0;
                        otherPeak = Math.max(otherPeak, other.rssKb());
                    }
                    long n0 = nginx.cpuTicks();
                    Process np = syscalls ? SyscallCount.watch(nginx.pids()) : null;
                    ng.addAll(bench.batch(viaNginx, c, per));
                    if (np != null) nginxSys.add(np);
                    nginxCpu += (nginx.cpuTicks() - n0) * 10;
                    nginxPeak = Math.max(nginxPeak, nginx.rssKb());
                }
                long[] dt = ttfbs(d), rt = ttfbs(rl), nt = ttfbs(ng);
                double relayPer = (double) relayCpu / rl.size(), nginxPer = (double) nginxCpu / ng.size();
                row(r, c, "direct", d, dt, null, Double.NaN);
                row(r, c, "relay", rl, rt, dt, relayPer);
                row(r, c, "nginx", ng, nt, dt, nginxPer);
                if (other != null) {
                    long[] ot = ttfbs(ob);
                    double otherPer = (double) otherCpu / ob.size();
                    row(r, c, "relay B", ob, ot, dt, otherPer);
                    versus.append("| ").append(c).append(" | ").append(f3(relayPer)).append(" | ").append(f3(otherPer)).append(" | ")
                            .append(String.format(Locale.ROOT, "%.2f", relayPer / otherPer)).append(" | ")
                            .append(ms(pct(rt, 50) - pct(dt, 50))).append(" | ").append(ms(pct(ot, 50) - pct(dt, 50))).append(" | ")
                            .append(ms(pct(nt, 50) - pct(dt, 50))).append(" |\n");
                }
                if (syscalls) {
                    syscallTable.append("| ").append(c).append(" | relay | ").append(relaySys.perRequest(rl.size())).append(" |\n");
                    syscallTable.append("| ").append(c).append(" | nginx | ").append(nginxSys.perRequest(ng.size())).append(" |\n");
                }
                summary.append("| ").append(c).append(" | ").append(f3(relayPer)).append(" | ").append(f3(nginxPer)).append(" | ")
                        .append(String.format(Locale.ROOT, "%.1f", relayPer / nginxPer)).append(" | ")
                        .append(ms(pct(rt, 50) - pct(dt, 50))).append(" | ").append(ms(pct(nt, 50) - pct(dt, 50))).append(" | ")
                        .append(ms(pct(rt, 99) - pct(dt, 99))).append(" | ").append(ms(pct(nt, 99) - pct(dt, 99))).append(" |\n");
            }
            if (!jfr.isBlank()) jcmd(relay, "JFR.stop", "name=versus");
            Map<String, String> threadCpu1 = threadCpu(relay.pid());
            long processTicks = (relay.cpuMillis() - processCpu0) / 10;
            r.append(summary);
            if (other != null) r.append("\nThis build (relay) against relay B (`").append(otherJar).append("`), same run:\n").append(versus);
            if (syscalls) r.append("\nSystem calls and context switches per request (perf stat over each batch, every thread):\n").append(syscallTable);
            r.append("\n| relay threads (by name, numbers dropped) | CPU s over the measured load | share |\n|---|---|---|\n");
            // Per thread id: a pool thread that ended during the load took its CPU time with it, and one that started
            // counts from zero; what the living threads do not explain is shown as "threads that ended".
            Map<String, Long> byName = new java.util.TreeMap<>();
            threadCpu1.forEach((tid, v) -> byName.merge(v.substring(0, v.lastIndexOf(' ')),
                    ticks(v) - (threadCpu0.containsKey(tid) ? ticks(threadCpu0.get(tid)) : 0L), Long::sum));
            long living = byName.values().stream().mapToLong(Long::longValue).sum();
            if (processTicks > living) byName.put("(threads that ended during the load)", processTicks - living);
            long totalTicks = Math.max(processTicks, living);
            byName.entrySet().stream()
                    .filter(e -> e.getValue() > 0)
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(e -> r.append("| ").append(e.getKey()).append(" | ").append(String.format(Locale.ROOT, "%.2f", e.getValue() / 100.0))
                            .append(" | ").append(String.format(Locale.ROOT, "%.0f %%", 100.0 * e.getValue() / Math.max(1, totalTicks))).append(" |\n"));
            step("idle for 10 s");
            Thread.sleep(10_000); // what stays after the load: heap shrink, native trim
            String b = other == null ? "" : " | ";
            r.append("\n| memory (VmRSS) | relay MB | nginx MB (master + workers)").append(other == null ? "" : " | relay B MB")
                    .append(" |\n|---|---|---|").append(other == null ? "" : "---|").append("\n");
            r.append("| just started | ").append(relayRssStart / 1024).append(" | –").append(other == null ? "" : b + otherRssStart / 1024).append(" |\n");
            r.append("| idle after warm-up | ").append(relayRssIdle / 1024).append(" | ").append(nginxRssIdle / 1024)
                    .append(other == null ? "" : b + otherRssIdle / 1024).append(" |\n");
            r.append("| peak during the measured load | ").append(relayPeak / 1024).append(" | ").append(nginxPeak / 1024)
                    .append(other == null ? "" : b + otherPeak / 1024).append(" |\n");
            r.append("| idle 10 s after the load | ").append(relay.rssKb() / 1024).append(" | ").append(nginx.rssKb() / 1024)
                    .append(other == null ? "" : b + other.rssKb() / 1024).append(" |\n");
            r.append("\n- load average at the end: ").append(loadAverage()).append("\n\n");
        } finally {
            client.stop();
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, r);
        System.out.println(r);
        System.out.println("(written to " + out + ")");
    }

    /**
     * A body shaped as Codex's (docs: codex-wire.md section 2): model first, the whole history in {@code input}, tools,
     * then {@code prompt_cache_key}; about {@code kb} KB.
     */
    static byte[] codexLikeBody(int kb) {
        StringBuilder input = new StringBuilder();
        input.append("{\"type\":\"message\",\"role\":\"developer\",\"content\":[{\"type\":\"input_text\",\"text\":\"")
                .append("You are Codex, a coding agent. ".repeat(40)).append("\"}]}");
        int turn = 0;
        while (input.length() < kb * 1024L) {
            input.append(",{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"")
                    .append("Please look at src/main/java/App.java line ").append(turn).append(" and fix the failing test. ".repeat(8))
                    .append("\"}]},{\"type\":\"function_call\",\"name\":\"shell\",\"arguments\":\"{\\\"command\\\":[\\\"bash\\\",\\\"-lc\\\",\\\"sed -n 1,80p App.java\\\"]}\",\"call_id\":\"call_")
                    .append(turn).append("\"},{\"type\":\"function_call_output\",\"call_id\":\"call_").append(turn)
                    .append("\",\"output\":\"").append("public final class App { int x = 1; }\\n".repeat(20)).append("\"}");
            turn++;
        }
        String json = "{\"model\":\"gpt-5-codex\",\"instructions\":\"\",\"input\":[" + input + "],"
                + "\"tools\":[{\"type\":\"function\",\"name\":\"shell\",\"description\":\"Runs a command\",\"parameters\":{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}}],"
                + "\"tool_choice\":\"auto\",\"parallel_tool_calls\":false,\"reasoning\":{\"effort\":\"medium\"},\"store\":false,\"stream\":true,"
                + "\"include\":[\"reasoning.encrypted_content\"],\"prompt_cache_key\":\"" + THREAD + "\"}";
        return json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The headers Codex sends with every turn (codex-wire.md section 2), besides content-type, accept and the key. */
    static Map<String, String> codexHeaders() {
        Map<String, String> h = new java.util.LinkedHashMap<>();
        h.put("originator", "codex_exec");
        h.put("user-agent", "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm-256color (codex-exec; 0.169.0)");
        h.put("session-id", THREAD);
        h.put("thread-id", THREAD);
        h.put("x-client-request-id", THREAD);
        h.put("x-codex-window-id", THREAD + ":0");
        h.put("x-codex-beta-features", "");
        h.put("x-codex-turn-metadata", "{\"turn_id\":\"0199a1b2-0000-7000-8000-000000000001\",\"sandbox\":\"seccomp\"}");
        return h;
    }

    /** The JVM options the launcher starts the daemon with (the {@code LEAN_JVM_OPTS} line of installer/codex-relay). */
    static String launcherOptions() throws IOException {
        return launcherLine("LEAN_JVM_OPTS");
    }

    /**
     * {@code $LEAN} and {@code $SHARED} in a bench's options: the launcher's desktop options, and what it runs with
     * {@code CODEX_RELAY_PROFILE=shared} (its environment as {@code NAME=value} words first; RelayProcess sets them).
     */
    static String expandProfiles(String opts) throws IOException {
        String lean = launcherOptions();
        return opts.replace("$SHARED", "MALLOC_ARENA_MAX=2 " + lean + " " + launcherLine("SHARED_JVM_OPTS")).replace("$LEAN", lean);
    }

    private static String launcherLine(String name) throws IOException {
        Matcher m = Pattern.compile("(?m)^" + name + "=\"([^\"]*)\"").matcher(Files.readString(Path.of("installer/codex-relay")));
        if (!m.find()) throw new IllegalStateException("no " + name + " line in installer/codex-relay");
        return m.group(1);
    }

    /**
     * CPU ticks of the relay's threads by thread id, each as "name ticks" (the name without its numbers, so that
     * "relay-http-12" and "relay-http-40" add up to one line).
     */
    static Map<String, String> threadCpu(long pid) {
        Map<String, String> out = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[-#\\d]+$", "").trim();
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.put(t.getFileName().toString(), name + " " + (Long.parseLong(f[11]) + Long.parseLong(f[12])));
                } catch (IOException | RuntimeException e) {
                    // the thread ended
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return out;
    }

    private static long ticks(String nameAndTicks) {
        return Long.parseLong(nameAndTicks.substring(nameAndTicks.lastIndexOf(' ') + 1));
    }

    /** JFR's profile settings with Java samples every millisecond (profile's 10 ms gives too few samples per request). */
    private static String samplingSettings() throws IOException {
        Path profile = Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc");
        String jfc = Files.readString(profile).replaceAll("(?s)(<event name=\"jdk.ExecutionSample\">.*?<setting name=\"period\"[^>]*>)[^<]*<",
                "$1" + "1 ms<");
        Path out = Files.createTempFile("relay-sampling-", ".jfc");
        Files.writeString(out, jfc);
        return out.toString();
    }

    private static void jcmd(RelayBench.RelayProcess relay, String... what) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(relay.pid())));
        cmd.addAll(List.of(what));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("jcmd " + cmd + ": " + said);
        System.err.println("[versus] " + said.trim());
    }

    private static void row(StringBuilder r, int c, String path, List<RelayBench.Sample> s, long[] t, long[] base, double cpu) {
        long errors = s.stream().filter(x -> !x.ok()).count();
        r.append("| ").append(c).append(" | ").append(path).append(" | ").append(s.size()).append(" | ").append(errors).append(" | ")
                .append(ms(pct(t, 50))).append(" | ").append(ms(pct(t, 99))).append(" | ");
        if (base == null) r.append("– | – | – |\n");
        else r.append(ms(pct(t, 50) - pct(base, 50))).append(" | ").append(ms(pct(t, 99) - pct(base, 99))).append(" | ").append(f3(cpu)).append(" |\n");
    }

    private static long[] ttfbs(List<RelayBench.Sample> s) {
        return s.stream().filter(RelayBench.Sample::ok).mapToLong(RelayBench.Sample::ttfb).sorted().toArray();
    }

    private static long pct(long[] sorted, double p) { return RelayBench.pct(sorted, p); }

    private static String ms(long nanos) { return String.format(Locale.ROOT, "%.3f", nanos / 1e6); }

    private static String f3(double v) { return String.format(Locale.ROOT, "%.3f", v); }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void step(String what) { System.err.println("[versus] " + what + " ..."); }

    /**
     * System calls and context switches of a set of processes over one batch, counted by {@code perf stat} (started
     * before the batch, stopped after it).
     */
    static final class SyscallCount {
        static final List<String> NAMES = List.of("read", "recvfrom", "write", "writev", "futex", "epoll_wait", "epoll_ctl", "context-switches");
        private final Map<String, Long> totals = new java.util.LinkedHashMap<>();

        static Process watch(List<Long> pids) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("perf", "stat", "-x", ",", "-e"));
            cmd.add(NAMES.stream().map(n -> n.equals("context-switches") ? n : "syscalls:sys_enter_" + n).collect(java.util.stream.Collectors.joining(",")));
            cmd.add("-p");
            cmd.add(pids.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")));
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Thread.sleep(300); // perf attaches
            return p;
        }

        void add(Process p) throws Exception {
            ProcessHandle.of(p.pid()).ifPresent(h -> {
                try {
                    new ProcessBuilder("kill", "-INT", Long.toString(h.pid())).start().waitFor();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            String out = new String(p.getErrorStream().readAllBytes());
            p.waitFor(10, TimeUnit.SECONDS);
            for (String line : out.split("\n")) {
                String[] f = line.split(",");
                if (f.length < 3 || !f[0].matches("\\d+")) continue;
                String name = f[2].replace("syscalls:sys_enter_", "");
                totals.merge(name, Long.parseLong(f[0]), Long::sum);
            }
        }

        String perRequest(int requests) {
            return NAMES.stream().map(n -> String.format(Locale.ROOT, "%.1f", totals.getOrDefault(n, 0L) / (double) Math.max(1, requests)))
                    .collect(java.util.stream.Collectors.joining(" | "));
        }
    }

    /** nginx as a plain reverse proxy in front of the fake, unprivileged, from a config in a temp dir. */
    static final class Nginx implements AutoCloseable {
        final Process process;
        final int port;
        final Path dir;
        final String version;

        private Nginx(Process process, int port, Path dir, String version) {
            this.process = process;
            this.port = port;
            this.dir = dir;
            this.version = version;
        }

        static Nginx start(String bin, int upstreamPort) throws Exception {
            if (!Files.isExecutable(Path.of(bin))) {
                throw new IllegalStateException(bin + " not found: install nginx (apt-get install -y nginx-light) or pass --nginx PATH");
            }
            Path dir = Files.createTempDirectory("codex-relay-bench-nginx-");
            int port;
            try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
            String conf = """
                    worker_processes 2;
                    daemon off;
                    pid %1$s/nginx.pid;
                    error_log %1$s/error.log warn;
                    events { worker_connections 4096; }
                    http {
                      access_log %1$s/access.log combined buffer=64k flush=1s;
                      client_body_temp_path %1$s/body;
                      proxy_temp_path %1$s/proxy;
                      fastcgi_temp_path %1$s/fastcgi;
                      uwsgi_temp_path %1$s/uwsgi;
                      scgi_temp_path %1$s/scgi;
                      upstream fake { server 127.0.0.1:%2$d; keepalive 256; }
                      server {
                        listen 127.0.0.1:%3$d;
                        keepalive_requests 100000;
                        location / {
                          proxy_pass http://fake;
                          proxy_http_version 1.1;
                          proxy_set_header Connection "";
                          proxy_buffering off;
                          proxy_request_buffering off;
                          proxy_read_timeout 600s;
                        }
                      }
                    }
                    """.formatted(dir, upstreamPort, port);
            Path confFile = dir.resolve("nginx.conf");
            Files.writeString(confFile, conf);
            Process v = new ProcessBuilder(bin, "-v").redirectErrorStream(true).start();
            String version = new String(v.getInputStream().readAllBytes()).trim().replace("nginx version: ", "");
            v.waitFor();
            Process p = new ProcessBuilder(bin, "-p", dir.toString(), "-c", confFile.toString(), "-e", dir.resolve("error.log").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    break;
                } catch (IOException e) {
                    if (!p.isAlive() || System.nanoTime() > deadline) {
                        p.destroyForcibly();
                        throw new IllegalStateException("nginx did not start: " + Files.readString(dir.resolve("stdout.log")));
                    }
                    Thread.sleep(50);
                }
            }
            return new Nginx(p, port, dir, version);
        }

        List<Long> pids() {
            List<Long> pids = new ArrayList<>();
            pids.add(process.pid());
            process.children().forEach(h -> pids.add(h.pid()));
            return pids;
        }

        /** utime + stime of master and workers, in clock ticks (100 per second). */
        long cpuTicks() {
            long sum = 0;
            for (long pid : pids()) {
                try {
                    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                } catch (IOException | RuntimeException e) {
                    // a worker that went away
                }
            }
            return sum;
        }

        long rssKb() {
            long sum = 0;
            for (long pid : pids()) {
                try {
                    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                        if (line.startsWith("VmRSS:")) sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                } catch (IOException | RuntimeException e) {
                    // gone
                }
            }
            return sum;
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            try (var files = Files.walk(dir)) {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
