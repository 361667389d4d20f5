package io.codexrelay.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/** The relay's own directory (default {@code ~/.codex-relay}, override {@code CODEX_RELAY_HOME}) and the paths in it. */
public final class RelayHome {
    private final Path dir;

    public RelayHome(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** Resolves the home from the environment: {@code CODEX_RELAY_HOME}, else {@code ~/.codex-relay}. */
    public static RelayHome fromEnvironment(Map<String, String> env) {
        String override = env.get("CODEX_RELAY_HOME");
        if (override != null && !override.isBlank()) {
            return new RelayHome(Path.of(override));
        }
        return new RelayHome(Path.of(System.getProperty("user.home"), ".codex-relay"));
    }

    public Path dir() { return dir; }
    public Path configFile() { return dir.resolve("config.toml"); }
    public Path database() { return dir.resolve("relay.db"); }
    public Path logsDir() { return dir.resolve("logs"); }
    public Path backupsDir() { return dir.resolve("backups"); }
    public Path trashDir() { return dir.resolve("trash"); }
    public Path lockFile() { return dir.resolve("daemon.lock"); }
    /** Written by a running daemon: its pid, admin port and admin token (mode 0600). */
    public Path adminFile() { return dir.resolve("admin.json"); }
    /** The local client key Codex must send (written into Codex's provider entry by {@code codex on}). */
    public Path clientKeyFile() { return dir.resolve("client.key"); }

    /** Creates the home and its sub-directories, owner-only where the platform allows. */
    public RelayHome ensureExists() throws IOException {
        for (Path p : new Path[] {dir, logsDir(), backupsDir()}) {
            Files.createDirectories(p);
            restrictToOwner(p, true);
        }
        return this;
    }

    /**
     * Tightens a file that holds secrets back to owner-only when others may read or write it (issue 9, fault 6: a
     * {@code relay.db} or {@code client.key} restored from a backup or copied by hand arrives as 0644).
     * Returns the mode it had, e.g. "rw-r--r--", when it was changed, else null.
     */
    public static String tightenIfLoose(Path file) throws IOException {
        return tightenIfLoose(file, false);
    }

    /**
     * As {@link #tightenIfLoose(Path)}; with {@code worldOnly} only a file every local user may read or write is
     * tightened (for a file that is the user's own, such as Codex's config.toml, where a group the user chose stays).
     */
    public static String tightenIfLoose(Path file, boolean worldOnly) throws IOException {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            Set<PosixFilePermission> others = worldOnly
                    ? Set.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE)
                    : Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
                            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
            if (perms.stream().noneMatch(others::contains)) return null;
            restrictToOwner(file, false);
            return PosixFilePermissions.toString(perms);
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    /** chmod 0600 for files, 0700 for directories; silently skipped on non-POSIX file systems. */
    public static void restrictToOwner(Path p, boolean directory) throws IOException {
        try {
            Set<PosixFilePermission> perms = PosixFilePermissions.fromString(directory ? "rwx------" : "rw-------");
            Files.setPosixFilePermissions(p, perms);
        } catch (UnsupportedOperationException ignored) {
            // Windows: the user profile is already private.
        }
    }
}
