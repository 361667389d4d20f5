package io.codexrelay.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.codex.sessions.AccountUsage;
import io.codexrelay.codex.sessions.CatalogCache;
import io.codexrelay.codex.sessions.CodexProviders;
import io.codexrelay.codex.sessions.ConversationTurn;
import io.codexrelay.codex.sessions.LiveSessionProbe;
import io.codexrelay.codex.sessions.RelayUsageQuery;
import io.codexrelay.codex.sessions.RepairJournal;
import io.codexrelay.codex.sessions.RolloutReader;
import io.codexrelay.codex.sessions.SessionCatalog;
import io.codexrelay.codex.sessions.SessionDiagnosis;
import io.codexrelay.codex.sessions.SessionFlag;
import io.codexrelay.codex.sessions.SessionRecord;
import io.codexrelay.codex.sessions.SessionRepairs;
import io.codexrelay.config.ConfigException;
import io.codexrelay.config.ConfigLoader;
import io.codexrelay.config.RelayHome;
import io.codexrelay.store.Database;
import io.codexrelay.store.StoreException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the Sessions window and the {@code sessions} CLI may do with Codex sessions: list and search them, explain
 * why one is missing from {@code codex resume}, preview and apply repairs, undo, trash and restore. Wraps the
 * catalog and the repairs of {@code codex.sessions}; the UI and the CLI see only the records declared here.
 *
 * <p>Works offline on the files (no daemon needed). The last scan is kept so that details and previews do not
 * rescan; {@link #refresh} scans again. Thread-safe (one call at a time).
 */
public final class SessionsService implements AutoCloseable {

    /** Reports a cold scan: {@code done} of {@code total} session files read. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);
    }

    /** A session as the list and the details pane show it. Field names are the {@code --json} names. */
    public record View(String id, String codexHome, String name, String title, String displayName,
                       String firstUserMessage, String lastUserMessage, String lastAssistantMessage, String cwd,
                       String gitOrigin, String gitBranch, String gitSha, Instant createdAt, Instant updatedAt,
                       int turns, long tokensUsed, String model, String provider, String source,
                       boolean interactive, boolean archived, String rolloutPath, boolean hasDbRow,
                       boolean hasRollout, String cliVersion, List<String> flags, List<AccountShare> relayAccounts,
                       String resumeCommand) {}

    /** Requests and tokens one relay account served for a session. */
    public record AccountShare(String account, int requests, long inputTokens, long outputTokens) {}

    public record Message(String role, String text, Instant at) {}

    public record Finding(String code, String text, String fix, boolean blocking) {}

    /** The details pane: the session, the first and last messages, and the diagnosis. */
    public record Details(View session, List<Message> firstMessages, List<Message> lastMessages, List<Finding> diagnosis) {}

    /** What a scan found. {@code fromCache}/{@code fromDisk}: rollouts served by the cache / read now. */
    public record Listing(List<View> sessions, List<String> problems, int fromCache, int fromDisk, long millis,
                          List<String> codexHomes) {}

    /** A dry run. Pass it to {@link #apply} unchanged. */
    public record Preview(String operation, String summary, List<PlannedChange> changes, List<Refusal> refused,
                          List<String> notes, Object plan) {
        public boolean isEmpty() { return changes.isEmpty(); }
    }

    public record PlannedChange(String sessionId, String codexHome, String description, List<String> details) {}

    public record Refusal(String sessionId, String reason) {}

    /** What a repair did. {@code journalId} names the undo entry (null when nothing changed). */
    public record Outcome(String operation, String journalId, List<PlannedChange> done, List<Refusal> refused,
                          List<String> failures, List<String> notes) {
        public boolean complete() { return refused.isEmpty() && failures.isEmpty(); }
    }

    public record TrashItem(String sessionId, String codexHome, String trashedAt, String description) {}

    /** The last repair {@code undo} would revert. */
    public record UndoInfo(String journalId, String operation, String summary, String createdAt) {}

    /** Problems across all sessions: {@code counts} per finding code, and the sessions with each flag. */
    public record Doctor(List<String> problems, Map<String, Integer> flagCounts, Map<String, Integer> providerCounts,
                         String currentProvider, List<View> attention, int total) {
        public boolean healthy() { return problems.isEmpty() && attention.isEmpty(); }
    }

    private final RelayHome relayHome;
    private final Database db;              // may be null: no cache, no relay usage
    private final List<Path> codexHomes;
    private final List<String> setupProblems;
    private final ObjectMapper mapper = new ObjectMapper();
    private final RolloutReader reader = new RolloutReader(mapper);
    private final CatalogCache cache;
    private final SessionCatalog catalog;
    private final SessionRepairs repairs;
    private SessionCatalog.Snapshot last;

    public SessionsService(RelayHome relayHome, Database db, List<Path> codexHomes, List<String> setupProblems, Clock clock) {
        this.relayHome = relayHome;
        this.db = db;
        this.codexHomes = List.copyOf(codexHomes);
        this.setupProblems = List.copyOf(setupProblems);
        this.cache = db == null ? null : new CatalogCache(db, clock);
        this.catalog = new SessionCatalog(reader, cache, db == null ? null : new RelayUsageQuery(db));
        this.repairs = new SessionRepairs(new RepairJournal(relayHome, mapper, clock), new LiveSessionProbe(clock), reader, mapper);
    }

    /**
     * Builds the service the way the CLI and the window run it: relay home from {@code CODEX_RELAY_HOME} (else
     * {@code ~/.codex-relay}), Codex home from {@code codexHome} (else {@code CODEX_HOME}, else {@code ~/.codex}) plus
     * {@code codex.extra_homes} of the relay config. A relay database that cannot be opened only costs the cache.
     */
    public static SessionsService open(Map<String, String> env, Path codexHome, Clock clock) {
        List<String> problems = new ArrayList<>();
        RelayHome rh = RelayHome.fromEnvironment(env);
        Set<Path> homes = new LinkedHashSet<>();
        homes.add(codexHome != null ? codexHome : defaultCodexHome(env));
        if (Files.exists(rh.configFile())) {
            try {
                for (String h : ConfigLoader.load(rh.configFile()).codex().extraHomes()) homes.add(expandHome(h));
            } catch (ConfigException e) {
                problems.add("The relay configuration could not be read (" + e.getMessage() + "); extra Codex homes are skipped.");
            }
        }
        Database db = null;
        try {
            rh.ensureExists();
            db = new Database(rh.database());
        } catch (IOException | StoreException e) {
            problems.add("The relay database could not be opened (" + e.getMessage() + "); sessions are read without the cache.");
        }
        List<Path> list = new ArrayList<>();
        for (Path h : homes) list.add(h.toAbsolutePath().normalize());
        return new SessionsService(rh, db, list, problems, clock);
    }

    /**
     * Like {@link #open(Map, Path, Clock)} over named Codex homes ({@code homes create}): only the home {@code homeName},
     * or with {@code allHomes} the usual homes plus every named one. An unknown name says which names exist.
     */
    public static SessionsService open(Map<String, String> env, Path codexHome, String homeName, boolean allHomes, Clock clock)
            throws ControlException {
        RelayHome rh = RelayHome.fromEnvironment(env);
        List<CodexHomes.Entry> named = new CodexHomes(rh, clock).entries();
        if (homeName != null) {
            CodexHomes.Entry e = new CodexHomes(rh, clock).find(homeName);
            SessionsService base = open(env, e.dir(), clock);
            List<Path> only = List.of(e.dir().toAbsolutePath().normalize());
            return new SessionsService(base.relayHome, base.db, only, base.setupProblems, clock);
        }
        SessionsService base = open(env, codexHome, clock);
        if (!allHomes) return base;
        Set<Path> homes = new LinkedHashSet<>(base.codexHomes);
        for (CodexHomes.Entry e : named) homes.add(e.dir().toAbsolutePath().normalize());
        return new SessionsService(base.relayHome, base.db, List.copyOf(homes), base.setupProblems, clock);
    }

    /**
     * The daemon's service (the tray's Sessions window): the Codex home of {@code env} plus {@code extraHomes}, on the
     * daemon's own database, which the daemon closes.
     */
    static SessionsService forDaemon(RelayHome relayHome, Database db, List<String> extraHomes, Map<String, String> env, Clock clock) {
        Set<Path> homes = new LinkedHashSet<>();
        homes.add(defaultCodexHome(env));
        for (String h : extraHomes) homes.add(expandHome(h));
        List<Path> list = new ArrayList<>();
        for (Path h : homes) list.add(h.toAbsolutePath().normalize());
        return new SessionsService(relayHome, db, list, List.of(), clock);
    }

    public static Path defaultCodexHome(Map<String, String> env) {
        String h = env.get("CODEX_HOME");
        if (h != null && !h.isBlank()) return Path.of(h);
        return Path.of(System.getProperty("user.home"), ".codex");
    }

    /** {@code ~} and {@code ~/...} in a configured path mean the user's home (the one copy of that rule). */
    static Path expandHome(String p) {
        if (p.equals("~") || p.startsWith("~/")) return Path.of(System.getProperty("user.home") + p.substring(1));
        return Path.of(p);
    }

    public List<Path> codexHomes() { return codexHomes; }

    public RelayHome relayHome() { return relayHome; }

    /** Where a window of this service keeps its size ({@code name} in the relay home). */
    public Path uiStateFile(String name) { return relayHome.dir().resolve(name); }

    // ---- reading --------------------------------------------------------------------------------------------------

    /** Scans every Codex home (cache first); {@code progress} sees the cold reads. */
    public synchronized Listing refresh(Progress progress) {
        long t0 = System.nanoTime();
        last = catalog.scan(codexHomes, progress == null ? SessionCatalog.Progress.NONE : progress::update);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        List<String> problems = new ArrayList<>(setupProblems);
        problems.addAll(last.problems());
        return new Listing(last.sessions().stream().map(this::view).toList(), problems, last.readFromCache(),
                last.readFromDisk(), ms, codexHomes.stream().map(Path::toString).toList());
    }

    /** The last scan (scanning now if there was none). */
    public synchronized Listing listing() {
        if (last == null) return refresh(null);
        return new Listing(last.sessions().stream().map(this::view).toList(), problemsOfLast(), last.readFromCache(),
                last.readFromDisk(), 0, codexHomes.stream().map(Path::toString).toList());
    }

    private List<String> problemsOfLast() {
        List<String> p = new ArrayList<>(setupProblems);
        p.addAll(last.problems());
        return p;
    }

    private SessionCatalog.Snapshot snapshot() {
        if (last == null) refresh(null);
        return last;
    }

    /** One session by id or unique id prefix, with its first and last messages and the diagnosis. */
    public synchronized Optional<Details> details(String idOrPrefix, Path currentDir) {
        Optional<SessionRecord> r = snapshot().find(idOrPrefix);
        if (r.isEmpty()) {
            String q = idOrPrefix.toLowerCase();
            return repairs.trashed().stream().filter(t -> t.sessionId().startsWith(q)).findFirst().map(t -> new Details(
                    new View(t.sessionId(), t.codexHome().toString(), null, null, t.description(), null, null, null, null,
                            null, null, null, null, null, 0, 0, null, null, null, false, false, null, false, false,
                            null, List.of(SessionFlag.IN_TRASH.label()), List.of(), null),
                    List.of(), List.of(), List.of(new Finding("in-trash", "It is in codex-relay's trash (since "
                    + t.trashedAt() + ").", "codex-relay sessions restore " + t.sessionId(), true))));
        }
        SessionRecord s = r.get();
        List<Message> first = new ArrayList<>(), lastMsgs = new ArrayList<>();
        if (s.hasRollout() && s.rolloutPath() != null) {
            try {
                List<ConversationTurn> turns = reader.conversation(s.rolloutPath(), 2, 4);
                for (int i = 0; i < turns.size(); i++) {
                    var t = turns.get(i);
                    (i < Math.min(2, turns.size()) ? first : lastMsgs).add(new Message(t.role(), t.text(), t.at()));
                }
            } catch (IOException ignored) {
                // the details pane shows what the summary has
            }
        }
        List<Finding> findings = SessionDiagnosis.explain(s, CodexProviders.read(s.codexHome()), currentDir).stream()
                .map(f -> new Finding(f.code(), f.text(), f.fix(), f.blocking())).toList();
        return Optional.of(new Details(view(s), first, lastMsgs, findings));
    }

    /** The newest session recorded in {@code dir} (or below it), any provider. */
    public synchronized Optional<View> newestIn(Path dir) {
        Path want = dir.toAbsolutePath().normalize();
        return snapshot().sessions().stream()
                .filter(s -> s.cwd() != null && Path.of(s.cwd()).toAbsolutePath().normalize().equals(want))
                .findFirst().map(this::view);
    }

    /** Everything that needs attention, and the sessions per provider. */
    public synchronized Doctor doctor(Path currentDir) {
        SessionCatalog.Snapshot snap = refreshSnapshot();
        Map<String, Integer> flags = new TreeMap<>();
        Map<String, Integer> providers = new TreeMap<>();
        List<View> attention = new ArrayList<>();
        for (SessionRecord s : snap.sessions()) {
            providers.merge(String.valueOf(s.modelProvider()), 1, Integer::sum);
            for (SessionFlag f : s.flags()) flags.merge(f.label(), 1, Integer::sum);
            if (!s.flags().isEmpty()) attention.add(view(s));
        }
        String current = codexHomes.isEmpty() ? CodexProviders.DEFAULT : CodexProviders.read(codexHomes.get(0)).current();
        return new Doctor(problemsOfLast(), flags, providers, current, attention, snap.sessions().size());
    }

    private SessionCatalog.Snapshot refreshSnapshot() {
        refresh(null);
        return last;
    }

    /** Sessions per provider in the primary Codex home: what {@code codex on/off} can offer to bring along. */
    public synchronized Map<String, Integer> providerCounts() {
        Map<String, Integer> out = new TreeMap<>();
        for (SessionRecord s : snapshot().sessions()) out.merge(String.valueOf(s.modelProvider()), 1, Integer::sum);
        return out;
    }

    /** The provider Codex uses now in the primary home. */
    public String currentProvider() {
        return codexHomes.isEmpty() ? CodexProviders.DEFAULT : CodexProviders.read(codexHomes.get(0)).current();
    }

    public synchronized List<TrashItem> trash() {
        return repairs.trashed().stream()
                .map(t -> new TrashItem(t.sessionId(), t.codexHome().toString(), t.trashedAt(), t.description())).toList();
    }

    public synchronized Optional<UndoInfo> lastRepair() {
        return repairs.lastRepair().map(e -> new UndoInfo(e.id(), e.operation(), e.summary(), e.createdAt()));
    }

    // ---- repairs: preview, then apply -----------------------------------------------------------------------------

    public synchronized Preview previewRetag(String from, String to, Set<String> ids) {
        return preview(repairs.planRetag(refreshSnapshot(), from, to, ids));
    }

    public synchronized Preview previewReindex() {
        return preview(repairs.planReindex(refreshSnapshot()));
    }

    public synchronized Preview previewUnarchive(Set<String> ids) {
        return preview(repairs.planUnarchive(refreshSnapshot(), resolve(ids)));
    }

    /**
     * Moving sessions to the named home {@code homeName} (they may be in any home this service reads); previewed, then
     * {@link #apply}, undone by {@link #undo}. The target must be one of this service's homes (open it with all homes).
     */
    public synchronized Preview previewMove(Set<String> ids, String homeName) throws ControlException {
        Path target = new CodexHomes(relayHome, java.time.Clock.systemUTC()).find(homeName).dir();
        return preview(repairs.planMove(refreshSnapshot(), resolve(ids), target));
    }

    /**
     * Copying sessions to the named home {@code homeName}: the originals stay, the target gets the rollouts and a
     * threads row; previewed, then {@link #apply}, undone by {@link #undo} (which removes only unchanged copies).
     */
    public synchronized Preview previewCopy(Set<String> ids, String homeName) throws ControlException {
        Path target = new CodexHomes(relayHome, java.time.Clock.systemUTC()).find(homeName).dir();
        return preview(repairs.planCopy(refreshSnapshot(), resolve(ids), target));
    }

    /** The names of the named Codex homes ({@code homes create}), for the Sessions window's Copy to home…. */
    public List<String> namedHomes() throws ControlException {
        return new CodexHomes(relayHome, java.time.Clock.systemUTC()).entries().stream().map(CodexHomes.Entry::name).toList();
    }

    public synchronized Preview previewTrash(Set<String> ids) {
        return preview(repairs.planTrash(refreshSnapshot(), resolve(ids)));
    }

    /** Applies a preview made by this service; the cache forgets every file the repair touched. */
    public synchronized Outcome apply(Preview preview) {
        if (!(preview.plan() instanceof SessionRepairs.Plan plan)) throw new IllegalArgumentException("not a preview of this service");
        return finish(repairs.apply(plan));
    }

    public synchronized Outcome restore(Set<String> ids) {
        Set<String> full = new LinkedHashSet<>();
        for (String id : ids) {
            String q = id.toLowerCase();
            full.add(repairs.trashed().stream().map(SessionRepairs.Trashed::sessionId).filter(t -> t.startsWith(q))
                    .findFirst().orElse(q));
        }
        return finish(repairs.restore(full));
    }

    public synchronized Outcome undo() {
        return finish(repairs.undo(refreshSnapshot()));
    }

    /** Deletes the trash for good. Ask first. */
    public synchronized Outcome emptyTrash() {
        return finish(repairs.emptyTrash());
    }

    private Outcome finish(SessionRepairs.Result r) {
        if (cache != null && !r.touchedPaths().isEmpty()) {
            try {
                cache.invalidate(r.touchedPaths());
            } catch (StoreException ignored) {
                // size/mtime still catch most changes; the next scan rereads what it must
            }
        }
        last = null;
        return new Outcome(r.operation(), r.journalId(), r.done().stream().map(SessionsService::change).toList(),
                r.refused().stream().map(x -> new Refusal(x.sessionId(), x.reason())).toList(), r.failures(), r.notes());
    }

    private Preview preview(SessionRepairs.Plan p) {
        return new Preview(p.operation(), p.summary(), p.changes().stream().map(SessionsService::change).toList(),
                p.refused().stream().map(x -> new Refusal(x.sessionId(), x.reason())).toList(), p.notes(), p);
    }

    private static PlannedChange change(SessionRepairs.Change c) {
        return new PlannedChange(c.sessionId(), c.codexHome() == null ? null : c.codexHome().toString(), c.description(), c.details());
    }

    /** Expands unique id prefixes to full ids (unknown ones pass through and are refused by the plan). */
    private Set<String> resolve(Set<String> ids) {
        Set<String> out = new LinkedHashSet<>();
        for (String id : ids) out.add(snapshot().find(id).map(SessionRecord::id).orElse(id.toLowerCase()));
        return out;
    }

    public Set<String> resolveIds(Set<String> ids) {
        synchronized (this) {
            return resolve(ids);
        }
    }

    private View view(SessionRecord s) {
        List<String> flags = s.flags().stream().map(SessionFlag::label).toList();
        List<AccountShare> accounts = new ArrayList<>();
        for (AccountUsage u : s.relayUsage()) accounts.add(new AccountShare(u.account(), u.requests(), u.inputTokens(), u.outputTokens()));
        return new View(s.id(), s.codexHome().toString(), s.name(), s.title(), s.displayName(), s.firstUserMessage(),
                s.lastUserMessage(), s.lastAgentMessage(), s.cwd(), s.gitOrigin(), s.gitBranch(), s.gitSha(),
                s.createdAt(), s.updatedAt(), s.turns(), s.tokensUsed(), s.model(), s.modelProvider(), s.source(),
                s.interactive(), s.archived(), s.rolloutPath() == null ? null : s.rolloutPath().toString(), s.hasDbRow(),
                s.hasRollout(), s.cliVersion(), flags, accounts, SessionDiagnosis.resumeCommand(s));
    }

    /** Where the undo journal lives (for messages). */
    public Path journalDir() { return relayHome.backupsDir().resolve("sessions"); }

    @Override
    public void close() {
        if (db != null) db.close();
    }
}
