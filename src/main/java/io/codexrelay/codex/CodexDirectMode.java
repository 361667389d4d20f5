package io.codexrelay.codex;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.codexrelay.account.CodexAuthExport;
import io.codexrelay.account.CodexAuthFile;
import io.codexrelay.account.Credentials;
import io.codexrelay.config.AtomicFiles;
import io.codexrelay.config.RelayHome;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Direct mode (issue 9): Codex runs with no relay at all. One account's credentials go into Codex's own
 * {@code auth.json} (exactly Codex's format, {@link CodexAuthExport#authJson}) and {@code config.toml} stops pointing at
 * the relay ({@code model_provider} is restored to what it was before {@code codex on}, else removed, so Codex uses its
 * own {@code openai} provider). Used by {@code switch [NAME]} and the tray's Quit dialog.
 *
 * <p>Both files are backed up before anything changes; each write is atomic and read back. {@link #undo} puts both
 * files back byte for byte (a file that did not exist is removed again). What undo needs is kept in
 * {@code codex-direct.json} in the relay's home (no secrets: backup paths and a SHA-256 fingerprint of the refresh
 * token that was handed over).
 *
 * <p>Token refresh stays consistent: Codex refreshes a ChatGPT login on its own and the refresh token rotates, after
 * which the relay's copy is spent. {@link #check} compares the refresh token the relay holds with the one now in
 * {@code auth.json}; {@link Check.State#CODEX_ROTATED} means "re-import these tokens before the relay uses the account
 * again" ({@link Check#codexCredentials()}), never "refresh with the stale token".
 */
public final class CodexDirectMode {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final RelayHome relayHome;
    private final Clock clock;

    public CodexDirectMode(RelayHome relayHome, Clock clock) {
        this.relayHome = relayHome;
        this.clock = clock;
    }

    /** What {@link #apply} did. {@code notes} are for the user (no secrets). Backups are null for files that did not exist. */
    public record Applied(String accountName, Path authFile, Path configFile, Path authBackup, Path configBackup,
                          String effectiveProvider, List<String> notes) {}

    /** What {@link #undo} put back. */
    public record Undone(Path authFile, Path configFile, String accountName) {}

    /** Kept in {@code codex-direct.json}: enough to undo, and to recognise the tokens handed over. */
    record Record(String codexHome, String accountName, boolean authExisted, String authBackup, String authMode,
                  boolean configExisted, String configBackup, String configMode, String refreshTokenSha256, String accountId,
                  String appliedAt) {}

    /** The relay's tokens compared with Codex's {@code auth.json}. */
    public record Check(State state, Credentials codexCredentials) {
        public enum State {
            /** Codex holds the same refresh token the relay holds: nothing to do. */
            SAME,
            /** Codex refreshed the login: the relay's refresh token is spent; re-import {@link #codexCredentials()}. */
            CODEX_ROTATED,
            /** auth.json now holds another login (the user ran {@code codex login}): the relay's copy is left alone. */
            OTHER_LOGIN,
            /** No auth.json, or nothing the relay gave Codex that can rotate (API keys). */
            NOT_APPLICABLE
        }

        public boolean reimportNeeded() { return state == State.CODEX_ROTATED; }
    }

    public Path recordFile() { return relayHome.dir().resolve("codex-direct.json"); }

    public Path backupDir() { return relayHome.backupsDir().resolve("codex-direct"); }

    /** True when direct mode was applied to {@code home} and not undone. */
    public boolean isApplied(CodexHome home) throws CodexConfigException {
        Record r = readRecord();
        return r != null && r.codexHome().equals(key(home));
    }

    /** The account handed to Codex in {@code home}, or null when direct mode is not active there. */
    public String appliedAccount(CodexHome home) throws CodexConfigException {
        Record r = readRecord();
        return r != null && r.codexHome().equals(key(home)) ? r.accountName() : null;
    }

    /**
     * Writes {@code credentials} into {@code home/auth.json} and points {@code home/config.toml} away from the relay.
     * Applying again (another account) keeps the first backups, so {@link #undo} still returns to the state before
     * direct mode was first entered.
     */
    public Applied apply(CodexHome home, String accountName, Credentials credentials) throws CodexConfigException {
        if (credentials == null) throw new CodexConfigException("Account '" + accountName + "' has no credentials to hand to Codex.");
        if (credentials instanceof Credentials.ApiKey k && k.baseUrl() != null
                && !k.baseUrl().replaceAll("/+$", "").equals("https://api.openai.com/v1")) {
            throw new CodexConfigException("Account '" + accountName + "' uses " + k.baseUrl() + "; Codex's own provider only "
                    + "reaches api.openai.com, so this account cannot be used directly. Choose another account.");
        }
        Path auth = home.authFile(), config = home.configFile();
        Record previous = readRecord();
        if (previous != null && !previous.codexHome().equals(key(home))) {
            throw new CodexConfigException("Direct mode is active for " + previous.codexHome() + "; undo it there first.");
        }
        List<String> notes = new ArrayList<>();
        Record rec;
        try {
            Files.createDirectories(home.dir());
            relayHome.ensureExists();
            Files.createDirectories(backupDir());
            RelayHome.restrictToOwner(backupDir(), true);
            if (previous == null) {
                Path authBackup = AtomicFiles.backup(auth, backupDir(), clock);
                Path configBackup = AtomicFiles.backup(config, backupDir(), clock);
                rec = new Record(key(home), accountName, authBackup != null, str(authBackup), mode(auth), configBackup != null,
                        str(configBackup), mode(config), null, null, clock.instant().toString());
            } else {
                rec = previous;
            }
        } catch (IOException e) {
            throw new CodexConfigException("Could not back up Codex's files to " + backupDir() + " (" + e.getMessage()
                    + "); nothing was changed.", e);
        }
        String fingerprint = null, accountId = null;
        if (credentials instanceof Credentials.ChatGptTokens t) {
            fingerprint = sha256(t.refreshToken());
            accountId = t.accountId();
        }
        rec = new Record(rec.codexHome(), accountName, rec.authExisted(), rec.authBackup(), rec.authMode(), rec.configExisted(),
                rec.configBackup(), rec.configMode(), fingerprint, accountId, clock.instant().toString());
        writeRecord(rec); // first: a crash after this point can still be undone

        // config.toml: away from the relay, back to what it was before `codex on` (else Codex's default, openai).
        String effective = CodexConfigPatch.DEFAULT_PROVIDER;
        if (Files.exists(config)) {
            CodexWiring.Outcome off = new CodexWiring(relayHome, clock).off(home, false);
            effective = off.view() == null ? CodexConfigPatch.DEFAULT_PROVIDER : off.view().effectiveProvider();
            if (!CodexConfigPatch.DEFAULT_PROVIDER.equals(effective)) {
                notes.add("Codex's provider is '" + effective + "', which does not read auth.json; run Codex with "
                        + "-c model_provider=openai to use " + accountName + ".");
            }
        }
        // auth.json: Codex's exact format, owner-only, read back.
        try {
            byte[] content = CodexAuthExport.authJson(credentials, clock.instant()).getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(auth, content, true);
            RelayHome.restrictToOwner(auth, false);
            Credentials back = CodexAuthFile.read(home.dir()).credentials();
            if (!sameSecret(credentials, back)) throw new IOException("it did not read back as written");
        } catch (IOException e) {
            try {
                undo(home);
            } catch (CodexConfigException undoFailed) {
                e.addSuppressed(undoFailed);
            }
            throw new CodexConfigException("Could not write " + auth + " (" + e.getMessage() + "); both files were put back.", e);
        }
        notes.add("Codex now uses " + accountName + " directly, without the relay. `codex-relay switch --undo` puts both files back.");
        return new Applied(accountName, auth, config, path(rec.authBackup()), path(rec.configBackup()), effective, notes);
    }

    /** Puts {@code auth.json} and {@code config.toml} back byte for byte as they were before {@link #apply}. */
    public Undone undo(CodexHome home) throws CodexConfigException {
        Record r = readRecord();
        if (r == null || !r.codexHome().equals(key(home))) {
            throw new CodexConfigException("Direct mode is not active for " + home.dir() + "; there is nothing to undo.");
        }
        try {
            restore(home.authFile(), r.authExisted(), path(r.authBackup()), r.authMode());
            restore(home.configFile(), r.configExisted(), path(r.configBackup()), r.configMode());
            Files.deleteIfExists(recordFile());
        } catch (IOException e) {
            throw new CodexConfigException("Could not put Codex's files back (" + e.getMessage() + "). The backups are in "
                    + backupDir() + ": copy auth.json and config.toml from there into " + home.dir() + ".", e);
        }
        return new Undone(home.authFile(), home.configFile(), r.accountName());
    }

    /**
     * Compares the relay's copy of a ChatGPT login ({@code relayCredentials}) with Codex's {@code auth.json}. Call it
     * before the relay refreshes or uses an account it handed to Codex (next start, `switch` back).
     */
    public Check check(CodexHome home, Credentials relayCredentials) throws CodexConfigException {
        if (!(relayCredentials instanceof Credentials.ChatGptTokens mine) || !Files.exists(home.authFile())) {
            return new Check(Check.State.NOT_APPLICABLE, null);
        }
        Credentials theirs;
        try {
            theirs = CodexAuthFile.read(home.dir()).credentials();
        } catch (IOException e) {
            throw new CodexConfigException(e.getMessage(), e);
        }
        if (!(theirs instanceof Credentials.ChatGptTokens t) || !t.accountId().equals(mine.accountId())) {
            return new Check(Check.State.OTHER_LOGIN, null);
        }
        if (t.refreshToken().equals(mine.refreshToken())) return new Check(Check.State.SAME, null);
        return new Check(Check.State.CODEX_ROTATED, t);
    }

    // ---- files -----------------------------------------------------------------------------------------------------

    private static void restore(Path target, boolean existed, Path backup, String mode) throws IOException {
        if (!existed) {
            Files.deleteIfExists(target);
            return;
        }
        byte[] original = Files.readAllBytes(backup);
        AtomicFiles.write(target, original, true);
        if (mode != null) {
            try {
                Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
            } catch (UnsupportedOperationException ignored) {
                // Windows: no POSIX modes to restore.
            }
        }
        if (!Arrays.equals(Files.readAllBytes(target), original)) throw new IOException(target + " did not read back as the backup");
    }

    private Record readRecord() throws CodexConfigException {
        Path f = recordFile();
        if (!Files.exists(f)) return null;
        try {
            return JSON.readValue(f.toFile(), Record.class);
        } catch (IOException e) {
            throw new CodexConfigException(f + " is damaged (" + e.getMessage() + "). It records where the backups of Codex's "
                    + "auth.json and config.toml are (" + backupDir() + "); restore them by hand and delete the file.", e);
        }
    }

    private void writeRecord(Record r) throws CodexConfigException {
        try {
            AtomicFiles.write(recordFile(), JSON.writeValueAsBytes(r), true);
        } catch (IOException e) {
            throw new CodexConfigException("Could not write " + recordFile() + ": " + e.getMessage() + "; nothing was changed.", e);
        }
    }

    private static boolean sameSecret(Credentials a, Credentials b) {
        if (a instanceof Credentials.ChatGptTokens x && b instanceof Credentials.ChatGptTokens y) {
            return x.accessToken().equals(y.accessToken()) && x.refreshToken().equals(y.refreshToken());
        }
        return a instanceof Credentials.ApiKey x && b instanceof Credentials.ApiKey y && x.key().equals(y.key());
    }

    /** The file's POSIX mode ("rw-r--r--"), null when absent or not POSIX. */
    private static String mode(Path p) throws IOException {
        try {
            return Files.exists(p) ? java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) : null;
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    private static String key(CodexHome home) { return home.dir().toAbsolutePath().normalize().toString(); }

    private static String str(Path p) { return p == null ? null : p.toString(); }

    private static Path path(String s) { return s == null ? null : Path.of(s); }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
