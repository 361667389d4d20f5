package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Redaction of a canonical (Responses) request body (issue 12): every rule's matches in the text a client sends are
 * replaced before the body goes upstream. The body is parsed, the rules run on the decoded string values, and the tree
 * is written again, so a match or a replacement holding quotes, backslashes or any Unicode can never break the JSON
 * (a regex on the raw bytes could cut an escape in half).
 *
 * <p>What counts as text a client sends: the values of {@code instructions}, {@code input} and {@code content} when
 * they are strings, every {@code text}, a function call's {@code arguments}, a tool result's {@code output}, a shell
 * call's {@code command} items. Structure (types, roles, ids, call ids, model, encrypted reasoning) and the tool
 * declarations are never touched, so a rule cannot turn a request into one the upstream refuses.
 */
public final class Redactor {

    /** One rule: a compiled pattern and the text put in place of each match (inserted as it is). */
    public record Rule(Pattern pattern, String replacement) {}

    /** The body after the rules ({@code body} is the input array itself when nothing matched) and how many matches were replaced. */
    public record Result(byte[] body, int replacements) {}

    private static final Set<String> TEXT_FIELDS = Set.of("instructions", "input", "content", "text", "arguments",
            "output", "command");
    private static final Set<String> NEVER = Set.of("tools", "encrypted_content");

    private Redactor() {}

    /** Applies {@code rules} in order; a body that is not a JSON object is returned unchanged (the upstream judges it). */
    public static Result apply(byte[] body, List<Rule> rules) {
        if (rules.isEmpty()) return new Result(body, 0);
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return new Result(body, 0);
        }
        if (!(root instanceof ObjectNode o)) return new Result(body, 0);
        int[] count = new int[1];
        walk(o, rules, count);
        if (count[0] == 0) return new Result(body, 0);
        try {
            return new Result(Json.MAPPER.writeValueAsBytes(o), count[0]);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree could not be written", e); // cannot happen for trees
        }
    }

    private static void walk(ObjectNode node, List<Rule> rules, int[] count) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String key = e.getKey();
            JsonNode v = e.getValue();
            if (NEVER.contains(key)) continue;
            if (v.isTextual()) {
                if (TEXT_FIELDS.contains(key)) {
                    String r = redact(v.asText(), rules, count);
                    if (r != null) e.setValue(TextNode.valueOf(r));
                }
            } else if (v instanceof ObjectNode child) {
                walk(child, rules, count);
            } else if (v instanceof ArrayNode arr) {
                walk(arr, TEXT_FIELDS.contains(key), rules, count);
            }
        }
    }

    /** Strings directly in an array are text when the array is a text field's value (a shell call's command). */
    private static void walk(ArrayNode arr, boolean textItems, List<Rule> rules, int[] count) {
        for (int i = 0; i < arr.size(); i++) {
            JsonNode v = arr.get(i);
            if (v.isTextual() && textItems) {
                String r = redact(v.asText(), rules, count);
                if (r != null) arr.set(i, TextNode.valueOf(r));
            } else if (v instanceof ObjectNode child) {
                walk(child, rules, count);
            } else if (v instanceof ArrayNode inner) {
                walk(inner, textItems, rules, count);
            }
        }
    }

    /** The text with every rule applied, or null when no rule matched. */
    static String redact(String text, List<Rule> rules, int[] count) {
        String current = text;
        boolean changed = false;
        for (Rule rule : rules) {
            Matcher m = rule.pattern().matcher(current);
            if (!m.find()) continue;
            StringBuilder sb = new StringBuilder(current.length());
            int last = 0;
            do {
                if (m.end() == m.start()) continue; // an empty match replaces nothing
                sb.append(current, last, m.start()).append(rule.replacement());
                last = m.end();
                count[0]++;
                changed = true;
            } while (m.find());
            sb.append(current, last, current.length());
            current = sb.toString();
        }
        return changed ? current : null;
    }
}
