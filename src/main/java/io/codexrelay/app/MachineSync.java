package io.codexrelay.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.account.Account;
import io.codexrelay.account.AccountRepository;
import io.codexrelay.config.AtomicFiles;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;
import io.codexrelay.store.StoreException;
import io.codexrelay.sync.AccountBundle;
import io.codexrelay.sync.AccountMerge;
import io.codexrelay.sync.SealedFile;
import io.codexrelay.sync.WebDav;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Accounts across machines: {@code accounts export/import} (one passphrase-encrypted file, {@link SealedFile}) and the
 * WebDAV sync of the same file ({@code sync now|status}; the daemon syncs at start, after account changes and every
 * {@code sync.interval_minutes}). Merging is {@link AccountMerge}'s: by identity, newer tokens only, removals only with
 * the last sync as the base. The sync's own state (machine name, ETag, base, last result) is {@code sync-state.json}
 * in the relay home; its secrets (WebDAV password, passphrase) come from the environment variables the config names,
 * else from {@code sync-secrets.json} (mode 0600) that {@code sync setup} writes; never from config.toml, never logged.
 */
final class MachineSync {
    private static final Logger log = LoggerFactory.getLogger(MachineSync.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RelayHome home;
    private final AccountRepository accounts;
    private final Clock clock;
    private final Map<String, String> env;

    MachineSync(RelayHome home, AccountRepository accounts, Clock clock, Map<String, String> env) {
        this.home = home;
        this.accounts = accounts;
        this.clock = clock;
        this.env = env;
    }

    Path stateFile() { return home.dir().resolve("sync-state.json"); }
    Path secretsFile() { return home.dir().resolve("sync-secrets.json"); }

    // ---- export / import -----------------------------------------------------------------------------------------

    byte[] export(char[] passphrase, UnaryOperator<Account> freshest) throws ControlException {
        checkPassphrase(passphrase);
        return SealedFile.seal(bundle(list(freshest), readState().refreshedBy()).toJson(), passphrase);
    }

    AccountsImport importFile(byte[] file, char[] passphrase, boolean apply, UnaryOperator<Account> freshest) throws ControlException {
        AccountBundle remote = open(file, passphrase);
        AccountMerge.Plan plan = AccountMerge.plan(list(freshest), remote, null, machine(), clock.instant());
        if (apply) applyPlan(plan);
        return view(plan, apply, remote);
    }

    // ---- sync -------------------------------------------------------------------------------------------------------

    static boolean configured(RelayConfig cfg) {
        return !String.valueOf(cfg.values().getOrDefault("sync.url", "")).isBlank();
    }

    SyncStatus status(RelayConfig cfg) {
        State s = readState();
        return new SyncStatus(configured(cfg), configured(cfg) ? safeUrl(cfg) : null, machine(), s.lastSyncAt(), s.lastResult(),
                s.lastError(), s.warnings(), s.changes());
    }

    /**
     * One sync: read the shared file, merge it in here, write the merged file back if it differs (If-Match its ETag;
     * when another machine wrote meanwhile, read and merge again). {@code changedHere} runs after local accounts changed.
     */
    synchronized SyncStatus sync(RelayConfig cfg, UnaryOperator<Account> freshest, Runnable changedHere) throws ControlException {
        if (!configured(cfg))
            throw new ControlException("Sync is not set up: run `codex-relay sync setup --url https://host/remote.php/dav/files/USER/codex-relay/accounts.crypt --user USER` "
                    + "(docs/sync.md).");
        State state = readState();
        try {
            Secrets secrets = secrets(cfg);
            WebDav dav = new WebDav(URI.create(str(cfg, "sync.url")), str(cfg, "sync.user"), secrets.password(), Duration.ofSeconds(30));
            for (int round = 0; round < 4; round++) {
                WebDav.Remote remote = dav.get();
                List<String> changes = new ArrayList<>();
                List<String> warnings = new ArrayList<>();
                Map<String, String> refreshedBy = new HashMap<>(state.refreshedBy());
                if (remote.exists()) {
                    AccountBundle theirs = open(remote.body(), secrets.passphrase());
                    AccountMerge.Plan plan = AccountMerge.plan(list(freshest), theirs, state.base(), machine(), clock.instant());
                    if (plan.changesLocal()) {
                        applyPlan(plan);
                        changedHere.run();
                    }
                    refreshedBy.putAll(plan.refreshedBy());
                    warnings.addAll(plan.warnings());
                    for (var c : plan.changes()) {
                        if (c.action() == AccountMerge.Action.ADD || c.action() == AccountMerge.Action.UPDATE
                                || c.action() == AccountMerge.Action.REMOVE)
                            changes.add(c.name() + ": " + c.action().name().toLowerCase() + " (" + c.detail() + ")");
                    }
                    AccountBundle mine = bundle(list(freshest), refreshedBy);
                    String etag = remote.etag();
                    boolean pushed = false;
                    if (!sameContent(mine, theirs)) {
                        try {
                            etag = dav.put(SealedFile.seal(mine.toJson(), secrets.passphrase()), remote.etag());
                            pushed = true;
                        } catch (WebDav.Conflict c) {
                            log.info("The shared accounts file changed during the sync; reading it again");
                            continue;
                        }
                    }
                    return saved(state, mine, etag, changes, warnings, (changes.isEmpty() ? "nothing changed here" : changes.size() + " change(s) here")
                            + (pushed ? "; shared file updated" : "; shared file up to date"));
                }
                AccountBundle mine = bundle(list(freshest), refreshedBy);
                try {
                    String etag = dav.put(SealedFile.seal(mine.toJson(), secrets.passphrase()), null);
                    return saved(state, mine, etag, changes, warnings, "shared file created with " + mine.accounts().size() + " account(s)");
                } catch (WebDav.Conflict c) {
                    continue;
                }
            }
            throw new ControlException("The shared accounts file kept changing while this machine synced; try `codex-relay sync now` again.");
        } catch (ControlException e) {
            writeState(new State(state.machine(), state.etag(), state.lastSyncAt(), state.lastResult(), e.getMessage(), state.base(),
                    state.refreshedBy(), state.warnings(), state.changes()));
            throw e;
        } catch (IOException e) {
            String msg = e.getMessage();
            writeState(new State(state.machine(), state.etag(), state.lastSyncAt(), state.lastResult(), msg, state.base(),
                    state.refreshedBy(), state.warnings(), state.changes()));
            throw new ControlException("Sync failed: " + msg);
        }
    }

    /** Stores the WebDAV password and the passphrase for the daemon's syncs (mode 0600). */
    void storeSecrets(String password, char[] passphrase) throws ControlException {
        checkPassphrase(passphrase);
        ObjectNode n = JSON.createObjectNode();
        if (password != null) n.put("password", password);
        n.put("passphrase", new String(passphrase));
        try {
            home.ensureExists();
            AtomicFiles.writeString(secretsFile(), n.toString() + "\n", true);
        } catch (IOException e) {
            throw new ControlException("Could not write " + secretsFile() + ": " + e.getMessage());
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------

    private SyncStatus saved(State old, AccountBundle agreed, String etag, List<String> changes, List<String> warnings, String result) {
        Map<String, AccountMerge.BaseEntry> base = new LinkedHashMap<>();
        Map<String, String> refreshedBy = new HashMap<>();
        for (var e : agreed.accounts()) {
            base.put(e.identity(), new AccountMerge.BaseEntry(e.tokensRefreshedAt(), e.refreshedBy()));
            if (e.refreshedBy() != null) refreshedBy.put(e.identity(), e.refreshedBy());
        }
        for (String w : warnings) log.warn("Sync: {}", w);
        State s = new State(machine(), etag, clock.instant().toString(), result, null, base, refreshedBy, warnings, changes);
        writeState(s);
        log.info("Sync: {}", result);
        return new SyncStatus(true, null, machine(), s.lastSyncAt(), result, null, warnings, changes);
    }

    private AccountBundle bundle(List<Account> local, Map<String, String> refreshedBy) {
        List<AccountBundle.Entry> entries = new ArrayList<>();
        for (Account a : local) {
            String id = AccountBundle.identity(a);
            entries.add(AccountBundle.entryOf(a, refreshedBy.getOrDefault(id, machine())));
        }
        return new AccountBundle(machine(), clock.instant(), List.copyOf(entries));
    }

    /** Same accounts, secrets, settings and refresh bookkeeping (times of writing and of settings aside). */
    static boolean sameContent(AccountBundle a, AccountBundle b) {
        if (a.accounts().size() != b.accounts().size()) return false;
        Map<String, AccountBundle.Entry> byId = new HashMap<>();
        for (var e : b.accounts()) byId.put(e.identity(), e);
        for (var x : a.accounts()) {
            var y = byId.get(x.identity());
            if (y == null || x.enabled() != y.enabled() || x.priority() != y.priority() || !Objects.equals(x.maxConcurrent(), y.maxConcurrent())
                    || !Objects.equals(x.name(), y.name()) || !Objects.equals(x.credentials(), y.credentials())
                    || !Objects.equals(x.refreshedBy(), y.refreshedBy()))
                return false;
        }
        return true;
    }

    private void applyPlan(AccountMerge.Plan plan) throws ControlException {
        try {
            accounts.database().inTransaction(c -> {
                try {
                    for (Account a : plan.inserts()) accounts.insert(a);
                    for (Account a : plan.updates()) accounts.update(a);
                    for (String n : plan.removals()) accounts.delete(n);
                } catch (StoreException e) {
                    throw new java.sql.SQLException(e.getMessage(), e);
                }
                return null;
            });
        } catch (StoreException e) {
            throw new ControlException("The accounts could not be saved (" + e.getMessage() + "); nothing was changed.", e);
        }
    }

    private List<Account> list(UnaryOperator<Account> freshest) throws ControlException {
        try {
            return accounts.list().stream().map(freshest).toList();
        } catch (StoreException e) {
            throw new ControlException(e.getMessage(), e);
        }
    }

    private static AccountBundle open(byte[] file, char[] passphrase) throws ControlException {
        checkPassphrase(passphrase);
        try {
            return AccountBundle.fromJson(SealedFile.open(file, passphrase));
        } catch (SealedFile.OpenException e) {
            throw new ControlException(e.getMessage());
        }
    }

    private static void checkPassphrase(char[] passphrase) throws ControlException {
        if (passphrase == null || passphrase.length < 8)
            throw new ControlException("The passphrase must have at least 8 characters (a few words are best).");
    }

    private static AccountsImport view(AccountMerge.Plan plan, boolean applied, AccountBundle remote) {
        List<AccountsImport.Line> lines = plan.changes().stream().map(c -> new AccountsImport.Line(c.name(),
                c.action().name().toLowerCase().replace('_', '-'), c.detail())).toList();
        return new AccountsImport(lines, plan.warnings(), applied, remote.writtenBy(),
                remote.writtenAt() == null ? null : remote.writtenAt().toString());
    }

    private record Secrets(String password, char[] passphrase) {
        @Override public String toString() { return "Secrets[hidden]"; }
    }

    private Secrets secrets(RelayConfig cfg) throws ControlException {
        JsonNode stored = null;
        if (Files.exists(secretsFile())) {
            try {
                stored = JSON.readTree(secretsFile().toFile());
            } catch (IOException e) {
                throw new ControlException(secretsFile() + " cannot be read; run `codex-relay sync setup` again.");
            }
        }
        String password = envOr(str(cfg, "sync.password_env"), stored, "password");
        String passphrase = envOr(str(cfg, "sync.passphrase_env"), stored, "passphrase");
        if (passphrase == null)
            throw new ControlException("No sync passphrase: set the environment variable " + str(cfg, "sync.passphrase_env")
                    + " or run `codex-relay sync setup` (it stores it in " + secretsFile() + ", mode 0600).");
        return new Secrets(password, passphrase.toCharArray());
    }

    private String envOr(String var, JsonNode stored, String field) {
        String v = var == null || var.isBlank() ? null : env.get(var);
        if (v != null && !v.isEmpty()) return v;
        return stored != null && stored.hasNonNull(field) ? stored.get(field).asText() : null;
    }

    private static String str(RelayConfig cfg, String key) {
        Object v = cfg.values().get(key);
        return v == null ? "" : v.toString();
    }

    private static String safeUrl(RelayConfig cfg) {
        try {
            URI u = URI.create(str(cfg, "sync.url"));
            return u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getRawPath();
        } catch (IllegalArgumentException e) {
            return "(not a URL)";
        }
    }

    /** This machine's name in the shared file: host name and a random suffix kept in the sync state. */
    String machine() {
        State s = readState();
        if (s.machine() != null) return s.machine();
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "machine";
        }
        byte[] r = new byte[3];
        new SecureRandom().nextBytes(r);
        String name = host + "-" + HexFormat.of().formatHex(r);
        writeState(new State(name, s.etag(), s.lastSyncAt(), s.lastResult(), s.lastError(), s.base(), s.refreshedBy(), s.warnings(), s.changes()));
        return name;
    }

    // ---- the sync state file ----------------------------------------------------------------------------------------

    record State(String machine, String etag, String lastSyncAt, String lastResult, String lastError,
                 Map<String, AccountMerge.BaseEntry> base, Map<String, String> refreshedBy, List<String> warnings, List<String> changes) {}

    State readState() {
        Path f = stateFile();
        if (!Files.exists(f)) return new State(null, null, null, null, null, null, Map.of(), List.of(), List.of());
        try {
            JsonNode n = JSON.readTree(f.toFile());
            Map<String, AccountMerge.BaseEntry> base = null;
            if (n.hasNonNull("base")) {
                base = new LinkedHashMap<>();
                var it = n.get("base").fields();
                while (it.hasNext()) {
                    var e = it.next();
                    String at = e.getValue().hasNonNull("tokensRefreshedAt") ? e.getValue().get("tokensRefreshedAt").asText() : null;
                    base.put(e.getKey(), new AccountMerge.BaseEntry(at == null ? null : Instant.parse(at),
                            e.getValue().hasNonNull("refreshedBy") ? e.getValue().get("refreshedBy").asText() : null));
                }
            }
            Map<String, String> refreshedBy = new HashMap<>();
            if (base != null) base.forEach((k, v) -> { if (v.refreshedBy() != null) refreshedBy.put(k, v.refreshedBy()); });
            List<String> warnings = new ArrayList<>(), changes = new ArrayList<>();
            n.path("warnings").forEach(w -> warnings.add(w.asText()));
            n.path("changes").forEach(w -> changes.add(w.asText()));
            return new State(t(n, "machine"), t(n, "etag"), t(n, "lastSyncAt"), t(n, "lastResult"), t(n, "lastError"), base,
                    refreshedBy, warnings, changes);
        } catch (IOException | RuntimeException e) {
            log.warn("{} is unreadable ({}); the next sync starts afresh", f, e.getClass().getSimpleName());
            return new State(null, null, null, null, null, null, Map.of(), List.of(), List.of());
        }
    }

    private void writeState(State s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("machine", s.machine()).put("etag", s.etag()).put("lastSyncAt", s.lastSyncAt()).put("lastResult", s.lastResult())
                .put("lastError", s.lastError());
        if (s.base() != null) {
            ObjectNode b = n.putObject("base");
            s.base().forEach((k, v) -> b.putObject(k).put("tokensRefreshedAt", v.tokensRefreshedAt() == null ? null
                    : v.tokensRefreshedAt().toString()).put("refreshedBy", v.refreshedBy()));
        }
        s.warnings().forEach(n.putArray("warnings")::add);
        var ch = n.putArray("changes");
        s.changes().forEach(ch::add);
        try {
            home.ensureExists();
            AtomicFiles.write(stateFile(), (n.toString() + "\n").getBytes(StandardCharsets.UTF_8), true);
        } catch (IOException e) {
            log.warn("Could not write {}: {}", stateFile(), e.getMessage());
        }
    }

    private static String t(JsonNode n, String f) {
        return n.hasNonNull(f) ? n.get(f).asText() : null;
    }
}
