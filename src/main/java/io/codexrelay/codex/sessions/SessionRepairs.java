package io.codexrelay.codex.sessions;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Repairs of Codex sessions: move to another provider (retag), re-index, unarchive, trash and restore, undo.
 *
 * <p>Every repair is first a {@link Plan} (the dry run: what would change, what is refused and why). Applying a plan
 * checks again that no Codex is writing the session ({@link LiveSessionProbe}), backs up each file before it is
 * rewritten, snapshots Codex's databases, records every step in the {@link RepairJournal}, and changes the databases
 * in transactions with a busy timeout. A session whose repair fails half-way is rolled back on the spot; {@link #undo}
 * reverts the last repair later, refusing when Codex has changed the same things since.
 */
public final class SessionRepairs {
    /** A session the repair will not touch, and why (plain language). */
    public record Refusal(String sessionId, String reason) {}

    /** What one change does, for the dry run and the report. {@code sessionId} is null for a change to the whole home. */
    public record Change(String sessionId, Path codexHome, String description, List<String> details) {}

    /** A dry run. Apply it with {@link #apply}. */
    public static final class Plan {
        private final String operation;
        private final String summary;
        private final List<RepairAction.Planned> planned;
        private final List<Refusal> refused;
        private final List<String> notes;

        Plan(String operation, String summary, List<RepairAction.Planned> planned, List<Refusal> refused, List<String> notes) {
            this.operation = operation;
            this.summary = summary;
            this.planned = List.copyOf(planned);
            this.refused = List.copyOf(refused);
            this.notes = List.copyOf(notes);
        }

        public String operation() { return operation; }
        public String summary() { return summary; }
        public List<Change> changes() { return planned.stream().map(RepairAction.Planned::change).toList(); }
        public List<Refusal> refused() { return refused; }
        public List<String> notes() { return notes; }
        public boolean isEmpty() { return planned.isEmpty(); }

        List<RepairAction.Planned> planned() { return planned; }
    }

    /**
     * What a repair did. {@code journalId} is null when nothing was written. {@code touchedPaths} are files that were
     * rewritten or moved (the catalog cache forgets them).
     */
    public record Result(String operation, String journalId, List<Change> done, List<Refusal> refused,
                         List<String> failures, List<String> touchedPaths, List<String> notes) {
        public boolean complete() { return refused.isEmpty() && failures.isEmpty(); }
    }

    /** A session in the trash. */
    public record Trashed(String sessionId, Path codexHome, String entryId, String trashedAt, String description) {}

    private final RepairJournal journal;
    private final RetagPlanner retag;
    private final ReindexPlanner reindex;
    private final UnarchivePlanner unarchive;
    private final TrashPlanner trash;
    private final HomeTransferPlanner toHome;
    private final RepairEngine engine;

    public SessionRepairs(RepairJournal journal, LiveSessionProbe probe, RolloutReader reader, ObjectMapper mapper) {
        this.journal = journal;
        this.retag = new RetagPlanner(new SessionMetaEditor(mapper));
        this.reindex = new ReindexPlanner(reader, mapper);
        this.unarchive = new UnarchivePlanner(journal.clock());
        this.trash = new TrashPlanner(journal, mapper);
        this.toHome = new HomeTransferPlanner(reader, mapper);
        this.engine = new RepairEngine(journal, probe, trash);
    }

    public RepairJournal journal() { return journal; }

    // ==== plans (dry runs): one planner per operation ===============================================================

    /**
     * Moves sessions to provider {@code to}: those recorded under {@code from} (null = any), limited to {@code ids}
     * when given. Rewrites {@code model_provider} in the thread row and in the rollout's session_meta line, nothing
     * else (plus the history projection's byte offsets, which follow the first line's length).
     */
    public Plan planRetag(SessionCatalog.Snapshot snap, String from, String to, Set<String> ids) {
        return retag.plan(snap, from, to, ids);
    }

    /** Creates missing thread rows from rollouts, fixes rows whose rollout moved, drops index lines of vanished sessions. */
    public Plan planReindex(SessionCatalog.Snapshot snap) {
        return reindex.plan(snap);
    }

    /** Moves archived sessions back into {@code sessions/YYYY/MM/DD/} and marks their rows unarchived, as {@code codex unarchive} does. */
    public Plan planUnarchive(SessionCatalog.Snapshot snap, Set<String> ids) {
        return unarchive.plan(snap, ids);
    }

    /**
     * Moves sessions to the relay's trash: their rollout files, every row that carries their id in Codex's state and
     * history databases, and their lines in the name index. {@link #restore} brings them back exactly.
     */
    public Plan planTrash(SessionCatalog.Snapshot snap, Set<String> ids) {
        return trash.plan(snap, ids);
    }

    /** Moves sessions to another Codex home: rollouts, the source's row and index lines, a new row in the target. */
    public Plan planMove(SessionCatalog.Snapshot snap, Set<String> ids, Path targetHome) {
        return toHome.move(snap, ids, targetHome);
    }

    /** Copies sessions to another Codex home: the rollouts and a new row in the target; the originals stay. */
    public Plan planCopy(SessionCatalog.Snapshot snap, Set<String> ids, Path targetHome) {
        return toHome.copy(snap, ids, targetHome);
    }

    // ==== the engine: apply, undo, trash listing, restore ============================================================

    public Result apply(Plan plan) {
        return engine.apply(plan);
    }

    /** What {@link #undo} would revert, or empty when there is nothing to undo. */
    public Optional<Journal.Entry> lastRepair() {
        return journal.lastUndoable();
    }

    /** Reverts the last repair that has not been undone. */
    public Result undo(SessionCatalog.Snapshot snap) {
        return engine.undo(snap);
    }

    /** Sessions in the relay's trash, newest first. */
    public List<Trashed> trashed() {
        return engine.trashed();
    }

    /** Brings sessions back from the trash exactly as they were. */
    public Result restore(Set<String> ids) {
        return engine.restore(ids);
    }

    /** Deletes the trashed files for good. Irreversible: ask the user first. */
    public Result emptyTrash() {
        return engine.emptyTrash();
    }
}
