package io.codexrelay.app;

import io.codexrelay.config.RelayHome;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code codex-relay doctor}: checks everything a user can get wrong and says, for each, what to do. Returns
 * app-owned records so the CLI prints them and the tray could show them too. Reads only: it never creates the relay
 * home, never starts a daemon and never changes a file.
 */
public final class Doctor {

    public enum Level { OK, INFO, WARN, PROBLEM }

    /** One check: what was looked at, what was found, and (unless OK) what to do. */
    public record Check(String name, Level level, String found, String fix) {}

    /** {@code auth.json} older than this: Codex's own login has probably expired or been refreshed elsewhere. */
    static final Duration AUTH_STALE = Duration.ofDays(8);

    private final Map<String, String> env;
    private final Clock clock;
    private final Desktop desktop;
    private final ClockSkew.UpstreamTime upstreamTime;

    /** Without the upstream's time: the clock is judged by auth.json's modification time only. */
    public Doctor(Map<String, String> env, Clock clock, Desktop desktop) {
        this(env, clock, desktop, null);
    }

    /** {@code upstreamTime}: the upstream's clock (its Date header), to tell a wrong clock from expired tokens; null: none. */
    public Doctor(Map<String, String> env, Clock clock, Desktop desktop, ClockSkew.UpstreamTime upstreamTime) {
        this.env = env;
        this.clock = clock;
        this.desktop = desktop;
        this.upstreamTime = upstreamTime;
    }

    public List<Check> run() {
        List<Check> out = new ArrayList<>();
        RelayHome home = RelayHome.fromEnvironment(env);
        if (!Files.isDirectory(home.dir())) {
            out.add(new Check("relay home", Level.PROBLEM, home.dir() + " does not exist",
                    "Start codex-relay once, or add an account: codex-relay accounts import-codex"));
        } else {
            out.add(new Check("relay home", Level.OK, home.dir().toString(), null));
            daemonAndAccounts(home, out);
            fileModes(home, out);
        }
        codexWiring(out);
        authJson(out);
        clockAndTokens(home, out);
        desktopChecks(out);
        return out;
    }

    /** True when a check found something wrong (the CLI exits 1). */
    public static boolean anyProblem(List<Check> checks) {
        return checks.stream().anyMatch(c -> c.level() == Level.PROBLEM);
    }

    private void daemonAndAccounts(RelayHome home, List<Check> out) {
        Optional<AdminFile.Info> admin = AdminFile.read(home);
        boolean running = false;
        if (admin.isPresent()) {
            try {
                new RemoteControl(admin.get(), Duration.ofSeconds(2), clock).ping();
                running = true;
                out.add(new Check("daemon", Level.OK, "running, pid " + admin.get().pid() + ", port " + admin.get().port(), null));
            } catch (ControlException e) {
                out.add(new Check("daemon", Level.PROBLEM, home.adminFile() + " names a relay that does not answer (" + e.getMessage() + ")",
                        "Start codex-relay again; if it says another daemon holds the home, stop that process first."));
            }
        } else {
            out.add(new Check("daemon", Level.WARN, "not running", "Start it: codex-relay (tray) or codex-relay serve (headless)."));
        }
        if (!running) {
            int port = configuredPort(home);
            if (port > 0) {
                try (java.net.ServerSocket s = new java.net.ServerSocket()) {
                    s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
                    out.add(new Check("port", Level.OK, port + " is free for the relay", null));
                } catch (IOException e) {
                    out.add(new Check("port", Level.PROBLEM, "port " + port + " (server.port) is taken by another program",
                            "Stop that program, or set another server.port in " + home.configFile() + " and run codex-relay codex on again."));
                }
            }
        }
        if (!Files.exists(home.database())) {
            out.add(new Check("accounts", Level.PROBLEM, "no accounts yet", "Add one: codex-relay accounts import-codex, or accounts login."));
            return;
        }
        try (ControlHandle control = Controls.open(home, clock, Duration.ZERO, Duration.ofSeconds(5))) {
            PoolStatus s = control.status();
            if (s.accounts().isEmpty()) {
                out.add(new Check("accounts", Level.PROBLEM, "no accounts yet", "Add one: codex-relay accounts import-codex, or accounts login."));
            }
            boolean anyServes = false;
            for (AccountStatus a : s.accounts()) {
                String st = a.state() == null ? "?" : a.state();
                String name = "account " + a.name();
                switch (st) {
                    case "ready", "busy" -> {
                        anyServes |= a.enabled();
                        out.add(new Check(name, Level.OK, st, null));
                    }
                    case "relogin" -> out.add(new Check(name, Level.PROBLEM, "needs a new login" + reason(a),
                            "codex-relay accounts login --name " + a.name()));
                    case "disabled" -> out.add(new Check(name, Level.INFO, "disabled", "codex-relay accounts set " + a.name() + " --enable to use it again."));
                    case "exhausted", "cooling" -> out.add(new Check(name, Level.WARN, st + (a.stateUntil() == null ? "" : " until " + a.stateUntil()) + reason(a),
                            "Nothing to do: it comes back by itself."));
                    default -> out.add(new Check(name, Level.WARN, st + reason(a), "See codex-relay status."));
                }
            }
            if (!s.accounts().isEmpty() && !anyServes) {
                out.add(new Check("pool", Level.PROBLEM, "no account can serve now", "Log in again, enable an account, or wait for the first reset."));
            }
        } catch (Exception e) {
            out.add(new Check("accounts", Level.PROBLEM, "could not read the accounts: " + e.getMessage(), "Check " + home.database() + "."));
        }
    }

    private static String reason(AccountStatus a) {
        return a.stateReason() == null || a.stateReason().isBlank() ? "" : " (" + a.stateReason() + ")";
    }

    private static int configuredPort(RelayHome home) {
        try {
            return io.codexrelay.config.ConfigLoader.load(home.configFile()).server().port();
        } catch (Exception e) {
            return io.codexrelay.config.RelayConfig.defaults().server().port();
        }
    }

    private void fileModes(RelayHome home, List<Check> out) {
        for (Path p : List.of(home.database(), home.clientKeyFile(), home.adminFile())) {
            if (!Files.exists(p)) continue;
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                boolean open = perms.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"));
                out.add(open ? new Check("file mode " + p.getFileName(), Level.PROBLEM,
                                p + " is readable by others (" + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); it holds secrets",
                                "chmod 600 " + p)
                        : new Check("file mode " + p.getFileName(), Level.OK, "only you can read it", null));
            } catch (UnsupportedOperationException | IOException e) {
                return;   // not a POSIX file system (Windows): the home's ACL is the user's
            }
        }
    }

    private void codexWiring(List<Check> out) {
        try {
            CodexRouting.StatusResult s = new CodexRouting(env, clock).status(null);
            if (!s.fileExists()) {
                out.add(new Check("codex wiring", Level.WARN, s.configFile() + " does not exist", "codex-relay codex on"));
            } else if (s.pointsAt() == null || !s.pointsAt().startsWith("the relay")) {   // CodexRouting.pointsAt's wording
                out.add(new Check("codex wiring", Level.WARN, "Codex uses " + s.pointsAt() + ", not the relay", "codex-relay codex on"));
            } else {
                out.add(new Check("codex wiring", Level.OK, "Codex uses the relay (" + s.relayTableBaseUrl() + ")", null));
                if (Boolean.FALSE.equals(s.clientKeyMatches())) {
                    out.add(new Check("codex key", Level.PROBLEM, "the key Codex sends is not this relay's client key (Codex would get 401)",
                            "codex-relay codex on (writes the current key into Codex's provider entry)"));
                } else if (Boolean.TRUE.equals(s.clientKeyMatches())) {
                    out.add(new Check("codex key", Level.OK, "Codex sends this relay's client key", null));
                }
            }
        } catch (ControlException | RuntimeException e) {
            out.add(new Check("codex wiring", Level.PROBLEM, e.getMessage(), "Fix Codex's config.toml, then codex-relay codex on."));
        }
    }

    private void authJson(List<Check> out) {
        Path auth = new CodexRouting(env, clock).codexHome(null).authFile();
        if (!Files.exists(auth)) {
            out.add(new Check("auth.json", Level.INFO, auth + " does not exist", "Only needed to import Codex's login: codex login, then accounts import-codex."));
            return;
        }
        try {
            Instant modified = Files.getLastModifiedTime(auth).toInstant();
            Duration age = Duration.between(modified, clock.instant());
            if (age.isNegative()) {
                out.add(new Check("clock", Level.PROBLEM, auth + " was written " + Pace.human(age.negated()) + " in the future",
                        "Set the system clock right (tokens expire by it)."));
            } else if (age.compareTo(AUTH_STALE) > 0) {
                out.add(new Check("auth.json", Level.WARN, auth + " was last written " + Pace.human(age) + " ago",
                        "Its tokens have probably expired; run codex login, then codex-relay accounts import-codex."));
            } else {
                out.add(new Check("auth.json", Level.OK, "written " + Pace.human(age) + " ago", null));
            }
        } catch (IOException e) {
            out.add(new Check("auth.json", Level.WARN, "cannot read " + auth + ": " + e.getMessage(), "Check its permissions."));
        }
    }

    /**
     * The clock against the upstream's (issue 15: "clock skew against token expiry"): each ChatGPT access token (Codex's
     * auth.json, the relay's accounts) judged by this clock and by the upstream's, so a token that only looks expired
     * because the clock is off is told as a clock problem with its fix, not as a login problem.
     */
    private void clockAndTokens(RelayHome home, List<Check> out) {
        List<ClockSkew.Token> tokens = new ArrayList<>();
        try {
            var codex = io.codexrelay.account.CodexAuthFile.read(new CodexRouting(env, clock).codexHome(null).dir());
            if (codex.credentials() instanceof io.codexrelay.account.Credentials.ChatGptTokens t) {
                tokens.add(new ClockSkew.Token("Codex's auth.json", io.codexrelay.account.Jwt.expiry(t.accessToken())));
            }
        } catch (IOException | RuntimeException e) {
            // no Codex login (or an API key): nothing to judge; the auth.json check said what it found
        }
        if (Files.exists(home.database())) {
            try (var db = new io.codexrelay.store.Database(home.database())) {
                for (var a : new io.codexrelay.account.AccountRepository(db, clock).list()) {
                    if (a.enabled() && a.credentials() instanceof io.codexrelay.account.Credentials.ChatGptTokens t) {
                        tokens.add(new ClockSkew.Token("account " + a.name(), io.codexrelay.account.Jwt.expiry(t.accessToken())));
                    }
                }
            } catch (Exception e) {
                // the accounts check already said the database cannot be read
            }
        }
        java.net.URI upstream = upstreamUrl(home);
        Instant server = null;
        if (upstreamTime != null) {
            server = upstreamTime.now(upstream).orElse(null);
            if (server == null) {
                out.add(new Check("clock skew", Level.INFO, "could not ask " + upstream.getHost() + " for its time (offline?)",
                        "Run doctor again when online to compare the clock with the upstream's."));
            }
        }
        out.addAll(ClockSkew.checks(clock.instant(), server, upstream.getHost(), tokens));
    }

    /** The ChatGPT upstream of the relay's config (its Date header is the clock tokens are judged by). */
    private static java.net.URI upstreamUrl(RelayHome home) {
        io.codexrelay.config.RelayConfig cfg;
        try {
            cfg = io.codexrelay.config.ConfigLoader.load(home.configFile());
        } catch (Exception e) {
            cfg = io.codexrelay.config.RelayConfig.defaults();
        }
        return java.net.URI.create(cfg.upstream().chatgptBaseUrl() + "/");
    }

    private void desktopChecks(List<Check> out) {
        if (desktop == null) return;
        boolean display = desktop.hasDisplay();
        out.add(new Check("tray host", display ? Level.OK : Level.INFO,
                display ? "a display is there (the tray, or the control window without a tray host)" : "no display: the relay runs headless",
                display ? null : "Nothing to do on a server; on a desktop, start codex-relay from the desktop session."));
        try {
            var login = desktop.startAtLogin();
            if (!login.supported()) {
                out.add(new Check("autostart", Level.INFO, "not available (not running from the installed jar)", null));
            } else {
                boolean on = login.enabled();
                out.add(new Check("autostart", on ? Level.OK : Level.INFO, on ? "starts at login" : "does not start at login",
                        on ? null : "Settings › General › Start at login."));
            }
        } catch (IOException | RuntimeException e) {
            out.add(new Check("autostart", Level.WARN, "cannot tell: " + e.getMessage(), null));
        }
    }
}
