package io.codexrelay.app;

import io.codexrelay.account.Account;
import io.codexrelay.account.Credentials;
import io.codexrelay.codex.CodexConfigException;
import io.codexrelay.codex.CodexDirectMode;
import io.codexrelay.codex.CodexHome;
import io.codexrelay.pool.RoutingPolicies;
import io.codexrelay.store.RelayState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Direct mode as the front ends ask for it (issue 9, "When the relay is not there, Codex still works"): which account
 * to hand over, with fresh tokens, and keeping the relay's copy of a ChatGPT login in step with Codex's. The files are
 * {@link CodexDirectMode}'s business; this class decides and keeps the relay's side consistent. Shared by the daemon
 * ({@link LiveControl}) and the CLI without a daemon ({@link OfflineControl}) through {@link LocalControl}.
 *
 * <p>Refresh tokens rotate: once Codex has refreshed the login it was handed, the relay's refresh token is spent.
 * So before the relay touches a handed-over account again (another {@code switch}, {@code switch --undo}, the next
 * start after a hand-over at stop) {@link #reconcile} compares both and re-imports Codex's newer tokens. While direct
 * mode is on, the account is also linked to that Codex home ({@code source_codex_home}), so a refresh the relay makes
 * in between that is answered {@code refresh_token_reused} adopts Codex's tokens instead of failing.
 */
final class CodexHandover {
    private static final Logger log = LoggerFactory.getLogger(CodexHandover.class);

    /** relay_state keys: the remembered Quit/stop choice, and the Codex home a stop handed over (undone at next start). */
    static final String STOP_CHOICE = "codex_on_stop", HANDED_OVER_AT_STOP = "codex_direct_by_stop";

    /** States in which an account cannot take requests now; it is not handed over while another one can. */
    private static final Set<String> CANNOT_SERVE = Set.of("disabled", "relogin", "exhausted", "cooling", "rejected", "key-rejected");

    private final LocalControl control;
    private final CodexDirectMode files;

    CodexHandover(LocalControl control) {
        this.control = control;
        this.files = new CodexDirectMode(control.home, control.clock);
    }

    /** The Codex home of this process's user: {@code $CODEX_HOME}, else {@code ~/.codex} of {@code $HOME}. */
    static CodexHome defaultCodexHome(Map<String, String> env) {
        String home = env.get("HOME");
        return CodexHome.locate(null, env, home != null && !home.isBlank() ? home : System.getProperty("user.home"));
    }

    CodexHome codexHome(Path dir) {
        return dir == null ? defaultCodexHome(control.codexEnv) : CodexHome.locate(dir.toAbsolutePath().normalize(), Map.of(), "/");
    }

    // ---- switch / undo ------------------------------------------------------------------------------------------

    ControlApi.DirectSwitch switchTo(String name, Path codexHomeDir) throws ControlException {
        CodexHome home = codexHome(codexHomeDir);
        String reimported = reconcile(home);
        Account chosen = name != null ? control.require(name) : best();
        if (name != null && !chosen.enabled()) {
            throw new ControlException("'" + chosen.name() + "' is disabled. Enable it first: codex-relay accounts set \""
                    + chosen.name() + "\" --enable");
        }
        Credentials fresh = control.freshCredentials(chosen);
        CodexDirectMode.Applied applied;
        try {
            applied = files.apply(home, chosen.name(), fresh);
        } catch (CodexConfigException e) {
            throw new ControlException(e.getMessage(), e);
        }
        link(chosen.withCredentials(fresh), home);
        List<String> notes = new ArrayList<>(applied.notes());
        if (name == null) notes.add(0, "Chose " + chosen.name() + ": the account with the most headroom now.");
        return new ControlApi.DirectSwitch(chosen.name(), applied.authFile().toString(), applied.configFile().toString(),
                str(applied.authBackup()), str(applied.configBackup()), reimported, List.copyOf(notes));
    }

    ControlApi.DirectUndo undo(Path codexHomeDir) throws ControlException {
        CodexHome home = codexHome(codexHomeDir);
        String reimported = reconcile(home);
        try {
            CodexDirectMode.Undone u = files.undo(home);
            List<String> notes = new ArrayList<>();
            if (reimported != null) {
                notes.add("Codex had refreshed " + reimported + "'s login; the relay now uses those tokens (its own copy was spent).");
            }
            return new ControlApi.DirectUndo(u.accountName(), u.authFile().toString(), u.configFile().toString(), reimported,
                    List.copyOf(notes));
        } catch (CodexConfigException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }

    String appliedAccount(Path codexHomeDir) throws ControlException {
        try {
            return files.appliedAccount(codexHome(codexHomeDir));
        } catch (CodexConfigException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }

    /**
     * When direct mode is on in {@code home} and Codex has refreshed the handed-over login, stores Codex's tokens as
     * the relay's (the relay's refresh token is spent). Returns the account re-imported, or null.
     */
    String reconcile(CodexHome home) throws ControlException {
        String name;
        try {
            name = files.appliedAccount(home);
        } catch (CodexConfigException e) {
            throw new ControlException(e.getMessage(), e);
        }
        if (name == null) return null;
        Optional<Account> stored = LocalControl.store(() -> control.accounts.findByName(name));
        if (stored.isEmpty()) return null;
        Account current = control.freshest(stored.get());
        CodexDirectMode.Check check;
        try {
            check = files.check(home, current.credentials());
        } catch (CodexConfigException e) {
            throw new ControlException("Could not compare " + name + "'s tokens with Codex's auth.json: " + e.getMessage(), e);
        }
        if (!check.reimportNeeded()) return null;
        Account a = stored.get();
        LocalControl.store(() -> {
            control.accounts.update(new Account(a.id(), a.name(), a.kind(), a.enabled(), a.priority(), a.maxConcurrent(),
                    check.codexCredentials(), a.email(), a.plan(), a.sourceCodexHome(), a.createdAt(), control.clock.instant()));
            return null;
        });
        control.accountsChanged();
        log.info("Account '{}': Codex refreshed its login while it was used directly; the relay took over Codex's tokens.", name);
        return name;
    }

    // ---- the stop and the next start ----------------------------------------------------------------------------

    ControlApi.StopChoice remembered(RelayState state) throws ControlException {
        String v = LocalControl.store(() -> state.get(STOP_CHOICE).orElse(null));
        if (v == null) return ControlApi.StopChoice.ASK;
        try {
            return ControlApi.StopChoice.valueOf(v);
        } catch (IllegalArgumentException e) {
            return ControlApi.StopChoice.ASK;
        }
    }

    /**
     * The daemon stops: with {@code HAND_OVER}, and Codex routed to this relay, Codex gets the best account directly
     * and the next start undoes it. Never throws: a failure is logged and Codex stays as it was.
     */
    void atStop(ControlApi.StopChoice choice, RelayState state) {
        if (choice != ControlApi.StopChoice.HAND_OVER) return;
        CodexHome home = defaultCodexHome(control.codexEnv);
        try {
            var wired = new io.codexrelay.codex.CodexWiring(control.home, control.clock).status(home);
            if (wired.view() == null || !wired.view().pointsAtRelay()) {
                log.info("Stopping: Codex is not routed through the relay ({}), so it is left as it is.", home.configFile());
                return;
            }
            ControlApi.DirectSwitch s = switchTo(null, home.dir());
            LocalControl.store(() -> { state.put(HANDED_OVER_AT_STOP, home.dir().toString()); return null; });
            log.info("Stopping: Codex now uses {} directly ({}); the next start routes it through the relay again.",
                    s.account(), s.authFile());
        } catch (ControlException | CodexConfigException | RuntimeException e) {
            log.error("Stopping: could not hand Codex an account directly ({}). Codex still points at the relay; run "
                    + "`codex-relay switch` or `codex-relay codex off`.", e.getMessage());
        }
    }

    /** The daemon started: a hand-over made at the last stop is undone, so Codex goes through the relay again. */
    void atStart(RelayState state) {
        try {
            String dir = LocalControl.store(() -> state.get(HANDED_OVER_AT_STOP).orElse(null));
            if (dir == null) return;
            Path codexDir = Path.of(dir);
            if (appliedAccount(codexDir) != null) {
                ControlApi.DirectUndo u = undo(codexDir);
                log.info("Codex was handed {} directly when the relay last stopped; it is routed through the relay again ({}).",
                        u.account(), u.configFile());
            }
            LocalControl.store(() -> { state.put(HANDED_OVER_AT_STOP, null); return null; });
        } catch (ControlException | RuntimeException e) {
            log.error("Could not route Codex through the relay again after the last stop's hand-over ({}). Run "
                    + "`codex-relay switch --undo`.", e.getMessage());
        }
    }

    // ---- choosing -----------------------------------------------------------------------------------------------

    /** The account the pool would pick now, among those Codex's own provider can reach (ChatGPT, api.openai.com keys). */
    private Account best() throws ControlException {
        PoolStatus pool = control.status();
        List<RoutingPolicies.Candidate> ready = new ArrayList<>(), fallback = new ArrayList<>();
        List<AccountStatus> byIndex = pool.accounts();
        for (int i = 0; i < byIndex.size(); i++) {
            AccountStatus s = byIndex.get(i);
            if (!s.enabled() || !directlyUsable(s)) continue;
            var c = new RoutingPolicies.Candidate(i, s.name(), s.priority(), s.quota());
            if (s.state() != null && CANNOT_SERVE.contains(s.state())) fallback.add(c); else ready.add(c);
        }
        if (ready.isEmpty()) {
            throw new ControlException(fallback.isEmpty()
                    ? "No account can be handed to Codex directly (none is enabled, or they all use another API than api.openai.com)."
                    : "No account can serve now (" + String.join(", ", fallback.stream().map(c -> c.name() + ": "
                            + byIndex.get((int) c.id()).state()).toList()) + "). Name one: codex-relay switch NAME");
        }
        var now = control.clock.instant();
        var p = control.config.pool();
        List<RoutingPolicies.Candidate> ordered = RoutingPolicies.applyThreshold(
                RoutingPolicies.MOST_REMAINING.order(ready, RoutingPolicies.Context.at(now)),
                p.primaryThresholdPercent(), p.secondaryThresholdPercent(), now);
        String pinned = pool.pinned();
        String pick = ordered.stream().anyMatch(c -> c.name().equals(pinned)) ? pinned : ordered.get(0).name();
        return control.require(pick);
    }

    private static boolean directlyUsable(AccountStatus s) {
        if (!"api-key".equals(s.kind())) return true;
        return s.baseUrl() == null || s.baseUrl().replaceAll("/+$", "").equals("https://api.openai.com/v1");
    }

    /** Links a ChatGPT account to the Codex home it was handed to, so a refresh answered "reused" adopts Codex's tokens. */
    private void link(Account a, CodexHome home) throws ControlException {
        if (a.kind() != Account.Kind.CHATGPT) return;
        String dir = home.dir().toAbsolutePath().normalize().toString();
        LocalControl.store(() -> {
            Account stored = control.accounts.findByName(a.name()).orElse(null);
            if (stored == null) return null;
            boolean newTokens = !a.credentials().equals(stored.credentials());
            if (!newTokens && dir.equals(stored.sourceCodexHome())) return null;
            control.accounts.update(new Account(stored.id(), stored.name(), stored.kind(), stored.enabled(), stored.priority(),
                    stored.maxConcurrent(), a.credentials(), stored.email(), stored.plan(), dir, stored.createdAt(),
                    control.clock.instant()));
            return null;
        });
        control.accountsChanged();
    }

    private static String str(Path p) { return p == null ? null : p.toString(); }
}
