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
 * Plans copying sessions to another Codex home (a named home): the rollout files are copied to the same place under
 * the target home and the target's state database gets a threads row built from the rollout (as {@code reindex}
 * builds one), so {@code codex resume} lists the session in both homes. Nothing in the source home changes. Every step
 * is journalled: {@code sessions undo} removes the copies and the row, as long as the copy was not continued.
 */
record CopyPlanner(RolloutReader reader, ObjectMapper mapper) {
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
            List<Path[]> copies = new ArrayList<>();
            boolean clash = false;
            for (RolloutFile f : RolloutFiles.scan(home, new ArrayList<>())) {
                if (!f.id().equals(s.id())) continue;
                Path dest = to.resolve(home.relativize(f.path()).toString());
                if (Files.exists(dest)) clash = true;
                copies.add(new Path[] {f.path(), dest});
            }
            if (clash) {
                refused.add(new Refusal(s.id(), "a file of the same name exists in " + to + " already (copied before?)"));
                continue;
            }
            if (copies.isEmpty()) {
                refused.add(new Refusal(s.id(), "it has no rollout file to copy"));
                continue;
            }
            List<String> details = new ArrayList<>();
            for (Path[] c : copies) details.add("copy " + c[0] + " to " + c[1]);
            Path targetDb = StateDb.locate(to);
            if (targetDb != null) details.add(targetDb.getFileName() + " of " + to + ": insert the threads row from the rollout");
            String description = "copy '" + shortName(s) + "' to " + to;
            Path main = copies.get(0)[1];
            planned.add(new Planned(new Change(s.id(), home, description, details), s.rolloutPath(),
                    w -> copy(w, to, s.id(), copies, targetDb, main, s.archived())));
        }
        refused.addAll(selection.notFound());
        return new Plan("copy", "Copy " + count(planned.size(), "session") + " to " + to, planned, refused,
                List.of("The originals stay where they are; each home continues its own copy from here on.",
                        "The sessions' prompt history stays in the home they came from."));
    }

    private void copy(RepairWork w, Path to, String id, List<Path[]> copies, Path targetDb, Path main, boolean archived)
            throws IOException, SQLException {
        for (Path[] c : copies) w.copy(c[0], c[1]);
        if (targetDb != null) new ReindexPlanner(reader, mapper).insertRow(w, to, targetDb, id, main, archived);
    }
}
