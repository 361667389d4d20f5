package io.codexrelay.codex.sessions;

import io.codexrelay.codex.sessions.RepairAction.Planned;
import io.codexrelay.codex.sessions.SessionRepairs.Change;
import io.codexrelay.codex.sessions.SessionRepairs.Plan;
import io.codexrelay.codex.sessions.SessionRepairs.Refusal;
import io.codexrelay.codex.sessions.SessionRepairs.Result;
import io.codexrelay.codex.sessions.SessionRepairs.Trashed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.codexrelay.codex.sessions.PlannerSupport.count;
import static io.codexrelay.codex.sessions.PlannerSupport.lower;

/**
 * Applies plans, journals every step, and reverts: the rollback of a session whose change failed half-way, undo of the
 * last repair, restore from the trash. It knows nothing of what a plan's actions do beyond the steps they record.
 */
final class RepairEngine {
    private static final Logger log = LoggerFactory.getLogger(RepairEngine.class);

    private final RepairJournal journal;
    private final LiveSessionProbe probe;
    private final TrashPlanner trashPlanner;
    private final StepReverter reverter = new StepReverter();

    /** {@code trashPlanner}: undoing a restore moves the sessions back to the trash. */
    RepairEngine(RepairJournal journal, LiveSessionProbe probe, TrashPlanner trashPlanner) {
        this.journal = journal;
        this.probe = probe;
        this.trashPlanner = trashPlanner;
    }

    Result apply(Plan plan) {
        List<Change> done = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>(plan.refused());
        List<String> failures = new ArrayList<>();
        List<String> touched = new ArrayList<>();
        if (plan.isEmpty()) return new Result(plan.operation(), null, done, refused, failures, touched, plan.notes());
        Journal.Entry entry;
        try {
            entry = journal.begin(plan.operation(), plan.summary(), null);
        } catch (IOException e) {
            failures.add("could not write the undo journal in " + journal.dir() + ": " + e.getMessage() + "; nothing was changed");
            return new Result(plan.operation(), null, done, refused, failures, touched, plan.notes());
        }
        LiveSessionProbe.Snapshot live = probe.snapshot();
        List<Journal.SessionChange> changes = new ArrayList<>();
        Set<Path> snapshotted = new HashSet<>();
        for (Planned p : plan.planned()) {
            Change c = p.change();
            if (c.sessionId() != null) {
                Optional<String> busy = live.whyBusy(c.codexHome(), c.sessionId(), p.rollout());
                if (busy.isPresent()) {
                    refused.add(new Refusal(c.sessionId(), "not touched: " + busy.get()));
                    continue;
                }
            }
            RepairWork w = new RepairWork(journal, reverter, entry.id(), snapshotted);
            try {
                p.action().run(w);
                changes.add(new Journal.SessionChange(c.sessionId(), c.codexHome().toString(), c.description(), w.steps(), "applied"));
                entry = entry.withChanges(List.copyOf(changes));
                journal.save(entry);
                done.add(c);
                touched.addAll(w.touched());
            } catch (IOException | SQLException | RuntimeException e) {
                String why = e instanceof SQLException se ? SessionCatalog.cleanSql(se) : e.getMessage();
                List<String> left = w.rollback();
                failures.add((c.sessionId() == null ? c.codexHome().toString() : c.sessionId()) + ": " + why
                        + (left.isEmpty() ? " (rolled back, nothing changed)" : " (rollback incomplete: " + String.join("; ", left) + ")"));
                log.warn("Session repair {} failed for {}: {}", plan.operation(), c.sessionId(), why);
            }
        }
        try {
            if (changes.isEmpty()) {
                deleteTree(journal.entryDir(entry.id()));
                deleteTree(journal.trashDir().resolve(entry.id()));
                return new Result(plan.operation(), null, done, refused, failures, touched, plan.notes());
            }
            journal.save(entry.withState("applied"));
        } catch (IOException e) {
            failures.add("could not finish the journal entry " + entry.id() + ": " + e.getMessage());
        }
        return new Result(plan.operation(), entry.id(), done, refused, failures, touched, plan.notes());
    }

    Result undo(SessionCatalog.Snapshot snap) {
        Optional<Journal.Entry> last = journal.lastUndoable();
        if (last.isEmpty()) {
            return new Result("undo", null, List.of(), List.of(new Refusal(null, "there is no repair to undo")), List.of(), List.of(), List.of());
        }
        Journal.Entry e = last.get();
        if ("restore".equals(e.operation())) {
            Set<String> ids = new LinkedHashSet<>();
            for (var c : e.changes()) if (c.sessionId() != null) ids.add(c.sessionId());
            Result r = apply(trashPlanner.plan(snap, ids));
            if (r.journalId() != null) {
                try {
                    journal.save(e.withState("undone"));
                } catch (IOException ex) {
                    return withFailure(r, "could not mark " + e.id() + " as undone: " + ex.getMessage());
                }
            }
            return new Result("undo", r.journalId(), r.done(), r.refused(), r.failures(), r.touchedPaths(),
                    List.of("Undid " + e.id() + " (" + e.summary() + ") by moving the sessions back to the trash."));
        }
        return revertEntry(e, null, "undo");
    }

    List<Trashed> trashed() {
        List<Trashed> out = new ArrayList<>();
        for (Journal.Entry e : journal.entries()) {
            if (!"trash".equals(e.operation())) continue;
            for (var c : e.changes()) {
                if ("applied".equals(c.state()) && c.sessionId() != null) {
                    out.add(new Trashed(c.sessionId(), Path.of(c.codexHome()), e.id(), e.createdAt(), c.description()));
                }
            }
        }
        Collections.reverse(out);
        return out;
    }

    Result restore(Set<String> ids) {
        Set<String> wanted = lower(ids);
        List<Refusal> refused = new ArrayList<>();
        List<Change> done = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> touched = new ArrayList<>();
        List<Trashed> inTrash = trashed();
        Map<String, List<String>> byEntry = new LinkedHashMap<>();
        for (String id : wanted) {
            Optional<Trashed> t = inTrash.stream().filter(x -> x.sessionId().equals(id)).findFirst();
            if (t.isEmpty()) refused.add(new Refusal(id, "it is not in the relay's trash"));
            else byEntry.computeIfAbsent(t.get().entryId(), k -> new ArrayList<>()).add(id);
        }
        List<Journal.SessionChange> restored = new ArrayList<>();
        String lastEntry = null;
        for (var e : byEntry.entrySet()) {
            Journal.Entry entry = journal.find(e.getKey()).orElseThrow();
            Result r = revertEntry(entry, new HashSet<>(e.getValue()), "restore");
            done.addAll(r.done());
            refused.addAll(r.refused());
            failures.addAll(r.failures());
            touched.addAll(r.touchedPaths());
            for (Change c : r.done()) {
                restored.add(new Journal.SessionChange(c.sessionId(), c.codexHome().toString(), c.description(), List.of(), "applied"));
            }
            lastEntry = entry.id();
        }
        String journalId = null;
        if (!restored.isEmpty()) {
            try {
                Journal.Entry r = journal.begin("restore", "Restore " + count(restored.size(), "session") + " from the trash", lastEntry);
                journal.save(r.withChanges(restored).withState("applied"));
                journalId = r.id();
            } catch (IOException ex) {
                failures.add("restored, but could not write the journal entry: " + ex.getMessage());
            }
        }
        return new Result("restore", journalId, done, refused, failures, touched, List.of());
    }

    Result emptyTrash() {
        List<Change> done = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (Journal.Entry e : journal.entries()) {
            if (!"trash".equals(e.operation())) continue;
            boolean changed = false;
            List<Journal.SessionChange> changes = new ArrayList<>();
            for (var c : e.changes()) {
                if ("applied".equals(c.state()) && c.sessionId() != null) {
                    try {
                        deleteTree(journal.trashFor(e.id(), c.sessionId()));
                        changes.add(c.withSteps(List.of()).withState("purged"));
                        done.add(new Change(c.sessionId(), Path.of(c.codexHome()), "deleted for good: " + c.description(), List.of()));
                        changed = true;
                        continue;
                    } catch (IOException ex) {
                        failures.add(c.sessionId() + ": " + ex.getMessage());
                    }
                }
                changes.add(c);
            }
            if (changed) {
                try {
                    journal.save(e.withChanges(changes));
                    deleteTree(journal.entryDir(e.id()).resolve("files"));
                } catch (IOException ex) {
                    failures.add(e.id() + ": " + ex.getMessage());
                }
            }
        }
        return new Result("empty-trash", null, done, List.of(), failures, List.of(), List.of());
    }

    /** Reverts the applied session changes of {@code e} (only those of {@code only} when given). */
    private Result revertEntry(Journal.Entry e, Set<String> only, String operation) {
        List<Journal.SessionChange> changes = new ArrayList<>(e.changes());
        List<Integer> targets = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            var c = changes.get(i);
            if ("applied".equals(c.state()) && (only == null || only.contains(c.sessionId()))) targets.add(i);
        }
        List<Refusal> refused = new ArrayList<>();
        for (int i : targets) {
            var c = changes.get(i);
            List<String> why = new ArrayList<>();
            for (Journal.Step s : c.steps()) why.addAll(reverter.conflicts(s));
            if (!why.isEmpty()) refused.add(new Refusal(c.sessionId(), String.join("; ", why)));
        }
        if (!refused.isEmpty()) {
            return new Result(operation, null, List.of(), refused, List.of(), List.of(),
                    List.of("Nothing was reverted: things changed after " + e.id() + " (" + e.summary() + "). "
                            + "The backups in " + journal.entryDir(e.id()) + " are kept."));
        }
        List<Change> done = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<String> touched = new ArrayList<>();
        Collections.reverse(targets);
        for (int i : targets) {
            var c = changes.get(i);
            List<Journal.Step> steps = new ArrayList<>(c.steps());
            Collections.reverse(steps);
            try {
                for (Journal.Step s : steps) {
                    reverter.revert(s);
                    touched.addAll(pathsOf(s));
                }
                changes.set(i, c.withState("reverted"));
                done.add(new Change(c.sessionId(), Path.of(c.codexHome()), "reverted: " + c.description(), List.of()));
            } catch (IOException | SQLException | RuntimeException ex) {
                failures.add((c.sessionId() == null ? c.codexHome() : c.sessionId()) + ": " + ex.getMessage());
            }
        }
        boolean allReverted = changes.stream().noneMatch(c -> "applied".equals(c.state()));
        try {
            Journal.Entry updated = e.withChanges(changes);
            if (allReverted) updated = updated.withState("undone");
            journal.save(updated);
        } catch (IOException ex) {
            failures.add("could not update the journal entry " + e.id() + ": " + ex.getMessage());
        }
        if ("restore".equals(operation) && allReverted && "trash".equals(e.operation())) {
            try {
                deleteTree(journal.trashDir().resolve(e.id()));
            } catch (IOException ignored) {
                // an empty folder left in the trash is harmless
            }
        }
        return new Result(operation, e.id(), done, List.of(), failures, touched,
                "undo".equals(operation) ? List.of("Undid " + e.id() + ": " + e.summary()) : List.of());
    }

    private static List<String> pathsOf(Journal.Step s) {
        if (s instanceof Journal.FileRewrite r) return List.of(r.path());
        if (s instanceof Journal.FileMove m) return List.of(m.from(), m.to());
        if (s instanceof Journal.FileCopy c) return List.of(c.to());
        return List.of();
    }

    private static Result withFailure(Result r, String f) {
        List<String> failures = new ArrayList<>(r.failures());
        failures.add(f);
        return new Result(r.operation(), r.journalId(), r.done(), r.refused(), failures, r.touchedPaths(), r.notes());
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            List<Path> all = walk.sorted(Comparator.reverseOrder()).toList();
            for (Path x : all) Files.deleteIfExists(x);
        }
    }
}
