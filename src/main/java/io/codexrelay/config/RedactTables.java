package io.codexrelay.config;

import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code [[redact]]} tables of {@code config.toml} as written (issue 12), for the Settings window: read as plain
 * key/value maps (pattern or literal as typed, not compiled, so a rule can be shown and edited as the user wrote it),
 * and written back by replacing every {@code [[redact]]} block while every other line of the file stays as it is.
 * Callers validate the result with {@link ConfigLoader#parse} before writing it, as for {@link ConfigFilePatcher}.
 */
public final class RedactTables {
    private static final Pattern REDACT_HEADER = Pattern.compile("^\\s*\\[\\[\\s*redact\\s*]]\\s*(#.*)?$");
    private static final Pattern ANY_HEADER = Pattern.compile("^\\s*\\[.*$");
    private static final List<String> ORDER = List.of("name", "pattern", "literal", "ignore_case", "replacement",
            "accounts", "clients");

    private RedactTables() {}

    /** The rules of {@code text} in file order, each its keys as written; empty when the file has none or does not parse. */
    public static List<Map<String, Object>> read(String text) {
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors() || !(toml.get(ConfigLoader.REDACT) instanceof TomlArray arr)) return List.of();
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            if (!(arr.get(i) instanceof TomlTable t)) continue;
            Map<String, Object> rule = new LinkedHashMap<>();
            for (String k : t.keySet()) {
                Object v = t.get(List.of(k));
                rule.put(k, v instanceof TomlArray a ? a.toList() : v);
            }
            out.add(rule);
        }
        return List.copyOf(out);
    }

    /**
     * {@code text} with its {@code [[redact]]} blocks (header up to the next table header) removed and {@code rules}
     * appended at the end, keys in a fixed order. Comments inside the old blocks go with them: the Settings window
     * owns the rules it writes.
     */
    public static String write(String text, List<Map<String, Object>> rules) {
        String eol = text.contains("\r\n") ? "\r\n" : "\n";
        StringBuilder kept = new StringBuilder();
        boolean inRedact = false;
        for (String line : text.split("(?<=\n)", -1)) {
            String body = line.strip();
            if (REDACT_HEADER.matcher(body).matches()) {
                inRedact = true;
                continue;
            }
            if (ANY_HEADER.matcher(body).matches()) inRedact = false;
            if (!inRedact) kept.append(line);
        }
        String base = kept.toString().stripTrailing();
        StringBuilder sb = new StringBuilder(base);
        if (!base.isEmpty()) sb.append(eol);
        for (Map<String, Object> rule : rules) {
            sb.append(eol).append("[[").append(ConfigLoader.REDACT).append("]]").append(eol);
            for (String k : ORDER) {
                Object v = rule.get(k);
                if (v == null || v instanceof List<?> l && l.isEmpty() || "ignore_case".equals(k) && Boolean.FALSE.equals(v)) continue;
                sb.append(k).append(" = ").append(ConfigFilePatcher.literal(v)).append(eol);
            }
        }
        return sb.toString();
    }
}
