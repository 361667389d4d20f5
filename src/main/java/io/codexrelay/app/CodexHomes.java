package io.codexrelay.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.codex.CodexConfigException;
import io.codexrelay.codex.CodexHome;
import io.codexrelay.codex.CodexWiring;
import io.codexrelay.config.AtomicFiles;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.config.RelayHome;
import io.codexrelay.proxy.ClientKeys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The named Codex homes the relay knows ({@code homes create|list|bind|remove}), kept in {@code homes.json} in the relay
 * home (mode 0600: it holds each home's client key). Each home is wired to the relay like {@code ~/.codex}
 * ({@link CodexWiring}, a backup first) but with its own client key, which the relay maps to the home's account
 * ({@link ClientKeys}): the user's other files are never touched, and removing a home never deletes its sessions.
 */
final class CodexHomes {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Files of a source home worth copying into a new one; its sessions, logs, state and login stay where they are. */
    private static final List<String> COPIED = List.of("config.toml", "AGENTS.md", "instructions.md", "prompts");

    /** One stored home. */
    record Entry(String name, Path dir, String account, boolean strict, String clientKey) {}

    private final RelayHome relayHome;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();

    CodexHomes(RelayHome relayHome, Clock clock) {
        this.relayHome = relayHome;
        this.clock = clock;
    }

    Path file() { return relayHome.dir().resolve("homes.json"); }

    List<Entry> entries() throws ControlException {
        Path f = file();
        if (!Files.exists(f)) return List.of();
        try {
            List<Entry> out = new ArrayList<>();
            for (JsonNode n : json.readTree(f.toFile()).path("homes")) {
                out.add(new Entry(n.path("name").asText(), Path.of(n.path("dir").asText()),
                        n.hasNonNull("account") ? n.get("account").asText() : null, n.path("strict").asBoolean(false),
                        n.path("clientKey").asText()));
            }
            return out;
        } catch (IOException e) {
            throw new ControlException(f + " cannot be read (" + e.getClass().getSimpleName() + "). Restore it from "
                    + relayHome.backupsDir() + " or remove it (the homes are then forgotten, their directories stay).");
        }
    }

    /** The homes' client keys as the relay serves by them ({@code home:NAME}, the home's account first). */
    List<ClientKeys.Key> clientKeys() throws ControlException {
        return entries().stream().map(e -> new ClientKeys.Key("home:" + e.name(), io.codexrelay.config.ClientKey.hashOf(e.clientKey()),
                e.account(), e.strict(), null, null)).toList();
    }

    CodexHomeView create(String name, String account, Path dir, Path from, boolean strict, RelayConfig cfg,
                         Predicate<String> accountExists) throws ControlException {
        if (name == null || !NAME.matcher(name).matches())
            throw new ControlException("A home name is letters, digits, '.', '_' or '-' (at most 64), e.g. `work`.");
        List<Entry> all = new ArrayList<>(entries());
        if (all.stream().anyMatch(e -> e.name().equals(name)))
            throw new ControlException("A home named '" + name + "' exists already; `codex-relay homes list` shows it.");
        checkAccount(account, accountExists);
        Path target = (dir != null ? dir : relayHome.dir().resolve("homes").resolve(name)).toAbsolutePath().normalize();
        if (all.stream().anyMatch(e -> e.dir().equals(target)))
            throw new ControlException(target + " is already the home '" + all.stream().filter(e -> e.dir().equals(target))
                    .findFirst().orElseThrow().name() + "'.");
        List<String> notes = new ArrayList<>();
        try {
            Files.createDirectories(target);
            if (from != null) notes.add(copyFrom(from.toAbsolutePath().normalize(), target));
        } catch (IOException e) {
            throw new ControlException("Could not prepare " + target + ": " + e.getMessage() + ". Check the permissions.");
        }
        Entry entry = new Entry(name, target, account, strict, newKey());
        wire(entry, cfg);
        all.add(entry);
        save(all);
        notes.add("Use it with CODEX_HOME=" + target + " codex ...");
        return view(entry, String.join(" ", notes));
    }

    CodexHomeView bind(String name, String account, Boolean strict, Predicate<String> accountExists) throws ControlException {
        checkAccount(account, accountExists);
        List<Entry> all = new ArrayList<>(entries());
        for (int i = 0; i < all.size(); i++) {
            Entry e = all.get(i);
            if (e.name().equals(name)) {
                Entry b = new Entry(e.name(), e.dir(), account, strict != null ? strict : e.strict(), e.clientKey());
                all.set(i, b);
                save(all);
                return view(b, account == null ? "The pool chooses the account for this home." : "Requests from this home go to '"
                        + account + "' first" + (b.strict() ? " and only there." : "; failover to the others still applies."));
            }
        }
        throw unknown(name);
    }

    /** Forgets the home and points its config back at the provider it had; its directory and sessions stay. */
    CodexHomeView remove(String name) throws ControlException {
        List<Entry> all = new ArrayList<>(entries());
        Entry e = all.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(() -> unknown(name));
        String note;
        try {
            var o = new CodexWiring(relayHome, clock).off(new CodexHome(e.dir()), false);
            note = o.changed() ? "Its config.toml points back at " + CodexRouting.pointsAt(o.view()) + " (backup: " + o.backup() + ")." : "";
        } catch (CodexConfigException x) {
            note = "Its config.toml was left as it is (" + x.getMessage() + ").";
        }
        all.remove(e);
        save(all);
        CodexHomeView v = view(e, note);
        return new CodexHomeView(v.name(), v.dir(), v.account(), v.strict(), false, v.sessions(), v.keyHint(),
                (note + " The directory " + e.dir() + " and its " + v.sessions() + " session(s) stay where they are; "
                        + "delete it yourself when you no longer need it.").trim());
    }

    List<CodexHomeView> list() throws ControlException {
        List<CodexHomeView> out = new ArrayList<>();
        for (Entry e : entries()) out.add(view(e, null));
        return out;
    }

    Entry find(String name) throws ControlException {
        return entries().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(() -> unknown(name));
    }

    /** After an account was renamed or removed, a home bound to it would send its requests nowhere: say so in list. */
    private void checkAccount(String account, Predicate<String> accountExists) throws ControlException {
        if (account != null && !accountExists.test(account))
            throw new ControlException("There is no account '" + account + "'; `codex-relay accounts list` shows the names.");
    }

    private void wire(Entry e, RelayConfig cfg) throws ControlException {
        try {
            var spec = new io.codexrelay.codex.CodexConfigPatch.ProviderSpec(
                    new CodexRouting(relayHome, java.util.Map.of(), clock).target(cfg).baseUrl(), e.clientKey(),
                    CodexRouting.streamIdleMs(cfg));
            new CodexWiring(relayHome, clock).on(new CodexHome(e.dir()), spec);
        } catch (CodexConfigException x) {
            throw new ControlException(x.getMessage(), x);
        }
    }

    private String copyFrom(Path from, Path target) throws IOException, ControlException {
        if (!Files.isDirectory(from)) throw new ControlException("--from " + from + " is not a directory.");
        List<String> copied = new ArrayList<>();
        for (String n : COPIED) {
            Path src = from.resolve(n);
            if (!Files.exists(src) || Files.exists(target.resolve(n))) continue;
            if (Files.isDirectory(src)) {
                try (Stream<Path> s = Files.walk(src)) {
                    for (Path p : s.toList()) {
                        Path to = target.resolve(from.relativize(p).toString());
                        if (Files.isDirectory(p)) Files.createDirectories(to);
                        else Files.copy(p, to);
                    }
                }
            } else {
                Files.copy(src, target.resolve(n));
            }
            copied.add(n);
        }
        return copied.isEmpty() ? "Nothing to copy from " + from + "." : "Copied " + String.join(", ", copied) + " from " + from
                + " (its sessions and login stay there).";
    }

    private CodexHomeView view(Entry e, String note) {
        CodexHome h = new CodexHome(e.dir());
        boolean wired = false;
        int sessions = 0;
        try {
            var s = new CodexWiring(relayHome, clock).status(h);
            wired = s.view() != null && s.view().pointsAtRelay() && e.clientKey().equals(s.view().relayClientKey());
            sessions = h.countSessionsByProvider().byProvider().values().stream().mapToInt(Integer::intValue).sum();
        } catch (CodexConfigException | RuntimeException x) {
            // a home whose config cannot be read is listed as not wired
        }
        return new CodexHomeView(e.name(), e.dir().toString(), e.account(), e.strict(), wired, sessions,
                "…" + e.clientKey().substring(e.clientKey().length() - 4), note);
    }

    private void save(List<Entry> all) throws ControlException {
        ObjectNode root = json.createObjectNode();
        ArrayNode arr = root.putArray("homes");
        for (Entry e : all) {
            arr.addObject().put("name", e.name()).put("dir", e.dir().toString()).put("account", e.account())
                    .put("strict", e.strict()).put("clientKey", e.clientKey());
        }
        try {
            relayHome.ensureExists();
            if (Files.exists(file())) AtomicFiles.backup(file(), relayHome.backupsDir(), clock);
            AtomicFiles.writeString(file(), json.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n", true);
        } catch (IOException x) {
            throw new ControlException("Could not write " + file() + ": " + x.getMessage());
        }
    }

    private static String newKey() {
        byte[] raw = new byte[24];
        new SecureRandom().nextBytes(raw);
        return "crk_" + HexFormat.of().formatHex(raw);
    }

    private static ControlException unknown(String name) {
        return new ControlException("There is no home '" + name + "'; `codex-relay homes list` shows the names.");
    }
}
