package io.codexrelay.app;

import io.codexrelay.config.ConfigException;
import io.codexrelay.config.ConfigLoader;
import io.codexrelay.config.RedactTables;
import io.codexrelay.config.RelayConfig;
import io.codexrelay.convert.Redactor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code [[redact]]} rule as the Settings window shows and edits it (issue 12): {@code regex} says whether
 * {@code text} is a regular expression ({@code pattern}) or plain text ({@code literal}); empty {@code accounts} /
 * {@code clients} mean every account / tool. The text may be a secret: it is shown in the window the user owns, and
 * never logged.
 */
public record RedactionEntry(String name, boolean regex, String text, boolean ignoreCase, String replacement,
                             List<String> accounts, List<String> clients) {

    public RedactionEntry {
        name = name == null ? "" : name.trim();
        text = text == null ? "" : text;
        replacement = replacement == null ? "[redacted]" : replacement;
        accounts = accounts == null ? List.of() : List.copyOf(accounts);
        clients = clients == null ? List.of() : List.copyOf(clients);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** What a "Try it" box shows: the sample after the rules, and how many matches were replaced. */
    public record TryResult(String text, int replacements) {}

    /**
     * Checks {@code rules} with the loader's own rules and messages; null when they are all valid.
     * The message names the rule by its name or number, never by its pattern.
     */
    public static String problem(List<RedactionEntry> rules) {
        try {
            compile(rules);
            return null;
        } catch (ControlException e) {
            return e.getMessage();
        }
    }

    /**
     * {@code sample} after {@code rules}, through the same redactor the relay runs on a request's text (the sample is
     * treated as a message's text), so what the box shows is what an upstream would receive.
     */
    public static TryResult tryOn(List<RedactionEntry> rules, String sample) throws ControlException {
        RelayConfig cfg = compile(rules);
        List<Redactor.Rule> compiled = cfg.redactions().stream().map(r -> new Redactor.Rule(r.pattern(), r.replacement())).toList();
        String body = "{\"input\":" + JSON.valueToTree(sample == null ? "" : sample) + "}";
        Redactor.Result r = Redactor.apply(body.getBytes(StandardCharsets.UTF_8), compiled);
        try {
            String out = JSON.readTree(r.body()).path("input").asText();
            return new TryResult(out, r.replacements());
        } catch (java.io.IOException e) {
            throw new ControlException("The sample could not be redacted: " + e.getMessage());
        }
    }

    static RelayConfig compile(List<RedactionEntry> rules) throws ControlException {
        try {
            return ConfigLoader.parse(RedactTables.write("", toTables(rules)), "redaction rules");
        } catch (ConfigException e) {
            // "redaction rules:LINE: [[redact]] rule 'x': ..." -> the part after the position
            throw new ControlException(e.getMessage().replaceFirst("^redaction rules:[^:]*:\\s*", ""));
        }
    }

    static List<Map<String, Object>> toTables(List<RedactionEntry> rules) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (RedactionEntry e : rules) {
            Map<String, Object> t = new LinkedHashMap<>();
            if (!e.name().isEmpty()) t.put("name", e.name());
            t.put(e.regex() ? "pattern" : "literal", e.text());
            t.put("ignore_case", e.ignoreCase());
            t.put("replacement", e.replacement());
            t.put("accounts", e.accounts());
            t.put("clients", e.clients());
            out.add(t);
        }
        return out;
    }

    static List<RedactionEntry> fromTables(List<Map<String, Object>> tables) {
        List<RedactionEntry> out = new ArrayList<>();
        for (Map<String, Object> t : tables) {
            boolean regex = t.get("pattern") instanceof String;
            out.add(new RedactionEntry(str(t.get("name")), regex, str(regex ? t.get("pattern") : t.get("literal")),
                    Boolean.TRUE.equals(t.get("ignore_case")), t.containsKey("replacement") ? str(t.get("replacement")) : null,
                    strings(t.get("accounts")), strings(t.get("clients"))));
        }
        return List.copyOf(out);
    }

    private static String str(Object o) { return o instanceof String s ? s : ""; }

    private static List<String> strings(Object o) {
        if (!(o instanceof List<?> l)) return List.of();
        return l.stream().filter(String.class::isInstance).map(String.class::cast).toList();
    }

    /** Hides the rule's text: a record's default toString would put a secret into any log line that prints it. */
    @Override public String toString() { return "RedactionEntry[" + (name.isEmpty() ? "unnamed" : name) + "]"; }
}
