package io.codexrelay.config;

import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code config.toml} strictly: a syntax error, an unknown key, a wrong type or an out-of-range value
 * stops the start with one message naming the file, the line and the key. Nothing is silently defaulted.
 */
public final class ConfigLoader {

    private ConfigLoader() {}

    /** Loads the file, creating it with commented defaults first when it does not exist. */
    public static RelayConfig loadOrCreate(Path file) throws ConfigException {
        if (!Files.exists(file)) {
            try {
                AtomicFiles.writeString(file, ConfigSchema.defaultFileText(), false);
            } catch (IOException e) {
                throw new ConfigException("Could not create " + file + ": " + e.getMessage()
                        + ". Check that the directory is writable, or set CODEX_RELAY_HOME to another directory.");
            }
        }
        return load(file);
    }

    public static RelayConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = decodeUtf8(Files.readAllBytes(file), file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("Configuration file " + file + " does not exist.");
        } catch (IOException e) {
            throw new ConfigException("Could not read " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    /**
     * The file's text, or a message naming the line and column of the first byte that is not UTF-8 (issue 9, fault 7:
     * garbage bytes used to surface as Java's bare "Input length = 1").
     */
    static String decodeUtf8(byte[] bytes, Path file) throws ConfigException {
        var decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
        var result = decoder.decode(in, out, true);
        if (!result.isError()) {
            decoder.flush(out);
            return out.flip().toString();
        }
        int bad = in.position();
        int line = 1, lineStart = 0;
        for (int i = 0; i < bad; i++) {
            if (bytes[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        String prefix = new String(bytes, lineStart, bad - lineStart, java.nio.charset.StandardCharsets.UTF_8);
        int column = prefix.codePointCount(0, prefix.length()) + 1;
        throw new ConfigException(file + ": line " + line + ", column " + column + ": byte 0x"
                + String.format("%02x", bytes[bad] & 0xff) + " is not UTF-8 text (the file may be damaged or saved in another "
                + "encoding). Fix or delete that line, save the file as UTF-8, or move the file aside to start from the "
                + "defaults (the Settings window writes a new one).");
    }

    /** Parses and validates TOML text; {@code source} names the file in messages. */
    public static RelayConfig parse(String text, String source) throws ConfigException {
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            TomlParseError err = toml.errors().get(0);
            TomlPosition pos = err.position();
            throw new ConfigException(source + ":" + (pos == null ? "?" : pos.line()) + ": TOML syntax error: "
                    + stripPosition(err.getMessage()) + ". Fix the line (or delete the file to get fresh defaults).");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (String section : toml.keySet()) {
            if (section.equals(PriceTable.SECTION)) continue;   // its keys are model names: PriceTable reads it
            Object sectionValue = toml.get(List.of(section));
            if (!(sectionValue instanceof TomlTable table)) {
                throw new ConfigException(where(source, toml, List.of(section)) + "key '" + section
                        + "' must be inside a section; known sections: " + String.join(", ", ConfigSchema.sections().keySet()) + ".");
            }
            if (!ConfigSchema.sections().containsKey(section)) {
                throw new ConfigException(where(source, toml, List.of(section)) + "unknown section [" + section
                        + "]; known sections: " + String.join(", ", ConfigSchema.sections().keySet()) + ".");
            }
            for (String name : table.keySet()) {
                List<String> path = List.of(section, name);
                var key = ConfigSchema.key(section + "." + name).orElse(null);
                if (key == null) {
                    throw new ConfigException(where(source, toml, path) + "unknown key '" + section + "." + name + "'"
                            + suggestion(section, name) + ".");
                }
                Object raw = toJava(table.get(List.of(name)));
                var problem = key.check(raw);
                if (problem.isPresent()) {
                    throw new ConfigException(where(source, toml, path) + "'" + key.path() + "' " + problem.get()
                            + " (default: " + ConfigFilePatcher.literal(key.defaultValue()) + ").");
                }
                values.put(key.path(), raw instanceof Integer i ? Long.valueOf(i) : raw);
            }
        }
        RelayConfig cfg = RelayConfig.fromValues(values)
                .withPrices(PriceTable.defaults().overriddenBy(PriceTable.read(toml, source, true)));
        checkCrossRules(cfg, source, toml);
        return cfg;
    }

    private static void checkCrossRules(RelayConfig cfg, String source, TomlParseResult toml) throws ConfigException {
        if (!isLoopback(cfg.server().listen()) && !cfg.server().allowRemote()) {
            throw new ConfigException(where(source, toml, List.of("server", "listen")) + "'server.listen' = \""
                    + cfg.server().listen() + "\" is not a loopback address. The relay holds your account credentials; "
                    + "to expose it anyway set server.allow_remote = true (every request must then carry the client key).");
        }
        for (String k : List.of("upstream.chatgpt_base_url", "upstream.oauth_issuer", "upstream.default_api_base_url")) {
            String url = (String) cfg.values().get(k);
            String[] parts = k.split("\\.");
            try {
                URI u = URI.create(url);
                if (u.getHost() == null || !(u.getScheme().equals("https") || u.getScheme().equals("http")))
                    throw new IllegalArgumentException();
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where(source, toml, List.of(parts[0], parts[1])) + "'" + k
                        + "' must be an http(s) URL like \"https://host/path\".");
            }
        }
    }

    public static boolean isLoopback(String host) {
        if (host.equals("localhost")) return true;
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static Object toJava(Object v) {
        if (v instanceof TomlArray arr) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < arr.size(); i++) out.add(toJava(arr.get(i)));
            return out;
        }
        return v;
    }

    private static String where(String source, TomlParseResult toml, List<String> path) {
        TomlPosition pos = toml.inputPositionOf(path);
        if (pos == null && path.size() > 1) pos = toml.inputPositionOf(path.subList(0, 1));
        return source + ":" + (pos == null ? "?" : pos.line()) + ": ";
    }

    private static String suggestion(String section, String name) {
        String best = null;
        int bestDist = Integer.MAX_VALUE;
        for (var k : ConfigSchema.keys().values()) {
            if (!k.section().equals(section)) continue;
            int d = distance(k.name(), name);
            if (d < bestDist) { bestDist = d; best = k.name(); }
        }
        List<String> known = ConfigSchema.keys().values().stream().filter(k -> k.section().equals(section)).map(ConfigSchema.Key::name).toList();
        if (best != null && bestDist <= 3) return " (did you mean '" + best + "'?)";
        return "; keys of [" + section + "]: " + String.join(", ", known);
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }

    private static String stripPosition(String msg) {
        return msg.replaceAll("\\s*\\(line \\d+, column \\d+\\)", "");
    }
}
