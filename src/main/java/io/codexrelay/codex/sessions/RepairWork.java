package io.codexrelay.codex.sessions;

import io.codexrelay.config.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The work of one session's change: every step done is recorded (with what is needed to revert it), and
 * {@link #rollback} reverts them all when a later step fails.
 */
final class RepairWork {
    @FunctionalInterface
    interface DbBody {
        void run(RowChanges ops) throws SQLException, IOException;
    }

    private final RepairJournal journal;
    private final StepReverter reverter;
    private final String entryId;
    private final Set<Path> snapshotted;
    private final List<Journal.Step> steps = new ArrayList<>();
    private final List<String> touched = new ArrayList<>();

    /** {@code snapshotted}: the databases already copied into this journal entry (shared by all changes of one repair). */
    RepairWork(RepairJournal journal, StepReverter reverter, String entryId, Set<Path> snapshotted) {
        this.journal = journal;
        this.reverter = reverter;
        this.entryId = entryId;
        this.snapshotted = snapshotted;
    }

    String entryId() { return entryId; }

    List<Journal.Step> steps() { return List.copyOf(steps); }

    /** Files that were rewritten or moved. */
    List<String> touched() { return List.copyOf(touched); }

    /** Replaces a file's bytes atomically after backing it up; the mtime is kept (a repair is not new activity). */
    void rewrite(Path file, byte[] content, String firstLineShaAfter) throws IOException {
        byte[] before = Files.readAllBytes(file);
        FileTime mtime = Files.getLastModifiedTime(file);
        Path backup = journal.backup(entryId, file);
        AtomicFiles.write(file, content, false);
        Files.setLastModifiedTime(file, mtime);
        byte[] check = Files.readAllBytes(file);
        steps.add(new Journal.FileRewrite(file.toString(), backup.toString(), StepReverter.sha(before),
                StepReverter.sha(content), mtime.toMillis(), firstLineShaAfter));
        touched.add(file.toString());
        if (!Arrays.equals(check, content)) throw new IOException("re-reading " + file + " after writing it gave other bytes");
    }

    /** Removes {@code lines} (read from {@code index}) from the name index file, keeping them in the journal. */
    void removeIndexLines(Path file, SessionIndex index, List<SessionIndex.Line> lines) throws IOException {
        Set<Integer> numbers = new HashSet<>();
        List<Journal.IndexLine> removed = new ArrayList<>();
        for (SessionIndex.Line l : lines) {
            numbers.add(l.number());
            removed.add(new Journal.IndexLine(l.number(), l.raw()));
        }
        byte[] before = Files.readAllBytes(file);
        Path backup = journal.backup(entryId, file);
        byte[] content = index.textWithout(numbers).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, content, false);
        steps.add(new Journal.IndexEdit(file.toString(), backup.toString(), StepReverter.sha(before),
                StepReverter.sha(content), removed));
        touched.add(file.toString());
    }

    void move(Path from, Path to) throws IOException {
        String sha = StepReverter.sha(Files.readAllBytes(from));
        StepReverter.move(from, to);
        steps.add(new Journal.FileMove(from.toString(), to.toString(), sha));
        touched.add(from.toString());
        touched.add(to.toString());
    }

    /** Copies {@code from} to {@code to} (which must not exist), whole or not at all, keeping its mtime. */
    void copy(Path from, Path to) throws IOException {
        byte[] bytes = Files.readAllBytes(from);
        String sha = StepReverter.sha(bytes);
        StepReverter.copy(from, to);
        steps.add(new Journal.FileCopy(from.toString(), to.toString(), sha));
        touched.add(to.toString());
        if (!StepReverter.sha(Files.readAllBytes(to)).equals(sha)) {
            throw new IOException("re-reading " + to + " after copying " + from + " gave other bytes (was the session being written?)");
        }
    }

    /** Runs {@code body} in one transaction on {@code db}, after the database's first snapshot in this repair. */
    void db(Path db, DbBody body) throws SQLException, IOException {
        if (snapshotted.add(db)) journal.snapshotDatabase(entryId, db);
        try (Connection c = StateDb.openForRepair(db, true)) {
            c.setAutoCommit(false);
            RowChanges ops = new RowChanges(c);
            try {
                body.run(ops);
                c.commit();
            } catch (SQLException | IOException | RuntimeException e) {
                c.rollback();
                throw e;
            }
            steps.add(new Journal.DbBatch(db.toString(), ops.recorded()));
        }
    }

    /** Reverts what was done; returns what could not be reverted. */
    List<String> rollback() {
        List<String> left = new ArrayList<>();
        for (int i = steps.size() - 1; i >= 0; i--) {
            try {
                reverter.revert(steps.get(i));
            } catch (IOException | SQLException | RuntimeException e) {
                left.add(e.getMessage());
            }
        }
        return left;
    }
}
