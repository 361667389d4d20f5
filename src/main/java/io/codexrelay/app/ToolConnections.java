package io.codexrelay.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.config.AtomicFiles;
import io.codexrelay.config.RelayHome;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code codex-relay connect|disconnect TOOL}: gives a tool its own client key and the settings that point it at the
 * relay. For Claude Code the {@code env} block of {@code ~/.claude/settings.json} is written (atomically, after a
 * backup into the relay home's {@code backups/}; every other key is kept); for the other tools the settings are
 * printed to paste. What was there before is remembered in {@code connections/<tool>.json} in the relay home, so
 * {@code disconnect} puts back exactly the values connect replaced (unless the user changed them since) and revokes
 * the key.
 */
public final class ToolConnections {
    public static final List<String> TOOLS = List.of("claude-code", "opencode", "cursor", "env");
    static final List<String> CLAUDE_ENV = List.of("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * What connect did: the key's name, the file written (null when only printed), its backup, and what to tell;
     * {@code pastes}: each value the user pastes into the tool by hand, one by one (the Connect dialog gives each a
     * Copy button; empty when the file was written).
     */
    public record Connected(String tool, String keyName, String file, String backup, String instructions, List<Paste> pastes) {
        @Override public String toString() { return "Connected[" + tool + ", key " + keyName + "]"; }
    }

    /** One thing to paste: where it goes ({@code label}) and the text itself (it may hold the key). */
    public record Paste(String label, String value) {
        @Override public String toString() { return "Paste[" + label + "]"; }
    }

    private final RelayHome home;
    private final Path userHome;
    private final Clock clock;

    public ToolConnections(RelayHome home, Path userHome, Clock clock) {
        this.home = home;
        this.userHome = userHome;
        this.clock = clock;
    }

    /** For the CLI: the relay home and {@code $HOME} from the environment. */
    public static ToolConnections fromEnvironment(Map<String, String> env, Clock clock) throws ControlException {
        String h = env.get("HOME");
        if (h == null || h.isBlank()) h = System.getProperty("user.home");
        return new ToolConnections(RelayHome.fromEnvironment(env), Path.of(h), clock);
    }

    Path claudeSettings() { return userHome.resolve(".claude").resolve("settings.json"); }

    Path stateFile(String tool) { return home.dir().resolve("connections").resolve(tool + ".json"); }

    public Connected connect(ControlApi control, String tool) throws ControlException {
        checkTool(tool);
        if (Files.exists(stateFile(tool)))
            throw new ControlException(tool + " is connected already; run `codex-relay disconnect " + tool + "` first to start over.");
        // the running daemon's real port (it may have been started with --port), else the configured one
        Object port = control.config().get("server.port");
        try {
            var running = AdminFile.read(home);
            if (running.isPresent()) port = running.get().port();
        } catch (RuntimeException e) {
            // admin.json unreadable: the configured port is the best guess
        }
        String root = "http://127.0.0.1:" + port;
        ControlApi.CreatedToolKey key = control.createKey(new ControlApi.NewToolKey(freeName(control, tool), null, null));
        try {
            return switch (tool) {
                case "claude-code" -> connectClaudeCode(root, key);
                case "opencode" -> {
                    String entry = "\"codex-relay\": {\"npm\": \"@ai-sdk/openai-compatible\", \"name\": \"codex-relay\",\n"
                            + "    \"options\": {\"baseURL\": \"" + root + "/v1\", \"apiKey\": \"" + key.key() + "\"},\n"
                            + "    \"models\": {\"best\": {}, \"fast\": {}}}";
                    yield remember(tool, key, null, null, null, "Add to opencode.json (\"provider\" section):\n  " + entry,
                            List.of(new Paste("opencode.json, inside \"provider\"", entry)));
                }
                case "cursor" -> remember(tool, key, null, null, null, "In Cursor: Settings > Models > OpenAI API Key: "
                        + key.key() + "\nOverride OpenAI Base URL: " + root + "/v1  (Cursor calls from its own servers: "
                        + "the relay must be reachable from outside; see README \"Point other tools at the relay\").",
                        List.of(new Paste("OpenAI API Key", key.key()), new Paste("Override OpenAI Base URL", root + "/v1")));
                default -> {
                    List<Paste> lines = List.of(new Paste("OpenAI SDK base URL", "export OPENAI_BASE_URL=" + root + "/v1"),
                            new Paste("OpenAI SDK key", "export OPENAI_API_KEY=" + key.key()),
                            new Paste("Anthropic SDK base URL", "export ANTHROPIC_BASE_URL=" + root),
                            new Paste("Anthropic SDK key", "export ANTHROPIC_AUTH_TOKEN=" + key.key()));
                    yield remember(tool, key, null, null, null, String.join("\n", lines.stream().map(Paste::value).toList()), lines);
                }
            };
        } catch (IOException | RuntimeException e) {
            control.revokeKey(key.name()); // nothing was connected: the new key must not linger
            throw new ControlException("Connecting " + tool + " failed: " + e.getMessage() + ". Nothing was changed.");
        }
    }

    private Connected connectClaudeCode(String root, ControlApi.CreatedToolKey key) throws IOException, ControlException {
        Path file = claudeSettings();
        ObjectNode settings = readSettings(file);
        JsonNode envNode = settings.get("env");
        if (envNode != null && !envNode.isObject())
            throw new ControlException(file + " has an \"env\" that is not an object; fix it by hand, then connect again.");
        ObjectNode env = envNode == null ? settings.putObject("env") : (ObjectNode) envNode;
        Map<String, String> before = new LinkedHashMap<>();
        for (String k : CLAUDE_ENV) before.put(k, env.hasNonNull(k) ? env.get(k).asText() : null);
        Map<String, String> set = new LinkedHashMap<>();
        set.put("ANTHROPIC_BASE_URL", root);
        set.put("ANTHROPIC_AUTH_TOKEN", key.key());
        set.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        set.forEach(env::put);
        env.remove("ANTHROPIC_API_KEY"); // Claude Code prefers it over the token: a key of another service would win
        Path backup = AtomicFiles.backup(file, home.backupsDir(), clock);
        Files.createDirectories(file.getParent());
        AtomicFiles.writeString(file, JSON.writeValueAsString(settings) + "\n", true);
        return remember("claude-code", key, file, backup, new State("claude-code", key.name(), envNode == null, before, set),
                "Wrote the env block of " + file + (backup == null ? "" : " (backup: " + backup + ")")
                        + ". Claude Code sends its requests to the relay from its next start.", List.of());
    }

    private Connected remember(String tool, ControlApi.CreatedToolKey key, Path file, Path backup, State state, String text,
                               List<Paste> pastes) throws IOException {
        State s = state != null ? state : new State(tool, key.name(), false, Map.of(), Map.of());
        Files.createDirectories(stateFile(tool).getParent());
        AtomicFiles.writeString(stateFile(tool), JSON.writeValueAsString(s) + "\n", true);
        return new Connected(tool, key.name(), file == null ? null : file.toString(), backup == null ? null : backup.toString(), text,
                List.copyOf(pastes));
    }

    /** What connect replaced, to undo it: the env values before ({@code null}: absent) and the ones written. */
    record State(String tool, String keyName, boolean envBlockAdded, Map<String, String> before, Map<String, String> written) {}

    /** Whether {@code tool} is connected (connect ran and disconnect did not since). */
    public boolean connected(String tool) {
        return TOOLS.contains(tool) && Files.exists(stateFile(tool));
    }

    /** Undoes connect: the replaced values back (unless changed since), the key revoked. Returns what was done. */
    public List<String> disconnect(ControlApi control, String tool) throws ControlException {
        checkTool(tool);
        Path sf = stateFile(tool);
        if (!Files.exists(sf)) throw new ControlException(tool + " is not connected (no " + sf + ").");
        State s;
        try {
            s = JSON.readValue(Files.readString(sf, StandardCharsets.UTF_8), State.class);
        } catch (IOException e) {
            throw new ControlException(sf + " cannot be read (" + e.getMessage() + "); delete it and revoke the key with `codex-relay keys revoke`.");
        }
        List<String> done = new ArrayList<>();
        try {
            if (tool.equals("claude-code") && Files.exists(claudeSettings())) {
                Path file = claudeSettings();
                ObjectNode settings = readSettings(file);
                if (settings.get("env") instanceof ObjectNode env) {
                    List<String> kept = new ArrayList<>();
                    for (var e : s.written().entrySet()) {
                        if (!env.hasNonNull(e.getKey()) || !env.get(e.getKey()).asText().equals(e.getValue())) {
                            kept.add(e.getKey());
                            continue; // changed by the user since: theirs now
                        }
                        String was = s.before().get(e.getKey());
                        if (was == null) env.remove(e.getKey());
                        else env.put(e.getKey(), was);
                    }
                    String apiKeyBefore = s.before().get("ANTHROPIC_API_KEY");
                    if (apiKeyBefore != null && !env.has("ANTHROPIC_API_KEY")) env.put("ANTHROPIC_API_KEY", apiKeyBefore);
                    if (s.envBlockAdded() && env.isEmpty()) settings.remove("env");
                    Path backup = AtomicFiles.backup(file, home.backupsDir(), clock);
                    AtomicFiles.writeString(file, JSON.writeValueAsString(settings) + "\n", true);
                    done.add("Restored the env block of " + file + (backup == null ? "" : " (backup: " + backup + ")")
                            + (kept.isEmpty() ? "" : "; left " + String.join(", ", kept) + " as you changed them"));
                }
            }
            Files.deleteIfExists(sf);
        } catch (IOException e) {
            throw new ControlException("Disconnecting " + tool + " failed: " + e.getMessage());
        }
        try {
            control.revokeKey(s.keyName());
            done.add("Revoked the key '" + s.keyName() + "'");
        } catch (ControlException e) {
            done.add("The key '" + s.keyName() + "' was not revoked: " + e.getMessage());
        }
        return done;
    }

    private static ObjectNode readSettings(Path file) throws ControlException {
        if (!Files.exists(file)) return JSON.createObjectNode();
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            if (text.isBlank()) return JSON.createObjectNode();
            JsonNode n = JSON.readTree(text);
            if (!(n instanceof ObjectNode o))
                throw new ControlException(file + " is not a JSON object; fix it by hand, then connect again.");
            return o;
        } catch (JsonProcessingException e) {
            throw new ControlException(file + " is not valid JSON (line " + e.getLocation().getLineNr()
                    + "); fix it by hand, then connect again. Nothing was changed.");
        } catch (IOException e) {
            throw new ControlException(file + " cannot be read: " + e.getMessage());
        }
    }

    private static String freeName(ControlApi control, String tool) throws ControlException {
        Set<String> taken = new java.util.HashSet<>();
        for (ToolKeyView k : control.keys()) taken.add(k.name());
        if (!taken.contains(tool)) return tool;
        for (int i = 2; ; i++) if (!taken.contains(tool + "-" + i)) return tool + "-" + i;
    }

    private static void checkTool(String tool) throws ControlException {
        if (!TOOLS.contains(tool))
            throw new ControlException("Unknown tool '" + tool + "'. Use one of: " + String.join(", ", TOOLS) + ".");
    }
}
