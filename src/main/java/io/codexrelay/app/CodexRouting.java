package io.codexrelay.app;

import io.codexrelay.codex.CodexConfigException;
import io.codexrelay.codex.CodexConfigPatch;
import io.codexrelay.codex.CodexHome;
import io.codexrelay.codex.CodexWiring;
import io.codexrelay.config.ClientKey;
import io.codexrelay.config.ConfigException;
import io.codexrelay.config.ConfigLoader;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code codex on|off|status} and the tray's "Route Codex through relay": points Codex's {@code config.toml} at the
 * relay and back, on the files (no daemon needed). The one place that decides what Codex's provider entry says: the
 * relay's loopback URL and the stream idle timeout ({@link #providerSpec}). Answers are records the CLI prints.
 */
public final class CodexRouting {
    private final RelayHome relayHome;
    private final Map<String, String> env;
    private final Clock clock;

    public CodexRouting(Map<String, String> env, Clock clock) {
        this(RelayHome.fromEnvironment(env), env, clock);
    }

    CodexRouting(RelayHome relayHome, Map<String, String> env, Clock clock) {
        this.relayHome = relayHome;
        this.env = env;
        this.clock = clock;
    }

    /** Where Codex must call the relay ({@code baseUrl}, {@code port}), and {@code why} there. */
    public record Target(String baseUrl, int port, String why) {
        String healthUrl() { return baseUrl.substring(0, baseUrl.length() - "/v1".length()) + "/healthz"; }
    }

    /** What {@code on} did. {@code backup} null when there was nothing to back up. */
    public record OnResult(boolean changed, boolean created, Path configFile, Path backup, String relayBaseUrl, Target target,
                           boolean pointsAtRelay, String pointsAt, String relay, List<String> notes) {}

    /** What {@code off} did; {@code pointsAt} null when Codex has no config.toml. */
    public record OffResult(boolean changed, Path configFile, Path backup, String pointsAt, List<String> notes) {}

    /**
     * Where Codex points and whether that works. {@code relayTableBaseUrl} null when the relay's table is absent;
     * {@code clientKeyMatches} null when the relay has no client key yet.
     */
    public record StatusResult(Path configFile, boolean fileExists, String pointsAt, boolean relayTablePresent,
                               String relayTableBaseUrl, Boolean clientKeyMatches, Target target, String relay,
                               Map<String, Integer> sessionsByProvider, String sessionsSource, List<Path> backups,
                               Path backupDir, List<String> notes) {}

    // ---- the provider entry (one copy of the rule) --------------------------------------------------------------

    /** The relay's base URL as Codex must call it: always loopback ({@code http://127.0.0.1:PORT/v1}, or [::1]). */
    public static String baseUrl(String listen, int port) {
        String host = "::1".equals(listen) || "[::1]".equals(listen) ? "[::1]" : "127.0.0.1";
        return "http://" + host + ":" + port + "/v1";
    }

    /**
     * Codex's {@code stream_idle_timeout_ms} for the relay: a minute more than the relay's own upstream idle timeout
     * (so the relay, which can fail over, gives up first), and never under Codex's default of ten minutes.
     */
    static long streamIdleMs(RelayConfig cfg) {
        return Math.max(600_000L, cfg.upstream().idleTimeout().toMillis() + 60_000L);
    }

    static CodexConfigPatch.ProviderSpec providerSpec(RelayConfig cfg, String baseUrl, RelayHome home) throws IOException {
        // websocket.enabled = false leaves supports_websockets out: Codex then never tries the upgrade at all.
        boolean websockets = !Boolean.FALSE.equals(cfg.values().get("websocket.enabled"));
        return new CodexConfigPatch.ProviderSpec(baseUrl, ClientKey.loadOrCreate(home).value(), streamIdleMs(cfg), websockets);
    }

    /** Codex's home: {@code override}, else {@code CODEX_HOME}, else {@code ~/.codex} of {@code HOME}. */
    CodexHome codexHome(Path override) {
        String home = env.get("HOME");
        return CodexHome.locate(override, env, home != null && !home.isBlank() ? home : System.getProperty("user.home"));
    }

    CodexWiring wiring() { return new CodexWiring(relayHome, clock); }

    // ---- operations ---------------------------------------------------------------------------------------------

    public OnResult on(Path codexHomeOverride) throws ControlException {
        if (codexHomeOverride != null && !Files.isDirectory(codexHomeOverride)) {
            // A typo in --codex-home would otherwise start a new, empty Codex home that Codex never reads.
            throw new ControlException("Codex home " + codexHomeOverride.toAbsolutePath() + " does not exist; nothing was written. "
                    + "Check the path (Codex keeps its files in $CODEX_HOME, else ~/.codex), or create the directory first "
                    + "if you mean a new Codex home.");
        }
        try {
            RelayConfig cfg = relayConfig(true);
            Target target = target(cfg);
            if (target.port() == 0) throw new ControlException(target.why() + "; nothing was written.");
            var spec = providerSpec(cfg, target.baseUrl(), relayHome);
            CodexWiring.Outcome o = wiring().on(codexHome(codexHomeOverride), spec);
            return new OnResult(o.changed(), o.created(), o.configFile(), o.backup(), spec.baseUrl(), target,
                    o.view().pointsAtRelay(), pointsAt(o.view()), probe(target), o.notes());
        } catch (CodexConfigException | IOException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }

    /**
     * For {@code codex-relay run}: the Codex home the process will use ({@code override}, else {@code CODEX_HOME}, else
     * {@code ~/.codex}) and, when its provider entry cannot carry a per-process key, what to do about it (else null).
     * Only {@code codex on} (or {@code homes create}) writes that entry; {@code run} never changes the user's files.
     */
    public record ProcessKeyCheck(Path codexHome, String problem) {}

    public ProcessKeyCheck processKeyCheck(Path override, String homeName) {
        CodexHome h = codexHome(override);
        Path f = h.configFile();
        String fix = homeName != null ? "the home '" + homeName + "' was made before `codex-relay run` existed: run "
                + "`codex-relay codex on --codex-home " + h.dir() + "` once"
                : "run `codex-relay codex on` once (it adds `env_http_headers` to the relay's provider entry)";
        try {
            if (!Files.exists(f)) return new ProcessKeyCheck(h.dir(), f + " does not exist, so Codex there does not go "
                    + "through the relay; " + fix + ".");
            if (CodexConfigPatch.passesProcessKey(Files.readString(f))) return new ProcessKeyCheck(h.dir(), null);
            return new ProcessKeyCheck(h.dir(), "Codex in " + h.dir() + " cannot be given its own account: its config.toml "
                    + "does not point at the relay with a per-process key entry; " + fix + ".");
        } catch (IOException e) {
            return new ProcessKeyCheck(h.dir(), f + " cannot be read (" + e.getMessage() + ").");
        }
    }

    public OffResult off(Path codexHomeOverride, boolean purge) throws ControlException {
        try {
            CodexWiring.Outcome o = wiring().off(codexHome(codexHomeOverride), purge);
            return new OffResult(o.changed(), o.configFile(), o.backup(), o.view() == null ? null : pointsAt(o.view()), o.notes());
        } catch (CodexConfigException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }

    public StatusResult status(Path codexHomeOverride) throws ControlException {
        try {
            CodexWiring wiring = wiring();
            CodexWiring.Status s = wiring.status(codexHome(codexHomeOverride));
            Target target = target(relayConfig(false));
            boolean table = s.view() != null && s.view().relayTablePresent();
            Boolean keyOk = table && Files.exists(relayHome.clientKeyFile())
                    ? ClientKey.loadOrCreate(relayHome).matches(s.view().relayClientKey()) : null;
            return new StatusResult(s.configFile(), s.fileExists(), pointsAt(s.view()), table, table ? s.view().relayBaseUrl() : null,
                    keyOk, target, probe(target), new LinkedHashMap<>(s.sessions().byProvider()), String.valueOf(s.sessions().source()),
                    s.backups(), wiring.backupDir(), s.view() != null ? CodexWiring.profileNotes(s.view()) : List.of());
        } catch (CodexConfigException | IOException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }

    /** For the daemon's control: routes Codex to the relay as it is configured ({@code on}) or back ({@code off}). */
    static void set(RelayHome home, RelayConfig cfg, Clock clock, boolean on) throws ControlException {
        var wiring = new CodexWiring(home, clock);
        var codexHome = CodexHome.locate(null, System.getenv(), System.getProperty("user.home"));
        try {
            if (on) wiring.on(codexHome, providerSpec(cfg, baseUrl(cfg.server().listen(), cfg.server().port()), home));
            else wiring.off(codexHome, true); // a true undo of `on`, like `codex off` (issue 9)
        } catch (CodexConfigException e) {
            throw new ControlException(e.getMessage(), e);
        } catch (IOException e) {
            throw new ControlException("Could not read the relay's client key: " + e.getMessage(), e);
        }
    }

    /** For the daemon's control: whether Codex's config points at the relay. */
    static boolean routed(RelayHome home, Clock clock) throws ControlException {
        try {
            var s = new CodexWiring(home, clock).status(CodexHome.locate(null, System.getenv(), System.getProperty("user.home")));
            return s.view() != null && s.view().pointsAtRelay();
        } catch (CodexConfigException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private RelayConfig relayConfig(boolean create) throws BadConfigException {
        try {
            Path file = relayHome.configFile();
            if (!create && !Files.exists(file)) return RelayConfig.defaults();
            if (create) {
                try {
                    relayHome.ensureExists();
                } catch (IOException e) {
                    throw new ConfigException("Could not create " + relayHome.dir() + ": " + e.getMessage());
                }
            }
            return ConfigLoader.loadOrCreate(file);
        } catch (ConfigException e) {
            throw new BadConfigException(e.getMessage(), e);
        }
    }

    /**
     * The port of the daemon running on this relay home when one answers (started with {@code serve --port N}, it need
     * not be {@code server.port}), else {@code server.port}.
     */
    Target target(RelayConfig cfg) {
        int configured = cfg.server().port();
        Optional<AdminFile.Info> running = AdminFile.read(relayHome);
        String noRelay = "no relay is running on " + relayHome.dir();
        if (running.isPresent()) {
            try {
                new RemoteControl(running.get(), Duration.ofSeconds(2), clock).ping();
                int port = running.get().port();
                String why = "the running relay's port" + (port == configured ? "" : "; config.toml says " + configured
                        + ", so after the relay restarts on that port run `codex-relay codex on` again");
                return new Target(baseUrl(running.get().host(), port), port, why);
            } catch (ControlException e) {
                // admin.json of a relay that is gone (or not answering): the configured port it is
                noRelay = "the relay named in " + relayHome.adminFile() + " did not answer (" + e.getMessage() + ")";
            }
        }
        if (configured == 0) {
            // Port 0 is chosen anew at each start: there is no address to write until a relay runs.
            return new Target(baseUrl(cfg.server().listen(), 0), 0, "server.port is 0 (any free port at each start) and " + noRelay
                    + ". Start the relay first (codex on then uses its port, and must be run again after each restart), "
                    + "or set a fixed server.port in " + relayHome.configFile());
        }
        return new Target(baseUrl(cfg.server().listen(), configured), configured, "server.port in "
                + relayHome.configFile() + "; " + noRelay);
    }

    /** Whether the relay answers {@code GET /healthz}; a short human description either way. */
    static String probe(Target target) {
        String url = target.healthUrl();
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(1500)).build();
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(2500)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200 ? "answering at " + url
                    : "something answers at " + url + " with HTTP " + r.statusCode() + " (another program on that port?)";
        } catch (IOException e) {
            return "not answering at " + url + " (no relay running), so Codex cannot work until you start it: `codex-relay` "
                    + "(tray) or `codex-relay serve`; `codex-relay switch` lets Codex run without it";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "not checked (interrupted)";
        }
    }

    static String pointsAt(CodexConfigPatch.View view) {
        if (view == null) return "the default provider 'openai' (no config.toml)";
        String p = view.effectiveProvider();
        String via = view.activeProfile() != null && view.profileProviders().containsKey(view.activeProfile())
                ? " (from your default profile '" + view.activeProfile() + "')" : "";
        if (CodexConfigPatch.PROVIDER_ID.equals(p)) {
            return "the relay (provider '" + p + "' -> " + (view.relayBaseUrl() == null ? "no base_url!" : view.relayBaseUrl()) + ")" + via;
        }
        if (view.modelProvider() == null && via.isEmpty()) return "the default provider 'openai' (no model_provider set)";
        return "provider '" + p + "'" + via;
    }
}
