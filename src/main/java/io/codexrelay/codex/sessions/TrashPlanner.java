package io.codexrelay.codex.sessions;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.codex.sessions.RepairAction.Planned;
import io.codexrelay.codex.sessions.SessionRepairs.Change;
import io.codexrelay.codex.sessions.SessionRepairs.Plan;
import io.codexrelay.codex.sessions.SessionRepairs.Refusal;

import java.io.IOException;
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
 * Plans moving sessions to the relay's trash: their rollout files, every row that carries their id in Codex's state
 * and history databases, and their lines in the name index. Restoring reverts the journal entry, so it comes back exactly.
 */
record TrashPlanner(RepairJournal journal, ObjectMapper mapper) {
    Plan plan(SessionCatalog.Snapshot snap, Set<String> ids) {
        List<Planned> planned = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        PlannerSupport.Selection selection = select(snap, ids, true);
        for (SessionRecord s : selection.sessions()) {
            Path home = s.codexHome();
            String homeProblem = homeProblem(snap, home);
            if (homeProblem != null) {
                refused.add(new Refusal(s.id(), homeProblem));
                continue;
            }
            List<Path> files = new ArrayList<>();
            for (RolloutFile f : RolloutFiles.scan(home, new ArrayList<>())) if (f.id().equals(s.id())) files.add(f.path());
            List<String> details = new ArrayList<>();
            for (Path f : files) details.add("move " + f + " to the relay's trash");
            Path stateDb = StateDb.locate(home), history = StateDb.locateHistory(home);
            if (s.hasDbRow() && stateDb != null) details.add(stateDb.getFileName() + ": the threads row and rows that refer to it (saved in the journal)");
            if (history != null) details.add(history.getFileName() + ": this thread's history rows (saved in the journal)");
            try {
                int n = SessionIndex.read(home, mapper).linesOf(s.id()).size();
                if (n > 0) details.add(SessionIndex.FILE + ": " + count(n, "line"));
            } catch (IOException e) {
                refused.add(new Refusal(s.id(), "could not read " + SessionIndex.file(home) + ": " + e.getMessage()));
                continue;
            }
            String description = "trash '" + shortName(s) + "'" + (s.cwd() == null ? "" : " (" + s.cwd() + ")");
            planned.add(new Planned(new Change(s.id(), home, description, details), s.rolloutPath(),
                    w -> trash(w, home, s.id(), files, stateDb, history)));
        }
        refused.addAll(selection.notFound());
        return new Plan("trash", "Move " + count(planned.size(), "session") + " to the trash", planned, refused, List.of());
    }

    private void trash(RepairWork w, Path home, String id, List<Path> files, Path stateDb, Path history) throws IOException, SQLException {
        Path dest = journal.trashFor(w.entryId(), id);
        for (Path f : files) {
            Path rel = home.relativize(f);
            w.move(f, dest.resolve(rel.toString()));
        }
        if (stateDb != null) w.db(stateDb, ops -> ops.deleteThread(id, true));
        if (history != null) w.db(history, ops -> ops.deleteThread(id, false));
        SessionIndex index = SessionIndex.read(home, mapper);
        List<SessionIndex.Line> lines = index.linesOf(id);
        if (!lines.isEmpty()) w.removeIndexLines(SessionIndex.file(home), index, lines);
    }
}
