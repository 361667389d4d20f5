package io.codexrelay.convert;

import java.util.function.BiConsumer;

/**
 * Writes and reads the SSE wire format. {@link Reader} splits an upstream byte/char stream into events incrementally:
 * chunks may end anywhere, even inside a line; only the current event's lines are held.
 */
public final class SseFrames {
    private SseFrames() {}

    /** One SSE event as text: {@code event: name\ndata: data\n\n} (no event line when name is null). */
    public static String frame(String event, String data) {
        StringBuilder b = new StringBuilder((event == null ? 0 : event.length() + 8) + data.length() + 8);
        if (event != null) b.append("event: ").append(event).append('\n');
        return b.append("data: ").append(data).append("\n\n").toString();
    }

    /** Incremental SSE parser: feed text as it arrives; each complete event goes to the listener (name, data). */
    public static final class Reader {
        private final BiConsumer<String, String> listener;
        private final StringBuilder line = new StringBuilder(256);
        private final StringBuilder data = new StringBuilder(256);
        private String event;
        private boolean hasData;
        private boolean lastWasCr;

        public Reader(BiConsumer<String, String> listener) {
            this.listener = listener;
        }

        public void feed(CharSequence chunk) {
            for (int i = 0, n = chunk.length(); i < n; i++) {
                char c = chunk.charAt(i);
                if (c == '\n' && lastWasCr) {
                    lastWasCr = false;
                    continue;
                }
                lastWasCr = c == '\r';
                if (c == '\n' || c == '\r') endLine();
                else line.append(c);
            }
        }

        /** The stream ended: an event without its closing blank line is still delivered (servers forget it). */
        public void end() {
            if (line.length() > 0) endLine();
            dispatch();
        }

        private void endLine() {
            if (line.length() == 0) {
                dispatch();
                return;
            }
            int colon = indexOf(line, ':');
            String field = colon < 0 ? line.toString() : line.substring(0, colon);
            int valueStart = colon < 0 ? line.length() : colon + 1;
            if (valueStart < line.length() && line.charAt(valueStart) == ' ') valueStart++;
            if (field.equals("data")) {
                if (hasData) data.append('\n');
                data.append(line, valueStart, line.length());
                hasData = true;
            } else if (field.equals("event")) {
                event = line.substring(valueStart);
            } // comments (":") and id/retry are not needed by any converter
            line.setLength(0);
        }

        private void dispatch() {
            if (hasData) listener.accept(event, data.toString());
            event = null;
            hasData = false;
            data.setLength(0);
        }

        private static int indexOf(CharSequence s, char c) {
            for (int i = 0; i < s.length(); i++) if (s.charAt(i) == c) return i;
            return -1;
        }
    }
}
