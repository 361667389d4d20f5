package io.codexrelay.codex;

import io.codexrelay.config.ConfigFilePatcher;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Format-preserving edits of Codex's {@code config.toml}: points Codex at the relay ({@link #on}) and back
 * ({@link #off}), touching only the top-level {@code model_provider} line and the {@code [model_providers.codex-relay]}
 * table. Every other byte (comments, order, other tables, MCP servers, profiles, line endings) stays as it was.
 *
 * <p>Pure text in, text out. What is needed to undo a change exactly (the user's previous {@code model_provider}
 * line, how the table was appended) travels in a {@link Memory} that the caller persists.
 * Each result is re-parsed with tomlj and checked: the intended keys have the intended values and the rest of the
 * document parses to the same values as before. A text that does not parse is refused.
 */
public final class CodexConfigPatch {
    public static final String PROVIDER_ID = "codex-relay";
    static final List<String> TABLE_PATH = List.of("model_providers", PROVIDER_ID);
    static final String DEFAULT_PROVIDER = "openai";

    private CodexConfigPatch() {}

    /** What goes into the provider table. */
    /** The header a {@code codex-relay run} process sends its own key in, and the variable Codex reads it from. */
    public static final String PROCESS_KEY_HEADER = "x-relay-process-key", PROCESS_KEY_ENV = "CODEX_RELAY_PROCESS_KEY";

    /** Whether the relay's provider entry in {@code toml} passes a run's per-process key on ({@code env_http_headers}). */
    public static boolean passesProcessKey(String toml) {
        TomlParseResult t = org.tomlj.Toml.parse(toml);
        return PROVIDER_ID.equals(stringAt(t, List.of("model_provider")))
                && PROCESS_KEY_ENV.equals(stringAt(t, List.of("model_providers", PROVIDER_ID, "env_http_headers", PROCESS_KEY_HEADER)));
    }

    public record ProviderSpec(String baseUrl, String clientKey, long streamIdleTimeoutMs, boolean supportsWebsockets) {
        /** Without WebSocket (Codex then speaks HTTP to the relay). */
        public ProviderSpec(String baseUrl, String clientKey, long streamIdleTimeoutMs) {
            this(baseUrl, clientKey, streamIdleTimeoutMs, false);
        }

        @Override public String toString() { return "ProviderSpec[" + baseUrl + "]"; }
    }

    /**
     * What it takes to undo {@code on} exactly.
     *
     * @param providerSwitched  {@code on} replaced or inserted the top-level {@code model_provider}
     * @param previousStatement the user's own {@code model_provider} statement, verbatim (null: there was none)
     * @param tableSeparator    non-null when {@code on} appended the table at the end: the text put before it
     * @param addedFinalNewline {@code on} added a line terminator to a file that did not end with one
     */
    public record Memory(boolean providerSwitched, String previousStatement, String tableSeparator, boolean addedFinalNewline) {
        public static final Memory NONE = new Memory(false, null, null, false);

        public boolean isEmpty() { return equals(NONE); }
    }

    /** The outcome: the new text (equal to the input when nothing had to change) and the memory to keep. */
    public record Patched(String text, Memory memory, boolean changed) {}

    /** How a config points Codex, as far as the relay cares. */
    public record View(String modelProvider, boolean relayTablePresent, String relayBaseUrl, String relayClientKey,
                       String activeProfile, Map<String, String> profileProviders, List<String> customProviders) {
        /** The provider Codex uses without {@code --profile}: the default profile's, else the top-level one, else openai. */
        public String effectiveProvider() {
            if (activeProfile != null && profileProviders.containsKey(activeProfile)) return profileProviders.get(activeProfile);
            return modelProvider == null ? DEFAULT_PROVIDER : modelProvider;
        }

        public boolean pointsAtRelay() { return PROVIDER_ID.equals(effectiveProvider()); }

        @Override public String toString() {
            return "View[model_provider=" + modelProvider + ", relayTable=" + relayTablePresent + ", base_url=" + relayBaseUrl
                    + ", profile=" + activeProfile + ", profiles=" + profileProviders + "]";
        }
    }

    // ---- reading ---------------------------------------------------------------------------------------------------

    /** Parses {@code text}; {@code source} names the file in the error. */
    public static TomlParseResult parse(String text, String source) throws CodexConfigException {
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            TomlParseError err = toml.errors().get(0);
            String line = err.position() == null ? "?" : Integer.toString(err.position().line());
            throw new CodexConfigException(source + ":" + line + ": not valid TOML ("
                    + err.getMessage().replaceAll("\\s*\\(line \\d+, column \\d+\\)", "")
                    + "). The file was not changed; fix that line (Codex would refuse it too) and run the command again.");
        }
        return toml;
    }

    public static View inspect(String text, String source) throws CodexConfigException {
        TomlParseResult toml = parse(text, source);
        String mp = stringAt(toml, List.of("model_provider"));
        String profile = stringAt(toml, List.of("profile"));
        Map<String, String> profiles = new LinkedHashMap<>();
        if (toml.get(List.of("profiles")) instanceof TomlTable pt) {
            for (String name : pt.keySet()) {
                if (pt.get(List.of(name)) instanceof TomlTable p && p.get(List.of("model_provider")) instanceof String s) {
                    profiles.put(name, s);
                }
            }
        }
        List<String> custom = new ArrayList<>();
        if (toml.get(List.of("model_providers")) instanceof TomlTable providers) custom.addAll(providers.keySet());
        boolean present = toml.get(TABLE_PATH) instanceof TomlTable;
        String baseUrl = stringAt(toml, List.of("model_providers", PROVIDER_ID, "base_url"));
        String key = stringAt(toml, List.of("model_providers", PROVIDER_ID, "http_headers", "x-relay-key"));
        return new View(mp, present, baseUrl, key, profile, Map.copyOf(profiles), List.copyOf(custom));
    }

    // ---- on --------------------------------------------------------------------------------------------------------

    /** Points Codex at the relay. Idempotent: a second call with the same spec returns the text unchanged. */
    public static Patched on(String text, ProviderSpec spec, Memory memory, String source) throws CodexConfigException {
        TomlParseResult before = parse(text, source);
        String original = text;
        TomlLayout layout = TomlLayout.scan(text);
        String le = layout.lineEnding();
        List<int[]> tableSpans = ourTableSpans(layout);
        boolean append = tableSpans.isEmpty();
        boolean addedFinalNewline = memory.addedFinalNewline();
        if (append && !text.isEmpty() && !text.endsWith("\n")) {
            text = text + le;
            addedFinalNewline = true;
            layout = TomlLayout.scan(text);
        }

        List<Edit> edits = new ArrayList<>();
        boolean switched = memory.providerSwitched();
        String previous = memory.previousStatement();
        TomlLayout.Statement mp = topLevelModelProvider(layout);
        if (mp != null) {
            if (!PROVIDER_ID.equals(stringAt(before, List.of("model_provider")))) {
                edits.add(new Edit(mp.valueStart(), mp.valueEnd(), ConfigFilePatcher.literal(PROVIDER_ID)));
                switched = true;
                previous = text.substring(mp.start(), mp.bodyEnd());
            }
        } else {
            edits.add(new Edit(insertionPoint(layout), insertionPoint(layout), "model_provider = " + ConfigFilePatcher.literal(PROVIDER_ID) + le));
            switched = true;
            previous = null;
        }

        String table = tableText(spec, le);
        for (int i = 0; i < tableSpans.size(); i++) {
            int[] span = tableSpans.get(i);
            edits.add(new Edit(span[0], span[1], i == 0 ? table : ""));
        }
        for (TomlLayout.Statement s : ourDottedKeys(layout)) edits.add(new Edit(s.start(), s.end(), ""));

        String out = apply(text, edits);
        String separator = memory.tableSeparator();
        if (append) {
            separator = out.isEmpty() || out.endsWith(le + le) ? "" : le;
            out = out + separator + table;
        }
        Memory next = new Memory(switched, previous, separator, append ? addedFinalNewline : memory.addedFinalNewline());
        TomlParseResult after = parse(out, source + " (after the change)");
        verifyOn(before, after, spec, source);
        if (out.equals(original)) return new Patched(original, memory, false);
        return new Patched(out, next, true);
    }

    // ---- off -------------------------------------------------------------------------------------------------------

    /**
     * Points Codex back where the user had it: the remembered {@code model_provider} statement, or none.
     * Keeps the relay's provider table (sessions recorded through it stay resumable) unless {@code purge}.
     * A {@code model_provider} the user has since changed to something else is left alone.
     */
    public static Patched off(String text, Memory memory, boolean purge, String source) throws CodexConfigException {
        TomlParseResult before = parse(text, source);
        TomlLayout layout = TomlLayout.scan(text);
        List<Edit> edits = new ArrayList<>();
        TomlLayout.Statement mp = topLevelModelProvider(layout);
        boolean restoreProvider = mp != null && PROVIDER_ID.equals(stringAt(before, List.of("model_provider")));
        String expectedProvider = stringAt(before, List.of("model_provider"));
        if (restoreProvider) {
            if (memory.providerSwitched() && memory.previousStatement() != null) {
                edits.add(new Edit(mp.start(), mp.bodyEnd(), memory.previousStatement()));
                expectedProvider = stringAt(parse(memory.previousStatement(), "remembered model_provider line"), List.of("model_provider"));
            } else {
                edits.add(new Edit(mp.start(), mp.end(), ""));
                expectedProvider = null;
            }
        }
        boolean tableAtEnd = false;
        if (purge) {
            for (int[] span : ourTableSpans(layout)) {
                edits.add(new Edit(span[0], span[1], ""));
                if (span[1] == text.length()) tableAtEnd = true;
            }
            for (TomlLayout.Statement s : ourDottedKeys(layout)) edits.add(new Edit(s.start(), s.end(), ""));
        }
        String out = apply(text, edits);
        Memory next = new Memory(false, null, purge ? null : memory.tableSeparator(), !purge && memory.addedFinalNewline());
        if (purge && tableAtEnd && memory.tableSeparator() != null) {
            String le = layout.lineEnding();
            if (out.endsWith(memory.tableSeparator())) out = out.substring(0, out.length() - memory.tableSeparator().length());
            if (memory.addedFinalNewline() && out.endsWith(le)) out = out.substring(0, out.length() - le.length());
        }
        TomlParseResult after = parse(out, source + " (after the change)");
        verifyOff(before, after, expectedProvider, purge, source);
        return new Patched(out, next, !out.equals(text));
    }

    // ---- layout helpers --------------------------------------------------------------------------------------------

    private static TomlLayout.Statement topLevelModelProvider(TomlLayout layout) {
        List<TomlLayout.Statement> st = layout.statements();
        for (int i = 0; i < layout.firstHeaderIndex(); i++) {
            var s = st.get(i);
            if (s.kind() == TomlLayout.Kind.KEY_VALUE && s.key().equals(List.of("model_provider"))) return s;
        }
        return null;
    }

    /** Sections opened by {@code [model_providers.codex-relay]} or any header below it. */
    private static List<int[]> ourTableSpans(TomlLayout layout) {
        List<int[]> spans = new ArrayList<>();
        List<TomlLayout.Statement> st = layout.statements();
        for (int i = 0; i < st.size(); i++) {
            if (st.get(i).isHeader() && startsWith(st.get(i).key(), TABLE_PATH)) spans.add(layout.sectionSpan(i));
        }
        return spans;
    }

    /** Key/values outside our sections that define part of our table ({@code codex-relay = {...}}, dotted keys). */
    private static List<TomlLayout.Statement> ourDottedKeys(TomlLayout layout) {
        List<TomlLayout.Statement> out = new ArrayList<>();
        for (var s : layout.statements()) {
            if (s.kind() == TomlLayout.Kind.KEY_VALUE && !startsWith(s.table(), TABLE_PATH) && startsWith(s.path(), TABLE_PATH)) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Where a new top-level {@code model_provider} line goes: after the last top-level key/value, else before the
     * first table header (and before the comment block directly above it, which belongs to that header).
     */
    private static int insertionPoint(TomlLayout layout) {
        List<TomlLayout.Statement> st = layout.statements();
        int first = layout.firstHeaderIndex();
        for (int i = first - 1; i >= 0; i--) {
            var s = st.get(i);
            if (s.kind() == TomlLayout.Kind.KEY_VALUE && !startsWith(s.path(), TABLE_PATH)) return s.end();
        }
        if (first == st.size()) return layout.text().length();
        int i = first;
        while (i > 0 && st.get(i - 1).kind() == TomlLayout.Kind.COMMENT) i--;
        if (i == 0) return st.get(first).start();
        return st.get(i).start();
    }

    private static boolean startsWith(List<String> path, List<String> prefix) {
        return path.size() >= prefix.size() && path.subList(0, prefix.size()).equals(prefix);
    }

    private record Edit(int start, int end, String replacement) {}

    private static String apply(String text, List<Edit> edits) {
        List<Edit> sorted = new ArrayList<>(edits);
        // From the end backwards; at equal positions, insertions (empty range) go after removals ending there.
        sorted.sort(Comparator.comparingInt(Edit::start).thenComparingInt(Edit::end).reversed());
        StringBuilder sb = new StringBuilder(text);
        int limit = Integer.MAX_VALUE;
        for (Edit e : sorted) {
            if (e.end() > limit) throw new IllegalStateException("overlapping edits");
            sb.replace(e.start(), e.end(), e.replacement());
            limit = e.start();
        }
        return sb.toString();
    }

    static String tableText(ProviderSpec spec, String le) {
        return String.join(le,
                "[model_providers." + PROVIDER_ID + "]",
                "# Written by codex-relay: `codex-relay codex off` points Codex back, `codex-relay codex off --purge` also removes this table.",
                "name = " + ConfigFilePatcher.literal(PROVIDER_ID),
                "base_url = " + ConfigFilePatcher.literal(spec.baseUrl()),
                "wire_api = \"responses\"",
                "http_headers = { \"x-relay-key\" = " + ConfigFilePatcher.literal(spec.clientKey()) + " }",
                // `codex-relay run` gives one process its own key through the environment; Codex leaves the header out
                // when the variable is unset (measured with 0.169.0 and 0.171.0), so every other Codex is unchanged.
                "env_http_headers = { " + ConfigFilePatcher.literal(PROCESS_KEY_HEADER) + " = " + ConfigFilePatcher.literal(PROCESS_KEY_ENV) + " }",
                "request_max_retries = 0",
                "stream_idle_timeout_ms = " + spec.streamIdleTimeoutMs())
                // Codex's own default for a custom provider is false; the relay serves Responses over WebSocket too.
                + (spec.supportsWebsockets() ? le + "supports_websockets = true" : "") + le;
    }

    // ---- verification ----------------------------------------------------------------------------------------------

    private static void verifyOn(TomlParseResult before, TomlParseResult after, ProviderSpec spec, String source)
            throws CodexConfigException {
        List<String> t = TABLE_PATH;
        boolean ok = PROVIDER_ID.equals(stringAt(after, List.of("model_provider")))
                && spec.baseUrl().equals(stringAt(after, List.of(t.get(0), t.get(1), "base_url")))
                && "responses".equals(stringAt(after, List.of(t.get(0), t.get(1), "wire_api")))
                && spec.clientKey().equals(stringAt(after, List.of(t.get(0), t.get(1), "http_headers", "x-relay-key")))
                && Long.valueOf(0).equals(after.get(List.of(t.get(0), t.get(1), "request_max_retries")))
                && spec.supportsWebsockets() == Boolean.TRUE.equals(after.get(List.of(t.get(0), t.get(1), "supports_websockets")));
        if (!ok) throw notSafe(source, "the relay's provider settings did not read back as written");
        if (!rest(before).equals(rest(after))) throw notSafe(source, "the rest of the file would not read back the same");
    }

    private static void verifyOff(TomlParseResult before, TomlParseResult after, String expectedProvider, boolean purge,
                                  String source) throws CodexConfigException {
        if (!Objects.equals(expectedProvider, stringAt(after, List.of("model_provider")))) {
            throw notSafe(source, "model_provider would not read back as intended");
        }
        boolean tablePresent = after.get(TABLE_PATH) != null;
        if (purge && tablePresent) throw notSafe(source, "the relay's provider table would still be there");
        if (!purge && !Objects.equals(plain(before.get(TABLE_PATH)), plain(after.get(TABLE_PATH)))) {
            throw notSafe(source, "the relay's provider table would change");
        }
        if (!rest(before).equals(rest(after))) throw notSafe(source, "the rest of the file would not read back the same");
    }

    private static CodexConfigException notSafe(String source, String why) {
        return new CodexConfigException(source + ": the change was not written because " + why
                + ". This is unusual TOML layout the relay does not edit safely; edit model_provider and [model_providers."
                + PROVIDER_ID + "] by hand (`codex-relay codex status` shows the values to use).");
    }

    /** The document as plain maps/lists without the keys this class manages. */
    private static Map<String, Object> rest(TomlTable toml) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) plain(toml);
        m.remove("model_provider");
        if (m.get("model_providers") instanceof Map<?, ?> providers) {
            providers.remove(PROVIDER_ID);
            if (providers.isEmpty()) m.remove("model_providers");
        }
        return m;
    }

    private static Object plain(Object v) {
        if (v instanceof TomlTable t) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (String k : t.keySet()) m.put(k, plain(t.get(List.of(k))));
            return m;
        }
        if (v instanceof TomlArray a) {
            List<Object> l = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) l.add(plain(a.get(i)));
            return l;
        }
        return v;
    }

    static String stringAt(TomlTable toml, List<String> path) {
        try {
            return toml.get(path) instanceof String s ? s : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
