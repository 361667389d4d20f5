package io.codexrelay.convert;

import java.util.List;

/**
 * Enforces a client's stop sequences on streamed text, because the Responses API has none: Chat Completions
 * {@code stop} and Anthropic {@code stop_sequences} are applied here, on the way back.
 *
 * <p>Only the end of the text that could be the start of a stop sequence is held back, until the next delta shows
 * whether it is, so a sequence split across deltas is still found and never shown. After a match nothing more is let
 * through. One instance per stream. The upstream keeps generating until it ends (the converter cannot cancel it);
 * its usage therefore counts the tokens after the stop, as a real stop would not.
 */
final class StopSequences {
    private final List<String> stops;
    private final int holdBack;
    private final StringBuilder pending = new StringBuilder();
    private String matched;

    StopSequences(List<String> stops) {
        this.stops = stops.stream().filter(s -> s != null && !s.isEmpty()).toList();
        this.holdBack = this.stops.stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    static StopSequences none() {
        return new StopSequences(List.of());
    }

    boolean active() {
        return !stops.isEmpty();
    }

    /** The stop sequence that ended the text, or null. */
    String matched() {
        return matched;
    }

    /** The part of the text seen so far that may be shown now ("" when all is held back or after a stop). */
    String accept(String delta) {
        if (matched != null || delta == null) return "";
        if (stops.isEmpty()) return delta;
        pending.append(delta);
        int at = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
                matched = s;
            }
        }
        if (at >= 0) {
            String out = pending.substring(0, at);
            pending.setLength(0);
            return out;
        }
        int safe = pending.length() - heldSuffix();
        if (safe <= 0) return "";
        String out = pending.substring(0, safe);
        pending.delete(0, safe);
        return out;
    }

    /** The length of the longest end of the pending text that is the start of some stop sequence. */
    private int heldSuffix() {
        int n = pending.length();
        for (int len = Math.min(holdBack, n); len > 0; len--) {
            for (String s : stops) {
                if (s.length() > len && startsWithTail(s, len)) return len;
            }
        }
        return 0;
    }

    private boolean startsWithTail(String stop, int len) {
        int from = pending.length() - len;
        for (int i = 0; i < len; i++) if (pending.charAt(from + i) != stop.charAt(i)) return false;
        return true;
    }

    /** The text still held back, at the end of a text item (it cannot start a stop sequence any more). */
    String flush() {
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }

    /** Cuts a whole text at the first stop sequence (non-streaming answers). */
    static String cut(String text, List<String> stops) {
        int at = -1;
        for (String s : stops) {
            if (s == null || s.isEmpty()) continue;
            int i = text.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) at = i;
        }
        return at < 0 ? text : text.substring(0, at);
    }

    /** The stop sequence a whole text is cut at, or null. */
    static String firstIn(String text, List<String> stops) {
        int at = -1;
        String found = null;
        for (String s : stops) {
            if (s == null || s.isEmpty()) continue;
            int i = text.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
                found = s;
            }
        }
        return found;
    }
}
