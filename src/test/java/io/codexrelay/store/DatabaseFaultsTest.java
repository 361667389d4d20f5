package io.codexrelay.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 9, faults 6 and 7: what the user is told and what is left when relay.db is loose, empty or damaged. */
class DatabaseFaultsTest {
    @TempDir Path dir;

    private Path filled() throws Exception {
        Path file = dir.resolve("relay.db");
        try (Database db = new Database(file)) {
            db.withConnection(c -> {
                try (var st = c.createStatement()) {
                    st.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)");
                    for (int i = 0; i < 400; i++) st.execute("INSERT INTO filler (body) VALUES ('" + "row".repeat(100) + i + "')");
                    st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
                }
                return null;
            });
        }
        return file;
    }

    @Test
    void aWorldReadableDatabaseIsTightenedAndTheUserIsTold() throws Exception {
        Path file = filled();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        try (Database db = new Database(file)) {
            assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(db.notices()).singleElement().asString().contains("rw-r--r--", "rw-------");
        }
    }

    @Test
    void anEmptyDatabaseFileIsKeptAsideAndTheUserIsTold() throws Exception {
        Path file = dir.resolve("relay.db");
        Files.createFile(file);
        try (Database db = new Database(file)) {
            assertThat(db.notices()).singleElement().asString().contains("was empty (0 bytes)", "no accounts", "accounts add");
            int version = db.withConnection(c -> c.createStatement().executeQuery("PRAGMA user_version").getInt(1));
            assertThat(version).isPositive();
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("relay.db.empty-"));
        }
        assertThat(Files.size(file)).isPositive();
    }

    @Test
    void aCorruptPageGetsTheSameMoveAsideHelpAsABadHeader() throws Exception {
        Path file = filled();
        long size = Files.size(file);
        assertThat(size).isGreaterThan(8 * 4096);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] junk = new byte[4096];
            Arrays.fill(junk, (byte) 0x5a);
            raf.seek(size - 3 * 4096); // a leaf page of the filler table, not the header
            raf.write(junk);
        }
        assertThatThrownBy(() -> new Database(file)).isInstanceOf(StoreException.class)
                .hasMessageContaining("move it aside").hasMessageContaining(file + ".damaged");

        Path header = filled2();
        try (RandomAccessFile raf = new RandomAccessFile(header.toFile(), "rw")) {
            raf.write("this is not a database at all".getBytes());
        }
        assertThatThrownBy(() -> new Database(header)).isInstanceOf(StoreException.class)
                .hasMessageContaining("move it aside");
    }

    private Path filled2() throws Exception {
        Path other = Files.createDirectories(dir.resolve("second"));
        Path file = other.resolve("relay.db");
        try (Database db = new Database(file)) {
            db.withConnection(c -> c.createStatement().execute("PRAGMA wal_checkpoint(TRUNCATE)"));
        }
        return file;
    }
}
