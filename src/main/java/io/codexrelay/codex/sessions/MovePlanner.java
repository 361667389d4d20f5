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
 * Plans moving sessions to another Codex home (a named home, docs/cli.md `homes`): the rollout files go to the same
 * place under the target home, the source's threads row and name-index lines go, and the target's state database gets
 * a threads row built from the rollout (as {@code reindex} builds one), so {@code codex resume} there lists it. Every
 * step is journalled, so {@code sessions undo} brings the session back where it was. Prompt history stays where it is.
 */
record MovePlanner(RolloutReader reader, ObjectMapper mapper) {
    Plan plan(SessionCatalog.Snapshot snap, Set<String> ids, Path target) {
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
            List<Path[]> moves = new ArrayList<>();
            boolean clash = false;
            for (RolloutFile f : RolloutFiles.scan(home, new ArrayList<>())) {
                if (!f.id().equals(s.id())) continue;
                Path dest = to.resolve(home.relativize(f.path()).toString());
                if (Files.exists(dest)) clash = true;
                moves.add(new Path[] {f.path(), dest});
            }
            if (clash) {
                refused.add(new Refusal(s.id(), "a file of the same name exists in " + to + " already"));
                continue;
            }
            if (moves.isEmpty()) {
                refused.add(new Refusal(s.id(), "it has no rollout file to move"));
                continue;
            }
            List<String> details = new ArrayList<>();
            for (Path[] m : moves) details.add("move " + m[0] + " to " + m[1]);
            Path stateDb = StateDb.locate(home), targetDb = StateDb.locate(to);
            if (s.hasDbRow() && stateDb != null) details.add(stateDb.getFileName() + " of " + home + ": remove the threads row (saved in the journal)");
            if (targetDb != null) details.add(targetDb.getFileName() + " of " + to + ": insert the threads row from the rollout");
            String description = "move '" + shortName(s) + "' to " + to;
            Path main = moves.get(0)[1];
            planned.add(new Planned(new Change(s.id(), home, description, details), s.rolloutPath(),
                    w -> move(w, home, to, s.id(), moves, stateDb, targetDb, main, s.archived())));
        }
        refused.addAll(selection.notFound());
        return new Plan("move", "Move " + count(planned.size(), "session") + " to " + to, planned, refused,
                List.of("The sessions' prompt history stays in the home they came from."));
    }

    private void move(RepairWork w, Path home, Path to, String id, List<Path[]> moves, Path stateDb, Path targetDb, Path main,
                      boolean archived) throws IOException, SQLException {
        for (Path[] m : moves) {
            Files.createDirectories(m[1].getParent());
            w.move(m[0], m[1]);
        }
        if (stateDb != null) w.db(stateDb, ops -> ops.deleteThread(id, true));
        SessionIndex index = SessionIndex.read(home, mapper);
        List<SessionIndex.Line> lines = index.linesOf(id);
        if (!lines.isEmpty()) w.removeIndexLines(SessionIndex.file(home), index, lines);
        if (targetDb != null) new ReindexPlanner(reader, mapper).insertRow(w, to, targetDb, id, main, archived);
    }
}
