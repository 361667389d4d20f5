package io.codexrelay.codex.sessions;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.codex.sessions.RepairAction.Planned;
import io.codexrelay.codex.sessions.SessionRepairs.Change;
import io.codexrelay.codex.sessions.SessionRepairs.Plan;
import io.codexrelay.codex.sessions.SessionRepairs.Refusal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static io.codexrelay.codex.sessions.PlannerSupport.count;
import static io.codexrelay.codex.sessions.PlannerSupport.homeProblem;
import static io.codexrelay.codex.sessions.PlannerSupport.select;
import static io.codexrelay.codex.sessions.PlannerSupport.shortName;

/**
 * Plans moving or copying sessions to another Codex home (a named home, docs/cli.md `homes`): the rollout files go to
 * the same place under the target home, and the target's state database gets a threads row built from the rollout (as
 * {@code reindex} builds one), so {@code codex resume} there lists it. A move also takes the source's threads row and
 * name-index lines away; a copy changes nothing in the source home. Every step is journalled, so {@code sessions undo}
 * brings the session back where it was (a copy: removes it, as long as it was not continued). Prompt history stays where
 * it is. One planner for both because they differ only in what happens to the source.
 */
record HomeTransferPlanner(RolloutReader reader, ObjectMapper mapper) {

    /** Move: the session leaves its home. */
    Plan move(SessionCatalog.Snapshot snap, Set<String> ids, Path target) {
        return plan(snap, ids, target, false);
    }

    /** Copy: the session stays in its home too, and each home continues its own copy. */
    Plan copy(SessionCatalog.Snapshot snap, Set<String> ids, Path target) {
        return plan(snap, ids, target, true);
    }

    private Plan plan(SessionCatalog.Snapshot snap, Set<String> ids, Path target, boolean copy) {
        String verb = copy ? "copy" : "move";
        Path to = target.toAbsolutePath().normalize();
        List<Planned> planned = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        PlannerSupport.Selection selection = select(snap, ids, true);
        for (SessionRecord s : selection.sessions()) {
            Path home = s.codexHome();
            if (home.toAbsolutePath().normalize().equals(to)) {
                refused.add(new Refusal(s.id(), "it is already in " + to));
                continue;
            }
            String homeProblem = homeProblem(snap, home);
            if (homeProblem != null) {
                refused.add(new Refusal(s.id(), homeProblem));
                continue;
            }
            List<Path[]> files = new ArrayList<>();
            boolean clash = false;
            for (RolloutFile f : RolloutFiles.scan(home, new ArrayList<>())) {
                if (!f.id().equals(s.id())) continue;
                Path dest = to.resolve(home.relativize(f.path()).toString());
                if (Files.exists(dest)) clash = true;
                files.add(new Path[] {f.path(), dest});
            }
            if (clash) {
                refused.add(new Refusal(s.id(), "a file of the same name exists in " + to + " already" + (copy ? " (copied before?)" : "")));
                continue;
            }
            if (files.isEmpty()) {
                refused.add(new Refusal(s.id(), "it has no rollout file to " + verb));
                continue;
            }
            List<String> details = new ArrayList<>();
            for (Path[] m : files) details.add(verb + " " + m[0] + " to " + m[1]);
            Path stateDb = copy ? null : StateDb.locate(home), targetDb = StateDb.locate(to);
            if (s.hasDbRow() && stateDb != null) details.add(stateDb.getFileName() + " of " + home + ": remove the threads row (saved in the journal)");
            if (targetDb != null) details.add(targetDb.getFileName() + " of " + to + ": insert the threads row from the rollout");
            String description = verb + " '" + shortName(s) + "' to " + to;
            Path main = files.get(0)[1];
            planned.add(new Planned(new Change(s.id(), home, description, details), s.rolloutPath(),
                    w -> transfer(w, copy, home, to, s.id(), files, stateDb, targetDb, main, s.archived())));
        }
        refused.addAll(selection.notFound());
        List<String> notes = copy
                ? List.of("The originals stay where they are; each home continues its own copy from here on.",
                        "The sessions' prompt history stays in the home they came from.")
                : List.of("The sessions' prompt history stays in the home they came from.");
        return new Plan(verb, (copy ? "Copy " : "Move ") + count(planned.size(), "session") + " to " + to, planned, refused, notes);
    }

    private void transfer(RepairWork w, boolean copy, Path home, Path to, String id, List<Path[]> files, Path stateDb,
                          Path targetDb, Path main, boolean archived) throws IOException, SQLException {
        for (Path[] m : files) {
            if (copy) {
                w.copy(m[0], m[1]);
            } else {
                Files.createDirectories(m[1].getParent());
                w.move(m[0], m[1]);
            }
        }
        if (!copy) {
            if (stateDb != null) w.db(stateDb, ops -> ops.deleteThread(id, true));
            SessionIndex index = SessionIndex.read(home, mapper);
            List<SessionIndex.Line> lines = index.linesOf(id);
            if (!lines.isEmpty()) w.removeIndexLines(SessionIndex.file(home), index, lines);
        }
        if (targetDb != null) new ReindexPlanner(reader, mapper).insertRow(w, to, targetDb, id, main, archived);
    }
}
