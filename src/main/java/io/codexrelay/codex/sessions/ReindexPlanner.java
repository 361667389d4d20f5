package io.codexrelay.codex.sessions;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.codex.sessions.RepairAction.Planned;
import io.codexrelay.codex.sessions.SessionRepairs.Change;
import io.codexrelay.codex.sessions.SessionRepairs.Plan;
import io.codexrelay.codex.sessions.SessionRepairs.Refusal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.codexrelay.codex.sessions.PlannerSupport.count;
import static io.codexrelay.codex.sessions.PlannerSupport.isUnder;
import static io.codexrelay.codex.sessions.PlannerSupport.shortName;

/** Plans a re-index: creates missing thread rows from rollouts, fixes rows whose rollout moved, drops index lines of vanished sessions. */
record ReindexPlanner(RolloutReader reader, ObjectMapper mapper) {
    Plan plan(SessionCatalog.Snapshot snap) {
        List<Planned> planned = new ArrayList<>();
        List<Refusal> refused = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (SessionCatalog.HomeStatus h : snap.homes()) {
            if (!h.exists()) continue;
            if (h.stateDb() == null) {
                notes.add(h.home() + " has no thread database: Codex creates one from the rollout files when it next starts.");
                continue;
            }
            if (h.stateDbProblem() != null) {
                refused.add(new Refusal(null, h.stateDbProblem()));
                continue;
            }
            Set<String> known = new HashSet<>();
            for (SessionRecord s : snap.sessions()) {
                if (!s.codexHome().equals(h.home())) continue;
                known.add(s.id());
                if (s.has(SessionFlag.NO_DB_ROW)) {
                    if (s.has(SessionFlag.COMPRESSED) || s.has(SessionFlag.UNREADABLE_META)) {
                        refused.add(new Refusal(s.id(), "no database row, and its rollout cannot be read to make one"
                                + (s.has(SessionFlag.COMPRESSED) ? " (compressed)" : " (first line unreadable)")));
                        continue;
                    }
                    Path file = s.rolloutPath();
                    boolean archived = isUnder(file, RolloutFiles.archivedDir(h.home()));
                    planned.add(new Planned(new Change(s.id(), h.home(), "add the missing database row for '" + shortName(s) + "'",
                            List.of(h.stateDb().getFileName() + ": insert threads row from " + file)), file,
                            w -> insertRow(w, h.home(), h.stateDb(), s.id(), file, archived)));
                } else if (s.has(SessionFlag.ROLLOUT_MOVED) || s.has(SessionFlag.ARCHIVE_MISMATCH)) {
                    Path file = s.rolloutPath();
                    boolean archived = isUnder(file, RolloutFiles.archivedDir(h.home()));
                    List<String> details = new ArrayList<>();
                    if (s.has(SessionFlag.ROLLOUT_MOVED)) details.add("threads.rollout_path -> " + file);
                    if (s.has(SessionFlag.ARCHIVE_MISMATCH)) {
                        details.add("threads.archived -> " + (archived ? "1 (the file is in archived_sessions)" : "0 (the file is in sessions)"));
                    }
                    planned.add(new Planned(new Change(s.id(), h.home(), "point the database row of '" + shortName(s)
                            + "' at its rollout", details), file, w -> fixRow(w, h.stateDb(), s.id(), file, archived)));
                }
            }
            try {
                SessionIndex index = SessionIndex.read(h.home(), mapper);
                List<SessionIndex.Line> stale = index.lines().stream()
                        .filter(l -> l.id() != null && !known.contains(l.id())).toList();
                if (!stale.isEmpty()) {
                    List<String> details = stale.stream().map(l -> "line " + l.number() + ": " + l.id()
                            + (l.name() == null ? "" : " '" + l.name() + "'")).toList();
                    planned.add(new Planned(new Change(null, h.home(), "drop " + count(stale.size(), "line")
                            + " of " + SessionIndex.FILE + " naming sessions that no longer exist",
                            details), null, w -> dropIndexLines(w, h.home(), stale)));
                }
            } catch (IOException e) {
                refused.add(new Refusal(null, "could not read " + SessionIndex.file(h.home()) + ": " + e.getMessage()));
            }
        }
        for (SessionRecord s : snap.sessions()) {
            if (s.has(SessionFlag.NO_ROLLOUT)) {
                notes.add(s.id() + ": the database row points at " + s.rolloutPath()
                        + ", which is gone; left as it is (restore the file from a backup to resume it).");
            }
        }
        return new Plan("reindex", "Re-index: " + count(planned.size(), "change"), planned, refused, notes);
    }

    private static final java.util.regex.Pattern FILE_TIME =
            java.util.regex.Pattern.compile("^rollout-(\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2})-");

    /**
     * {@code created_at} as Codex writes it: the rollout file name's time (UTC, whole seconds; taken when the file was
     * made, a moment before {@code session_meta}'s timestamp, so the two can fall in different seconds), else the
     * session_meta time. Codex reads the file name the same way when it rebuilds its own index.
     */
    static long createdSeconds(Path file, long createdMs) {
        var m = FILE_TIME.matcher(file.getFileName().toString());
        if (m.find()) {
            try {
                long named = java.time.LocalDateTime.parse(m.group(1), java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss"))
                        .toEpochSecond(java.time.ZoneOffset.UTC);
                // only when it is that moment (a file renamed by hand, or named in another zone, is not)
                if (named <= createdMs / 1000 && createdMs / 1000 - named <= 5) return named;
            } catch (java.time.format.DateTimeParseException ignored) {
                // not Codex's name: the session_meta time below
            }
        }
        return createdMs / 1000;
    }

    void insertRow(RepairWork w, Path home, Path stateDb, String id, Path file, boolean archived) throws IOException, SQLException {
        RolloutSummary s = reader.summarize(file);
        if (!s.identified() || !id.equals(s.id())) throw new IOException("the rollout's session_meta does not carry id " + id);
        long mtime = Files.getLastModifiedTime(file).toMillis();
        long created = s.createdAt() != null ? s.createdAt().toEpochMilli() : mtime;
        long updated = s.lastActivity() != null ? s.lastActivity().toEpochMilli() : mtime;
        String first = s.firstUserMessage() == null ? "" : s.firstUserMessage();
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", id);
        v.put("rollout_path", file.toAbsolutePath().toString());
        v.put("created_at", createdSeconds(file, created));
        v.put("updated_at", updated / 1000);
        v.put("created_at_ms", created);
        v.put("updated_at_ms", updated);
        v.put("recency_at", updated / 1000);
        v.put("recency_at_ms", updated);
        v.put("source", s.source() == null ? "cli" : s.source());
        v.put("model_provider", s.modelProvider() == null ? CodexProviders.DEFAULT : s.modelProvider());
        v.put("cwd", s.cwd() == null ? "" : s.cwd());
        v.put("title", first);
        v.put("preview", first);
        v.put("first_user_message", first);
        v.put("sandbox_policy", s.sandboxPolicy() == null ? "{\"type\":\"read-only\"}" : s.sandboxPolicy());
        v.put("approval_mode", s.approvalPolicy() == null ? "on-request" : s.approvalPolicy());
        v.put("tokens_used", s.tokensUsed());
        v.put("archived", archived ? 1 : 0);
        if (archived) v.put("archived_at", mtime / 1000);
        if (s.gitSha() != null) v.put("git_sha", s.gitSha());
        if (s.gitBranch() != null) v.put("git_branch", s.gitBranch());
        if (s.gitOrigin() != null) v.put("git_origin_url", s.gitOrigin());
        if (s.cliVersion() != null) v.put("cli_version", s.cliVersion());
        if (s.model() != null) v.put("model", s.model());
        if (s.reasoningEffort() != null) v.put("reasoning_effort", s.reasoningEffort());
        if (s.originator() != null) v.put("originator", s.originator());
        if (s.threadSource() != null) v.put("thread_source", s.threadSource());
        String name = SessionIndex.read(home, mapper).names().get(id);
        if (name != null) v.put("name", name);
        Path history = StateDb.locateHistory(home);
        if (history != null && hasProjection(history, id)) v.put("history_mode", "paginated");
        w.db(stateDb, ops -> {
            Set<String> cols = StateDb.columns(ops.connection(), "threads");
            v.keySet().retainAll(cols);
            for (String required : StateDb.requiredColumns(ops.connection(), "threads")) {
                if (!v.containsKey(required)) {
                    throw new SQLException("this Codex version's threads table needs column '" + required
                            + "', which cannot be filled from the rollout; start Codex once and it repairs the row itself");
                }
            }
            ops.insert("threads", Map.of("id", id), v);
        });
    }

    private static boolean hasProjection(Path history, String id) {
        try (Connection c = StateDb.openReadOnly(history)) {
            if (!StateDb.columns(c, "thread_history_projection_state").contains("thread_id")) return false;
            return !StateDb.rowsWhere(c, "thread_history_projection_state", "thread_id", id).isEmpty();
        } catch (SQLException e) {
            return false;
        }
    }

    private void fixRow(RepairWork w, Path stateDb, String id, Path file, boolean archived) throws IOException, SQLException {
        long mtime = Files.getLastModifiedTime(file).toMillis();
        w.db(stateDb, ops -> {
            Set<String> cols = StateDb.columns(ops.connection(), "threads");
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("rollout_path", file.toAbsolutePath().toString());
            if (cols.contains("archived")) v.put("archived", archived ? 1 : 0);
            if (cols.contains("archived_at")) {
                Map<String, Object> cur = StepReverter.select(ops.connection(), "threads", Map.of("id", id), List.of("archived", "archived_at"));
                boolean wasArchived = cur != null && cur.get("archived") instanceof Number n && n.longValue() != 0;
                if (archived && !wasArchived) v.put("archived_at", mtime / 1000);
                if (!archived) v.put("archived_at", null);
            }
            if (!ops.update("threads", Map.of("id", id), v)) throw new SQLException("the thread row disappeared meanwhile");
        });
    }

    private void dropIndexLines(RepairWork w, Path home, List<SessionIndex.Line> stale) throws IOException {
        SessionIndex index = SessionIndex.read(home, mapper);
        List<SessionIndex.Line> current = index.lines().stream()
                .filter(l -> stale.stream().anyMatch(s -> s.number() == l.number() && s.raw().equals(l.raw()))).toList();
        if (current.size() != stale.size()) throw new IOException(SessionIndex.FILE + " changed since the dry run; run the repair again");
        w.removeIndexLines(SessionIndex.file(home), index, current);
    }
}
