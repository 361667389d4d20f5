package io.codexrelay.codex.sessions;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Row changes inside one transaction, each recorded with what is needed to revert it. */
final class RowChanges {
    private final Connection c;
    private final List<Journal.RowOp> ops = new ArrayList<>();

    RowChanges(Connection c) { this.c = c; }

    /** The connection, for reading the schema inside the same transaction. */
    Connection connection() { return c; }

    List<Journal.RowOp> recorded() { return List.copyOf(ops); }

    boolean update(String table, Map<String, Object> key, Map<String, Object> values) throws SQLException {
        Map<String, Object> before = StepReverter.select(c, table, key, values.keySet());
        if (before == null) return false;
        if (StateDb.update(c, table, key, values) != 1) throw new SQLException("expected to change one " + table + " row");
        ops.add(new Journal.RowUpdate(table, RepairJournal.encode(key), RepairJournal.encode(before),
                RepairJournal.encode(new LinkedHashMap<>(values))));
        return true;
    }

    void insert(String table, Map<String, Object> key, Map<String, Object> row) throws SQLException {
        StateDb.insert(c, table, row);
        ops.add(new Journal.RowInsert(table, RepairJournal.encode(key), RepairJournal.encode(row)));
    }

    void shift(String table, String column, String keyColumn, Object keyValue, long min, long delta) throws SQLException {
        StepReverter.shift(c, table, column, keyColumn, keyValue, min, delta);
        ops.add(new Journal.OffsetShift(table, column, keyColumn, keyValue, min, delta));
    }

    private record FoundRow(String table, Map<String, Object> key, Map<String, Object> row) {}

    /**
     * Saves then deletes every row carrying the thread id (the {@code threads} row last, so it comes back first).
     * All rows are read before any is deleted, so rows removed by Codex's own triggers are saved too.
     */
    void deleteThread(String id, boolean withThreadsTable) throws SQLException {
        List<FoundRow> found = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String table : StateDb.tables(c)) {
            if (table.equals("threads")) continue;
            List<String> pk = StateDb.primaryKey(c, table);
            for (String col : StateDb.threadIdColumns(c, table)) {
                for (Map<String, Object> row : StateDb.rowsWhere(c, table, col, id)) {
                    Map<String, Object> key = new LinkedHashMap<>();
                    for (String k : pk.isEmpty() ? row.keySet() : pk) key.put(k, row.get(k));
                    if (seen.add(table + key)) found.add(new FoundRow(table, key, row));
                }
            }
        }
        if (withThreadsTable && StateDb.columns(c, "threads").contains("id")) {
            for (Map<String, Object> row : StateDb.rowsWhere(c, "threads", "id", id)) {
                found.add(new FoundRow("threads", Map.of("id", id), row));
            }
        }
        for (FoundRow f : found) {
            StepReverter.deleteByKey(c, f.table(), f.key());
            ops.add(new Journal.RowDelete(f.table(), RepairJournal.encode(f.key()), RepairJournal.encode(f.row())));
        }
    }
}
