package io.codexrelay.codex.sessions;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.List;
import java.util.Map;

/**
 * The records of the undo journal ({@code ~/.codex-relay/backups/sessions/<entry>/journal.json}). Each entry lists,
 * per session, the steps that were done, with what is needed to revert them: backups of rewritten files, old column
 * values, whole rows that were deleted. Row values are JSON scalars; blobs are stored as {@code {"$blob": base64}}.
 */
public final class Journal {
    private Journal() {}

    public static final int FORMAT = 1;

    /** One repair. {@code state}: applying, applied, undone. */
    public record Entry(int format, String id, String operation, String summary, String createdAt, String state,
                        List<SessionChange> changes, String revertsEntry) {
        public Entry withState(String s) {
            return new Entry(format, id, operation, summary, createdAt, s, changes, revertsEntry);
        }

        public Entry withChanges(List<SessionChange> c) {
            return new Entry(format, id, operation, summary, createdAt, state, c, revertsEntry);
        }
    }

    /** The steps done for one session (or, with a null session, for the home as a whole). state: applied, reverted, purged. */
    public record SessionChange(String sessionId, String codexHome, String description, List<Step> steps, String state) {
        public SessionChange withState(String s) { return new SessionChange(sessionId, codexHome, description, steps, s); }

        public SessionChange withSteps(List<Step> st) { return new SessionChange(sessionId, codexHome, description, st, state); }
    }

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = FileRewrite.class, name = "file-rewrite"),
            @JsonSubTypes.Type(value = IndexEdit.class, name = "index-edit"),
            @JsonSubTypes.Type(value = FileMove.class, name = "file-move"),
            @JsonSubTypes.Type(value = FileCopy.class, name = "file-copy"),
            @JsonSubTypes.Type(value = DbBatch.class, name = "db"),
    })
    public sealed interface Step permits FileRewrite, IndexEdit, FileMove, FileCopy, DbBatch {}

    /**
     * A file rewritten in place (atomic replace, mtime kept). {@code backup} holds the old bytes. When the file changed
     * again later only after its first line (Codex appended to it), the first line alone can still be put back:
     * {@code firstLineShaAfter} identifies the line written by the repair.
     */
    public record FileRewrite(String path, String backup, String shaBefore, String shaAfter, long mtimeBefore,
                              String firstLineShaAfter) implements Step {}

    /** {@code session_index.jsonl} with some lines removed; {@code removed} lets them be put back at their places. */
    public record IndexEdit(String path, String backup, String shaBefore, String shaAfter, List<IndexLine> removed) implements Step {}

    public record IndexLine(int number, String raw) {}

    /** A file moved (rename); {@code sha} identifies its content. */
    public record FileMove(String from, String to, String sha) implements Step {}

    /**
     * A file copied to a place where nothing was ({@code sessions copy}); {@code sha} identifies the copy's content.
     * Undone by removing the copy, and only while it still has that content: the original stays where it was.
     */
    public record FileCopy(String from, String to, String sha) implements Step {}

    /** Row changes in one SQLite database, done in one transaction. */
    public record DbBatch(String db, List<RowOp> ops) implements Step {}

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "op")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = RowUpdate.class, name = "update"),
            @JsonSubTypes.Type(value = RowInsert.class, name = "insert"),
            @JsonSubTypes.Type(value = RowDelete.class, name = "delete"),
            @JsonSubTypes.Type(value = OffsetShift.class, name = "offset-shift"),
    })
    public sealed interface RowOp permits RowUpdate, RowInsert, RowDelete, OffsetShift {}

    /** Columns of the row identified by {@code key} changed from {@code before} to {@code after}. */
    public record RowUpdate(String table, Map<String, Object> key, Map<String, Object> before,
                            Map<String, Object> after) implements RowOp {}

    public record RowInsert(String table, Map<String, Object> key, Map<String, Object> row) implements RowOp {}

    public record RowDelete(String table, Map<String, Object> key, Map<String, Object> row) implements RowOp {}

    /**
     * {@code column += delta} for the rows where {@code keyColumn = keyValue} and {@code column >= min}: byte offsets
     * into a rollout that moved because its first line changed length.
     */
    public record OffsetShift(String table, String column, String keyColumn, Object keyValue, long min, long delta) implements RowOp {}
}
