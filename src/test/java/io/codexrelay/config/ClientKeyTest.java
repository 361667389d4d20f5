package io.codexrelay.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 9, faults 6 and 7: a loose or damaged client.key. */
class ClientKeyTest {
    @TempDir Path dir;

    @Test
    void aWorldReadableKeyFileIsTightenedAndKept() throws Exception {
        RelayHome home = new RelayHome(dir.resolve("relay")).ensureExists();
        ClientKey first = ClientKey.loadOrCreate(home);
        Files.setPosixFilePermissions(home.clientKeyFile(), PosixFilePermissions.fromString("rw-r--r--"));
        ClientKey again = ClientKey.loadOrCreate(home);
        assertThat(again.value()).isEqualTo(first.value());
        assertThat(again.replacedDamaged()).isFalse();
        assertThat(Files.getPosixFilePermissions(home.clientKeyFile())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aDamagedKeyFileIsKeptAsideAndTheReplacementIsReported() throws Exception {
        RelayHome home = new RelayHome(dir.resolve("relay")).ensureExists();
        ClientKey.loadOrCreate(home);
        byte[] damaged = {'c', 'r', 'k', '_', 0, (byte) 0xff, 'x'};
        Files.write(home.clientKeyFile(), damaged);
        ClientKey replaced = ClientKey.loadOrCreate(home);
        assertThat(replaced.replacedDamaged()).isTrue();
        assertThat(replaced.damagedCopy()).exists();
        assertThat(Files.readAllBytes(replaced.damagedCopy())).isEqualTo(damaged);
        assertThat(Files.readString(home.clientKeyFile()).trim()).isEqualTo(replaced.value());
        assertThat(ClientKey.loadOrCreate(home).replacedDamaged()).isFalse();
    }
}
