package io.codexrelay.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a Responses SSE stream as it passes, chunk by chunk (events may be split anywhere, even inside
 * {@code \r\n}), without changing or copying the stream: only the first bytes of each {@code data:} line are
 * looked at to learn the event {@code type}, and only the data of the two terminal events
 * ({@code response.completed} for usage, {@code response.failed} for the error code) is kept whole.
 *
 * <p>Not thread-safe: one tap per stream, fed in order.
 */
public final class SseTap {
    public static final String CREATED = "response.created";
    public static final String IN_PROGRESS = "response.in_progress";
    public static final String COMPLETED = "response.completed";
    public static final String FAILED = "response.failed";

    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How much of a data line is kept to find its {@code type}. */
    private static final int PREFIX = 1024;
    /** The most of a terminal event's data kept for parsing (a completed response can carry all of its output). */
    private static final int TERMINAL_MAX = 16 * 1024 * 1024;

    /** Token counts of {@code response.completed}; any may be null. */
    public record Usage(Long inputTokens, Long cachedTokens, Long outputTokens, Long reasoningTokens) {}

    // current line
    private byte[] line = new byte[256];
    private int lineLen;
    private boolean lineOverflow;   // the line is longer than what we keep
    private boolean lineIsTerminalData;
    private boolean sawCr;
    // current event
    private String eventName;
    private String dataType;
    private byte[] data;            // terminal event data, when kept
    private int dataLen;
    // results
    private long events;
    private String lastType;
    private String firstSignificant;
    private boolean outputBeforeFailure;
    private boolean completed;
    private boolean failed;
    private String failureCode;
    private String failureMessage;
    private Usage usage;

    /**
     * A window per thread for scanning buffers that are not arrays (Jetty's network buffers are direct): reading a
     * direct buffer byte by byte is a call per byte in the launcher's C1-compiled code, and this runs for every byte
     * of every answer, so the bytes are copied in bulk into the window and scanned there. Safe to share on a thread
     * because the tap never calls out while it scans.
     */
    private static final int WINDOW = 8 * 1024;
    private static final ThreadLocal<byte[]> WINDOWS = ThreadLocal.withInitial(() -> new byte[WINDOW]);

    /** Feeds the bytes between position and limit; the buffer's position and contents are not changed. */
    public void scan(ByteBuffer buf) {
        if (buf.hasArray()) {
            int base = buf.arrayOffset();
            scan(buf.array(), base + buf.position(), base + buf.limit());
            return;
        }
        byte[] window = WINDOWS.get();
        int end = buf.limit();
        for (int at = buf.position(); at < end; ) {
            int n = Math.min(window.length, end - at);
            buf.get(at, window, 0, n);
            scan(window, 0, n);
            at += n;
        }
    }

    /** Feeds {@code b[from, to)}; a line may go on in the next call (even between the halves of {@code \r\n}). */
    public void scan(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            byte c = b[i];
            if (c == '\n') {
                if (sawCr) sawCr = false; // second half of \r\n: the line already ended
                else endLine();
                i++;
            } else if (c == '\r') {
                endLine();
                sawCr = true;
                i++;
            } else {
                sawCr = false;
                // The rest of the line in these bytes is appended in one copy, not byte by byte.
                int j = i + 1;
                while (j < to) {
                    byte d = b[j];
                    if (d == '\n' || d == '\r') break;
                    j++;
                }
                append(b, i, j);
                i = j;
            }
        }
    }

    /** Appends {@code b[from, to)} (no line end in it) to the current line, keeping at most what is needed. */
    private void append(byte[] b, int from, int to) {
        while (from < to) {
            int cap = lineIsTerminalData ? TERMINAL_MAX : PREFIX;
            if (lineLen >= cap) {
                lineOverflow = true;
                return;
            }
            int n = Math.min(to - from, cap - lineLen);
            if (lineLen + n > line.length) line = Arrays.copyOf(line, Math.min(cap, Math.max(line.length * 2, lineLen + n)));
            System.arraycopy(b, from, line, lineLen, n);
            lineLen += n;
            from += n;
            // Once the data line's type is readable, decide whether to keep the rest of it.
            if (!lineIsTerminalData && lineLen == PREFIX) considerTerminal();
        }
    }

    private void considerTerminal() {
        if (!startsWith("data:")) return;
        String t = dataType != null ? dataType : eventName != null ? eventName : typeOf(line, 5, lineLen);
        if (COMPLETED.equals(t) || FAILED.equals(t)) lineIsTerminalData = true;
    }

    private void endLine() {
        if (lineLen == 0 && !lineOverflow) {
            dispatch();
        } else if (startsWith("data:")) {
            int from = 5 + (lineLen > 5 && line[5] == ' ' ? 1 : 0);
            if (dataType == null) dataType = typeOf(line, from, lineLen);
            String t = dataType != null ? dataType : eventName;
            if ((COMPLETED.equals(t) || FAILED.equals(t)) && !lineOverflow) keepData(from);
        } else if (startsWith("event:")) {
            int from = 6, to = lineLen;
            while (from < to && (line[from] & 0xff) <= ' ') from++; // as String.trim: UTF-8's other bytes are >= 0x80
            while (to > from && (line[to - 1] & 0xff) <= ' ') to--;
            eventName = TypeNames.of(line, from, to);
        }
        lineLen = 0;
        lineOverflow = false;
        lineIsTerminalData = false;
        if (line.length > 4096) line = new byte[256];
    }

    private void keepData(int from) {
        int n = lineLen - from;
        if (data == null) data = new byte[Math.max(n + 1, 256)];
        if (dataLen + n + 1 > data.length) data = Arrays.copyOf(data, dataLen + n + 1);
        if (dataLen > 0) data[dataLen++] = '\n';
        System.arraycopy(line, from, data, dataLen, n);
        dataLen += n;
    }

    private void dispatch() {
        String type = dataType != null ? dataType : eventName;
        if (type != null) {
            events++;
            lastType = type;
            boolean start = CREATED.equals(type) || IN_PROGRESS.equals(type);
            if (!start && firstSignificant == null) firstSignificant = type;
            if (COMPLETED.equals(type)) {
                completed = true;
                usage = parseUsage();
            } else if (FAILED.equals(type)) {
                failed = true;
                parseFailure();
            } else if (!start) {
                if (!failed) outputBeforeFailure = true;
            }
        }
        eventName = null;
        dataType = null;
        data = null;
        dataLen = 0;
    }

    private boolean startsWith(String prefix) {
        if (lineLen < prefix.length()) return false;
        for (int i = 0; i < prefix.length(); i++) if (line[i] != prefix.charAt(i)) return false;
        return true;
    }

    /** The top-level {@code "type"} of a (possibly truncated) JSON object, or null. */
    static String typeOf(byte[] b, int from, int to) {
        String quick = leadingType(b, from, to);
        return quick != null ? quick : JsonPeek.topLevelString(b, from, to, "type");
    }

    private static final byte[] TYPE_FIRST = "{\"type\":\"".getBytes(StandardCharsets.US_ASCII);

    /**
     * The type of an event whose JSON starts with {@code {"type":"} and a plain ASCII string (how OpenAI and the
     * relay's dialects write every event), read without a JSON parser: this runs for every event. Anything else
     * (escapes, other bytes, another first field, whitespace) is null, and the parser decides.
     */
    private static String leadingType(byte[] b, int from, int to) {
        int n = TYPE_FIRST.length;
        if (to - from <= n) return null;
        for (int i = 0; i < n; i++) if (b[from + i] != TYPE_FIRST[i]) return null;
        int start = from + n;
        for (int i = start; i < to; i++) {
            byte c = b[i];
            if (c == '"') return i == start ? null : TypeNames.of(b, start, i);
            if (c == '\\' || c < 0x20) return null; // escapes, control or non-ASCII bytes: the parser's job
        }
        return null;
    }

    /**
     * The names of event types, shared by every stream: each event's type is read as a string (every event of every
     * answer), and a stream has a handful of types, so the same few strings are made again and again. A small table
     * keyed by the bytes hands back the string made last time. Races between streams are harmless (a slot holds an
     * immutable string; a lost or overwritten slot only means a new string); names that are long or not plain ASCII
     * are not kept.
     */
    static final class TypeNames {
        private static final int SLOTS = 64; // a power of two
        private static final int LONGEST = 64;
        private static final String[] TABLE = new String[SLOTS];

        private TypeNames() {}

        /** The text of the ASCII bytes {@code b[from, to)} (UTF-8 otherwise). */
        static String of(byte[] b, int from, int to) {
            int n = to - from;
            if (n > LONGEST) return new String(b, from, n, StandardCharsets.UTF_8);
            int h = 0;
            for (int i = from; i < to; i++) {
                if (b[i] < 0) return new String(b, from, n, StandardCharsets.UTF_8);
                h = 31 * h + b[i];
            }
            int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
            String known = TABLE[slot];
            if (known != null && same(known, b, from, n)) return known;
            String made = new String(b, from, n, StandardCharsets.US_ASCII);
            TABLE[slot] = made;
            return made;
        }

        private static boolean same(String s, byte[] b, int from, int n) {
            if (s.length() != n) return false;
            for (int i = 0; i < n; i++) if (s.charAt(i) != b[from + i]) return false;
            return true;
        }
    }

    private JsonNode dataJson() {
        if (data == null) return null;
        try {
            return JSON.readTree(data, 0, dataLen);
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * The usage of {@code response.completed}, read with a streaming parser: that event carries the whole response
     * (every output item), and building a tree of it for four numbers was the most allocation per request. The rest
     * of the JSON is still read to its end, so malformed data gives no usage, as before.
     */
    private Usage parseUsage() {
        if (data == null) return null;
        try (JsonParser p = JSON_FACTORY.createParser(data, 0, dataLen)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            Usage found = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if ("response".equals(name) && v == JsonToken.START_OBJECT) {
                    found = null;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String inner = p.currentName();
                        JsonToken iv = p.nextToken();
                        if ("usage".equals(inner)) found = iv == JsonToken.START_OBJECT ? readUsage(p) : null;
                        else p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
            }
            while (p.nextToken() != null) {
                // to the end: malformed data anywhere means no usage
            }
            return found;
        } catch (Exception malformed) {
            return null;
        }
    }

    /** The usage object the parser is at (its START_OBJECT read); leaves the parser at its END_OBJECT. */
    private static Usage readUsage(JsonParser p) throws java.io.IOException {
        Long input = null, cached = null, output = null, reasoning = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "input_tokens" -> input = num(p, v);
                case "output_tokens" -> output = num(p, v);
                case "input_tokens_details" -> cached = v == JsonToken.START_OBJECT ? field(p, "cached_tokens") : skip(p);
                case "output_tokens_details" -> reasoning = v == JsonToken.START_OBJECT ? field(p, "reasoning_tokens") : skip(p);
                default -> p.skipChildren();
            }
        }
        return new Usage(input, cached, output, reasoning);
    }

    /** The number {@code name} of the object the parser is at (null if absent or not a number). */
    private static Long field(JsonParser p, String name) throws java.io.IOException {
        Long out = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String n = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals(n)) out = num(p, v);
            else p.skipChildren();
        }
        return out;
    }

    private static Long skip(JsonParser p) throws java.io.IOException {
        p.skipChildren();
        return null;
    }

    private static Long num(JsonParser p, JsonToken v) throws java.io.IOException {
        if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) return p.getValueAsLong();
        p.skipChildren();
        return null;
    }

    private void parseFailure() {
        JsonNode n = dataJson();
        if (n == null) return;
        JsonNode err = n.path("response").path("error");
        if (err.isMissingNode() || err.isNull()) err = n.path("error");
        if (err.hasNonNull("code")) failureCode = err.get("code").asText();
        else if (err.hasNonNull("type")) failureCode = err.get("type").asText();
        if (err.hasNonNull("message")) failureMessage = err.get("message").asText();
    }


    /** Complete events seen so far. */
    public long events() { return events; }
    /** Type of the last complete event, or null. */
    public String lastType() { return lastType; }
    /** Type of the first complete event that is not {@code response.created}/{@code response.in_progress}, or null. */
    public String firstSignificant() { return firstSignificant; }
    /** Whether output (any event other than start and terminal ones) came before a {@code response.failed}. */
    public boolean outputBeforeFailure() { return outputBeforeFailure; }
    public boolean completed() { return completed; }
    public boolean failed() { return failed; }
    public String failureCode() { return failureCode; }
    public String failureMessage() { return failureMessage; }
    /** Usage of {@code response.completed}, or null. */
    public Usage usage() { return usage; }
}
