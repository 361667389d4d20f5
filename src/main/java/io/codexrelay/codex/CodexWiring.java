package io.codexrelay.codex;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.codexrelay.config.AtomicFiles;
import io.codexrelay.config.RelayHome;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Switches Codex to the relay and back ({@code codex on|off}) on the files: backup first, atomic write that keeps
 * the file's permissions, read back and checked. What is needed to undo {@code on} exactly is kept per Codex config
 * file in {@code <relay home>/codex-wiring.json}.
 */
public final class CodexWiring {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CodexWiring.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final RelayHome relayHome;
    private final Clock clock;

    public CodexWiring(RelayHome relayHome, Clock clock) {
        this.relayHome = relayHome;
        this.clock = clock;
    }

    /** The result of {@code on} or {@code off}: what was done and what the user should know about it. */
    public record Outcome(Path configFile, boolean changed, boolean created, Path backup, CodexConfigPatch.View view,
                          List<String> notes) {}

    /** What {@code status} shows. {@code view} is null when there is no config.toml. */
    public record Status(Path configFile, boolean fileExists, CodexConfigPatch.View view, boolean remembered,
                         List<Path> backups, CodexHome.SessionCounts sessions) {}

    /** Where backups of Codex's config go (kept apart from backups of the relay's own config.toml). */
    public Path backupDir() { return relayHome.backupsDir().resolve("codex-config"); }

    public Path memoryFile() { return relayHome.dir().resolve("codex-wiring.json"); }

    // ---- on / off --------------------------------------------------------------------------------------------------

    public Outcome on(CodexHome home, CodexConfigPatch.ProviderSpec spec) throws CodexConfigException {
        Path file = home.configFile();
        boolean exists = Files.exists(file);
        String text = exists ? read(file) : "";
        CodexConfigPatch.Memory memory = loadMemory(file);
        CodexConfigPatch.Patched p = CodexConfigPatch.on(text, spec, memory, file.toString());
        Path backup = null;
        if (p.changed()) {
            backup = backup(file);
            saveMemory(file, p.memory());
            write(file, p.text(), !exists);
        }
        CodexConfigPatch.View view = readBack(file, p.text());
        List<String> notes = new ArrayList<>(profileNotes(view));
        // The provider entry holds the client key; a config.toml every local user can read would let them spend the
        // user's quota (issue 9, fault 6). Codex reads this file from every terminal, so it is tightened, not bypassed
        // (docs/design.md, "The client key in Codex's config"). A group-only mode the user chose is left alone.
        String was = tightenConfig(file);
        if (was != null) {
            notes.add(file + " was readable by other users (" + was + ") and holds the relay's client key: its mode is now "
                    + "rw------- (only you). Your settings in it are unchanged" + (backup != null ? "; backup: " + backup : "") + ".");
        }
        if (p.changed()) {
            Map<String, Integer> hidden = home.countSessionsByProvider().otherThan(CodexConfigPatch.PROVIDER_ID);
            if (!hidden.isEmpty()) {
                notes.add(describe(hidden) + " will not show in `codex resume` while Codex points at the relay; "
                        + "`codex-relay sessions retag` can bring them along.");
            }
        }
        return new Outcome(file, p.changed(), p.changed() && !exists, backup, view, notes);
    }

    public Outcome off(CodexHome home, boolean purge) throws CodexConfigException {
        Path file = home.configFile();
        if (!Files.exists(file)) {
            return new Outcome(file, false, false, null, null,
                    List.of("Codex has no config.toml, so it uses its default provider (openai); nothing to change."));
        }
        String text = read(file);
        CodexConfigPatch.Memory memory = loadMemory(file);
        CodexConfigPatch.View before = CodexConfigPatch.inspect(text, file.toString());
        CodexConfigPatch.Patched p = CodexConfigPatch.off(text, memory, purge, file.toString());
        Path backup = null;
        if (p.changed()) {
            backup = backup(file);
            write(file, p.text(), false);
        }
        if (!p.memory().equals(memory)) saveMemory(file, p.memory());
        CodexConfigPatch.View view = readBack(file, p.text());
        List<String> notes = new ArrayList<>();
        if (before.modelProvider() != null && !CodexConfigPatch.PROVIDER_ID.equals(before.modelProvider())) {
            notes.add("model_provider is \"" + before.modelProvider() + "\" (not the relay), so it was left as it is.");
        } else if (CodexConfigPatch.PROVIDER_ID.equals(before.modelProvider()) && !memory.providerSwitched()) {
            notes.add("There was no record of your previous model_provider, so the line was removed and Codex uses its default (openai).");
        }
        notes.addAll(profileNotes(view));
        if (p.changed() && !view.pointsAtRelay()) {
            Integer through = home.countSessionsByProvider().byProvider().get(CodexConfigPatch.PROVIDER_ID);
            if (through != null && through > 0) {
                String what = describe(Map.of(CodexConfigPatch.PROVIDER_ID, through)) + " will not show in `codex resume` while Codex points at '"
                        + view.effectiveProvider() + "'";
                notes.add(what + (view.relayTablePresent()
                        ? "; the relay's provider table stays in config.toml, so `codex resume -c model_provider="
                                + CodexConfigPatch.PROVIDER_ID + " <id>` opens one of them, and `codex-relay sessions retag --from "
                                + CodexConfigPatch.PROVIDER_ID + " --to " + view.effectiveProvider() + "` brings them along for good."
                        : "; `codex-relay sessions retag --from " + CodexConfigPatch.PROVIDER_ID + " --to " + view.effectiveProvider()
                                + "` brings them along (or `codex-relay codex off --keep-table` keeps the relay's provider table, "
                                + "so `codex resume -c model_provider=" + CodexConfigPatch.PROVIDER_ID + " <id>` opens one)."));
            }
        }
        return new Outcome(file, p.changed(), false, backup, view, notes);
    }

    private static String tightenConfig(Path file) throws CodexConfigException {
        try {
            return Files.exists(file) ? RelayHome.tightenIfLoose(file, true) : null;
        } catch (IOException e) {
            throw new CodexConfigException("Could not make " + file + " private (" + e.getMessage() + "); it holds the relay's "
                    + "client key: run chmod 600 " + file, e);
        }
    }

    /**
     * After the client key changed (a damaged {@code client.key} was replaced, issue 9 fault 7): when Codex is wired
     * to the relay with another key, rewrites the relay's provider entry with the new key (backup first, like
     * {@code codex on}). Returns the outcome when something was rewritten, null when Codex was not wired to the
     * relay (then nothing in {@code $CODEX_HOME} is touched) or already had this key.
     */
    public Outcome refreshClientKey(CodexHome home, String clientKey) throws CodexConfigException {
        Path file = home.configFile();
        if (!Files.exists(file)) return null;
        String text = read(file);
        CodexConfigPatch.View view = CodexConfigPatch.inspect(text, file.toString());
        if (!view.pointsAtRelay() || clientKey.equals(view.relayClientKey()) || view.relayBaseUrl() == null) return null;
        Object idle = CodexConfigPatch.parse(text, file.toString()).get(List.of(CodexConfigPatch.TABLE_PATH.get(0),
                CodexConfigPatch.TABLE_PATH.get(1), "stream_idle_timeout_ms"));
        long idleMs = idle instanceof Long l ? l : 300_000L;
        return on(home, new CodexConfigPatch.ProviderSpec(view.relayBaseUrl(), clientKey, idleMs));
    }

    /**
     * The daemon's start hook: when {@code key} replaced a damaged key file, re-wires the Codex home of this session
     * ({@code $CODEX_HOME}, else {@code $HOME/.codex}) so Codex does not get 401 until {@code codex on} is rerun.
     * Failures are logged, never fatal: the relay still serves other tools.
     */
    public static void rewireIfKeyReplaced(RelayHome relayHome, io.codexrelay.config.ClientKey key, Clock clock) {
        if (!key.replacedDamaged()) return;
        Map<String, String> env = System.getenv();
        CodexHome home = CodexHome.locate(null, env, env.getOrDefault("HOME", System.getProperty("user.home")));
        try {
            Outcome o = new CodexWiring(relayHome, clock).refreshClientKey(home, key.value());
            if (o != null) LOG.warn("Codex's {} was wired to the relay with the old client key; it now has the new key (backup: {}).",
                    o.configFile(), o.backup());
            else LOG.warn("Codex's {} is not wired to the relay, so it was left as it is.", home.configFile());
        } catch (CodexConfigException e) {
            LOG.error("The client key changed but Codex's config could not be updated: {} Run `codex-relay codex on`.", e.getMessage());
        }
    }

    public Status status(CodexHome home) throws CodexConfigException {
        Path file = home.configFile();
        boolean exists = Files.exists(file);
        CodexConfigPatch.View view = exists ? CodexConfigPatch.inspect(read(file), file.toString()) : null;
        return new Status(file, exists, view, !loadMemory(file).isEmpty(), backups(), home.countSessionsByProvider());
    }

    /** Backups of Codex's config.toml, newest first. */
    public List<Path> backups() {
        if (!Files.isDirectory(backupDir())) return List.of();
        try (Stream<Path> s = Files.list(backupDir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".bak"))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Warnings about profiles that make Codex bypass (or keep using) the relay regardless of the top-level line. */
    public static List<String> profileNotes(CodexConfigPatch.View view) {
        List<String> notes = new ArrayList<>();
        String active = view.activeProfile();
        view.profileProviders().forEach((profile, provider) -> {
            if (profile.equals(active)) {
                if (!provider.equals(view.modelProvider())) {
                    notes.add("Your default profile '" + profile + "' sets model_provider = \"" + provider
                            + "\", which wins over the top-level line: Codex uses '" + provider + "'. Profiles are left alone; "
                            + "edit [profiles." + profile + "] if you want otherwise.");
                }
            } else {
                notes.add("`codex --profile " + profile + "` uses provider '" + provider + "' (set in [profiles." + profile
                        + "]), not what the top-level model_provider says.");
            }
        });
        return notes;
    }

    static String describe(Map<String, Integer> byProvider) {
        int total = byProvider.values().stream().mapToInt(Integer::intValue).sum();
        String where = byProvider.entrySet().stream()
                .map(e -> (byProvider.size() > 1 ? e.getValue() + " " : "") + "'" + e.getKey() + "'")
                .collect(Collectors.joining(", "));
        return total + (total == 1 ? " session" : " sessions") + " recorded under provider" + (byProvider.size() > 1 ? "s " : " ") + where;
    }

    // ---- files -----------------------------------------------------------------------------------------------------

    private static String read(Path file) throws CodexConfigException {
        try {
            byte[] bytes = Files.readAllBytes(file);
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CodexConfigException(file + ": not UTF-8 text, so it is not valid TOML; the file was not changed.");
        } catch (IOException e) {
            throw new CodexConfigException("Could not read " + file + ": " + e.getMessage(), e);
        }
    }

    private Path backup(Path file) throws CodexConfigException {
        try {
            relayHome.ensureExists();
            Files.createDirectories(backupDir());
            RelayHome.restrictToOwner(backupDir(), true);
            return AtomicFiles.backup(file, backupDir(), clock);
        } catch (IOException e) {
            throw new CodexConfigException("Could not back up " + file + " to " + backupDir() + " (" + e.getMessage()
                    + "); nothing was changed.", e);
        }
    }

    private static void write(Path file, String text, boolean created) throws CodexConfigException {
        try {
            // A new file holds the relay's client key: owner-only. An existing one keeps its permissions.
            AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8), created);
        } catch (IOException e) {
            throw new CodexConfigException("Could not write " + file + ": " + e.getMessage() + " (the original is unchanged).", e);
        }
    }

    private static CodexConfigPatch.View readBack(Path file, String expected) throws CodexConfigException {
        if (!Files.exists(file) && expected.isEmpty()) return CodexConfigPatch.inspect("", file.toString());
        String actual = read(file);
        if (!actual.equals(expected)) {
            throw new CodexConfigException(file + " changed while it was being written (another program edits it?). "
                    + "Run the command again; backups are in the relay's backups/codex-config directory.");
        }
        return CodexConfigPatch.inspect(actual, file.toString());
    }

    // ---- memory ----------------------------------------------------------------------------------------------------

    /** One entry of codex-wiring.json. */
    record MemoryEntry(boolean providerSwitched, String previousStatement, String tableSeparator, boolean addedFinalNewline,
                       String updatedAt) {}

    private static String keyOf(Path configFile) {
        return configFile.toAbsolutePath().normalize().toString();
    }

    CodexConfigPatch.Memory loadMemory(Path configFile) throws CodexConfigException {
        MemoryEntry e = readMemory().get(keyOf(configFile));
        if (e == null) return CodexConfigPatch.Memory.NONE;
        return new CodexConfigPatch.Memory(e.providerSwitched(), e.previousStatement(), e.tableSeparator(), e.addedFinalNewline());
    }

    private Map<String, MemoryEntry> readMemory() throws CodexConfigException {
        Path f = memoryFile();
        if (!Files.exists(f)) return new LinkedHashMap<>();
        try {
            Map<String, MemoryEntry> m = JSON.readValue(f.toFile(),
                    JSON.getTypeFactory().constructMapType(LinkedHashMap.class, String.class, MemoryEntry.class));
            return m == null ? new LinkedHashMap<>() : m;
        } catch (IOException e) {
            throw new CodexConfigException(f + " is damaged (" + e.getMessage() + "). It records your model_provider from before "
                    + "`codex on`; fix or delete it (then `codex off` removes the relay's line instead of restoring yours).", e);
        }
    }

    private void saveMemory(Path configFile, CodexConfigPatch.Memory memory) throws CodexConfigException {
        Map<String, MemoryEntry> all = readMemory();
        if (memory.isEmpty()) all.remove(keyOf(configFile));
        else all.put(keyOf(configFile), new MemoryEntry(memory.providerSwitched(), memory.previousStatement(),
                memory.tableSeparator(), memory.addedFinalNewline(), clock.instant().toString()));
        try {
            relayHome.ensureExists();
            AtomicFiles.write(memoryFile(), JSON.writeValueAsBytes(all), true);
        } catch (IOException e) {
            throw new CodexConfigException("Could not write " + memoryFile() + ": " + e.getMessage() + "; Codex's config was not changed.", e);
        }
    }
}
