package io.codexrelay.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Reads one top-level string field of a JSON object with a streaming parser: no tree is built, nested values are
 * skipped and parsing stops at the field. For the hot path: the request's {@code model} and {@code prompt_cache_key},
 * each SSE event's {@code type}. Malformed or truncated JSON, or a field that is not a string, reads as null.
 */
final class JsonPeek {
    private static final JsonFactory JSON = new JsonFactory();

    private JsonPeek() {}

    static String topLevelString(byte[] json, String field) {
        return json == null ? null : topLevelString(json, 0, json.length, field);
    }

    /** The field of the JSON object in {@code b[from, to)}. */
    static String topLevelString(byte[] b, int from, int to, String field) {
        if (to <= from) return null;
        if (!mayHold(b, from, to, field)) return null;
        String first = leading(b, from, to, field);
        if (first != null) return first;
        try (JsonParser p = JSON.createParser(b, from, to - from)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (field.equals(name)) return v == JsonToken.VALUE_STRING ? p.getText() : null;
                p.skipChildren();
            }
        } catch (Exception truncatedOrMalformed) {
            // the field was not in the part that parses
        }
        return null;
    }

    /**
     * The field when it is the object's first key and its value a plain ASCII string ({@code {"model":"gpt-5",...}},
     * spaces allowed as Python's JSON writes them), read without a parser: Codex and the SDKs put {@code model} first,
     * and a parser made per request for it was most of this class's cost. Anything else is null, and the parser
     * decides (escapes, other bytes, another first key).
     */
    static String leading(byte[] b, int from, int to, String field) {
        int i = skipSpace(b, from, to);
        if (i >= to || b[i] != '{') return null;
        i = skipSpace(b, i + 1, to);
        if (i >= to || b[i] != '"') return null;
        i++;
        int n = field.length();
        if (i + n >= to) return null;
        for (int k = 0; k < n; k++) if (b[i + k] != field.charAt(k)) return null;
        i += n;
        if (b[i] != '"') return null;
        i = skipSpace(b, i + 1, to);
        if (i >= to || b[i] != ':') return null;
        i = skipSpace(b, i + 1, to);
        if (i >= to || b[i] != '"') return null;
        int start = ++i;
        for (; i < to; i++) {
            byte c = b[i];
            if (c == '"') return new String(b, start, i - start, java.nio.charset.StandardCharsets.US_ASCII);
            if (c == '\\' || c < 0x20) return null; // escapes, control or non-ASCII bytes: the parser's job
        }
        return null;
    }

    private static int skipSpace(byte[] b, int i, int to) {
        while (i < to && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) i++;
        return i;
    }

    /**
     * Whether the JSON in {@code b[from, to)} can hold a key {@code field} at all: its name in quotes appears, or a backslash-u
     * escape does (a key may be spelt with escapes, which only the parser decodes). A byte scan, far
     * cheaper than parsing: without it, a request with no {@code prompt_cache_key} (a script's, or Codex's with the
     * session header) was parsed to its end, every message of the conversation included, to find nothing.
     */
    static boolean mayHold(byte[] b, int from, int to, String field) {
        int n = field.length() + 2;
        byte first = '"';
        outer:
        for (int i = from; i <= to - n; i++) {
            if (b[i] != first) continue;
            if (b[i + n - 1] != '"') continue;
            for (int k = 0; k < n - 2; k++) if (b[i + 1 + k] != field.charAt(k)) continue outer;
            return true;
        }
        for (int i = from; i < to - 1; i++) if (b[i] == '\\' && b[i + 1] == 'u') return true;
        return false;
    }
}
