package io.codexrelay.codex.sessions;

import io.codexrelay.codex.sessions.RepairAction.Planned;
import io.codexrelay.codex.sessions.SessionRepairs.Change;
import io.codexrelay.codex.sessions.SessionRepairs.Plan;
import io.codexrelay.codex.sessions.SessionRepairs.Refusal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.codexrelay.codex.sessions.PlannerSupport.count;
import static io.codexrelay.codex.sessions.PlannerSupport.homeProblem;
import static io.codexrelay.codex.sessions.PlannerSupport.isUnder;
import static io.codexrelay.codex.sessions.PlannerSupport.select;
import static io.codexrelay.codex.sessions.PlannerSupport.shortName;

/** Plans moving archived sessions back into {@code sessions/YYYY/MM/DD/} and marking their rows unarchived, as {@code codex unarchive} does. */
record UnarchivePlanner(Clock clock) {
    Plan plan(SessionCatalog.Snapshot snap, Set<String> ids) {
        List<Planned> planned = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        PlannerSupport.Selection selection = select(snap, ids, false);
        for (SessionRecord s : selection.sessions()) {
            if (!s.archived() && (s.rolloutPath() == null || !isUnder(s.rolloutPath(), RolloutFiles.archivedDir(s.codexHome())))) {
                refused.add(new Refusal(s.id(), "it is not archived"));
                continue;
            }
            if (!s.hasRollout()) {
                refused.add(new Refusal(s.id(), "its rollout file is missing (" + s.rolloutPath() + "), so there is nothing to bring back"));
                continue;
            }
            String homeProblem = homeProblem(snap, s.codexHome());
            if (homeProblem != null) {
                refused.add(new Refusal(s.id(), homeProblem));
                continue;
            }
            Path file = s.rolloutPath();
            boolean inArchive = isUnder(file, RolloutFiles.archivedDir(s.codexHome()));
            Path target = inArchive ? RolloutFiles.activeLocation(s.codexHome(), file.getFileName().toString()) : file;
            if (inArchive && Files.exists(target)) {
                refused.add(new Refusal(s.id(), target + " already exists"));
                continue;
            }
            List<String> details = new ArrayList<>();
            if (inArchive) details.add("move " + file + " -> " + target);
            Path stateDb = StateDb.locate(s.codexHome());
            if (s.hasDbRow() && stateDb != null) details.add(stateDb.getFileName() + " threads row: archived 1 -> 0, rollout_path updated");
            planned.add(new Planned(new Change(s.id(), s.codexHome(), "unarchive '" + shortName(s) + "'", details), file,
                    w -> unarchive(w, s.id(), file, target, s.hasDbRow() ? stateDb : null)));
        }
        refused.addAll(selection.notFound());
        return new Plan("unarchive", "Unarchive " + count(planned.size(), "session"), planned, refused, List.of());
    }

    private void unarchive(RepairWork w, String id, Path file, Path target, Path stateDb) throws IOException, SQLException {
        if (!file.equals(target)) w.move(file, target);
        if (stateDb != null) {
            long now = clock.millis();
            w.db(stateDb, ops -> {
                Set<String> cols = StateDb.columns(ops.connection(), "threads");
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("rollout_path", target.toAbsolutePath().toString());
                if (cols.contains("archived")) v.put("archived", 0);
                if (cols.contains("archived_at")) v.put("archived_at", null);
                if (cols.contains("updated_at")) v.put("updated_at", now / 1000);
                if (cols.contains("updated_at_ms")) v.put("updated_at_ms", now);
                if (!ops.update("threads", Map.of("id", id), v)) throw new SQLException("the thread row disappeared meanwhile");
            });
        }
    }
}
