package io.codexrelay.codex.sessions;

import io.codexrelay.codex.sessions.RepairAction.Planned;
import io.codexrelay.codex.sessions.SessionRepairs.Change;
import io.codexrelay.codex.sessions.SessionRepairs.Plan;
import io.codexrelay.codex.sessions.SessionRepairs.Refusal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.codexrelay.codex.sessions.PlannerSupport.count;
import static io.codexrelay.codex.sessions.PlannerSupport.firstLineOf;
import static io.codexrelay.codex.sessions.PlannerSupport.homeProblem;
import static io.codexrelay.codex.sessions.PlannerSupport.select;
import static io.codexrelay.codex.sessions.PlannerSupport.shortName;

/**
 * Plans moving sessions to another provider: {@code model_provider} in the thread row and in the rollout's
 * session_meta line, nothing else (plus the history projection's byte offsets, which follow the first line's length).
 */
record RetagPlanner(SessionMetaEditor editor) {
    /** Columns of the history database that hold byte offsets into a rollout file. */
    private static final String[][] OFFSET_COLUMNS = {
            {"thread_turns", "rollout_byte_offset"},
            {"thread_turns", "rollout_end_byte_offset"},
            {"thread_history_projection_state", "next_rollout_byte_offset"},
    };

    /** Sessions recorded under {@code from} (null = any), limited to {@code ids} when given, move to {@code to}. */
    Plan plan(SessionCatalog.Snapshot snap, String from, String to, Set<String> ids) {
        List<Planned> planned = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (to == null || to.isBlank() || to.contains("\"") || to.contains("\n")) {
            refused.add(new Refusal(null, "the target provider id is empty or not a plain name"));
            return new Plan("retag", "Move sessions to another provider", planned, refused, notes);
        }
        boolean chosen = ids != null;   // sessions named one by one are refused aloud; a whole provider's are filtered
        PlannerSupport.Selection selection = select(snap, ids, false);
        for (SessionRecord s : selection.sessions()) {
            if (from != null && !from.equals(s.modelProvider())) {
                if (chosen) refused.add(new Refusal(s.id(), "it is recorded under provider '" + s.modelProvider() + "', not '" + from + "'"));
                continue;
            }
            if (to.equals(s.modelProvider()) && !s.has(SessionFlag.PROVIDER_MISMATCH)) {
                if (chosen) refused.add(new Refusal(s.id(), "it is already recorded under '" + to + "'"));
                continue;
            }
            String homeProblem = homeProblem(snap, s.codexHome());
            if (homeProblem != null) {
                refused.add(new Refusal(s.id(), homeProblem));
                continue;
            }
            List<String> details = new ArrayList<>();
            Path rollout = null;
            long oldFirstLine = 0, delta = 0;
            if (s.hasRollout() && !s.has(SessionFlag.COMPRESSED)) {
                if (s.has(SessionFlag.UNREADABLE_META)) {
                    refused.add(new Refusal(s.id(), "the first line of its rollout file is not a readable session_meta record; "
                            + "fix or trash the file first (" + s.rolloutPath() + ")"));
                    continue;
                }
                try {
                    byte[] line = firstLineOf(s.rolloutPath());
                    byte[] edited = editor.withProvider(line, to);
                    rollout = s.rolloutPath();
                    oldFirstLine = line.length + 1L;
                    delta = edited.length - line.length;
                    details.add("rollout " + rollout + ": session_meta model_provider '" + editor.providerOf(line) + "' -> '" + to + "'");
                } catch (IOException e) {
                    refused.add(new Refusal(s.id(), "the provider cannot be set in its rollout file (" + e.getMessage()
                            + "); " + s.rolloutPath()));
                    continue;
                }
            } else if (s.has(SessionFlag.COMPRESSED)) {
                details.add("rollout " + s.rolloutPath() + " is compressed: left as it is (Codex resumes by the database row)");
            }
            Path stateDb = StateDb.locate(s.codexHome());
            if (s.hasDbRow() && stateDb != null) {
                details.add(stateDb.getFileName() + " threads row: model_provider '" + s.modelProvider() + "' -> '" + to + "'");
            } else {
                details.add("no thread database row: run `codex-relay sessions reindex` so Codex lists it");
            }
            Path history = StateDb.locateHistory(s.codexHome());
            if (delta != 0 && history != null) {
                details.add(history.getFileName() + ": this thread's byte offsets into the rollout shifted by "
                        + (delta > 0 ? "+" : "") + delta + " (the first line changed length)");
            }
            if (rollout == null && !s.hasDbRow()) {
                refused.add(new Refusal(s.id(), "it has neither a readable rollout file nor a database row"));
                continue;
            }
            final Path r = rollout;
            final long min = oldFirstLine, d = delta;
            final boolean row = s.hasDbRow() && stateDb != null;
            planned.add(new Planned(new Change(s.id(), s.codexHome(), "move '" + shortName(s) + "' from provider '"
                    + s.modelProvider() + "' to '" + to + "'", details), s.rolloutPath(),
                    w -> retag(w, s.id(), r, row ? stateDb : null, d != 0 ? history : null, to, min, d)));
        }
        refused.addAll(selection.notFound());
        Set<Path> homes = new LinkedHashSet<>();
        for (Planned p : planned) homes.add(p.change().codexHome());
        for (Path h : homes) {
            CodexProviders providers = CodexProviders.read(h);
            if (!providers.isConfigured(to)) {
                notes.add("'" + to + "' is not defined in " + h.resolve("config.toml") + ": Codex cannot resume these sessions "
                        + "until it is (`codex-relay codex on` defines the relay's provider).");
            }
        }
        String summary = "Move " + count(planned.size(), "session")
                + (from == null ? "" : " from provider '" + from + "'") + " to '" + to + "'";
        return new Plan("retag", summary, planned, refused, notes);
    }

    private void retag(RepairWork w, String id, Path rollout, Path stateDb, Path history, String to, long min, long delta)
            throws IOException, SQLException {
        if (rollout != null) {
            byte[] bytes = Files.readAllBytes(rollout);
            byte[] line = SessionMetaEditor.firstLine(bytes);
            byte[] edited = editor.withProvider(line, to);
            if (line.length + 1L != min || edited.length - line.length != delta) {
                throw new IOException("the rollout changed since the dry run; run the repair again");
            }
            w.rewrite(rollout, SessionMetaEditor.replaceFirstLine(bytes, edited), StepReverter.sha(edited));
        }
        if (stateDb != null) {
            w.db(stateDb, ops -> {
                if (!ops.update("threads", Map.of("id", id), Map.of("model_provider", to))) {
                    throw new SQLException("the thread row disappeared meanwhile");
                }
            });
        }
        if (history != null && delta != 0) {
            w.db(history, ops -> {
                for (String[] tc : OFFSET_COLUMNS) {
                    Set<String> cols = StateDb.columns(ops.connection(), tc[0]);
                    if (cols.contains(tc[1]) && cols.contains("thread_id")) ops.shift(tc[0], tc[1], "thread_id", id, min, delta);
                }
            });
        }
    }
}
