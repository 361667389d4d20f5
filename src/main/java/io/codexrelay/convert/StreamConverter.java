package io.codexrelay.convert;

/**
 * Turns one upstream SSE stream into one downstream SSE stream, event by event. One instance per stream, fed in
 * order from one thread; it keeps only the small state the target dialect needs (open blocks, tool-call indexes,
 * the text of the item being built where the target format repeats it in its "done" event).
 */
public interface StreamConverter {
    /**
     * One upstream event. Never throws for bad upstream data: an event that is not JSON ends the stream with the
     * target dialect's error event.
     *
     * @param event the SSE event name, or null when the upstream sent only {@code data:}
     * @param data  the event's data (JSON, or {@code [DONE]})
     */
    void onEvent(String event, String data, SseSink out);

    /**
     * The upstream stream ended (closed by the upstream, or cut). When the stream did not reach its terminal event,
     * the converter writes the target dialect's error event so the client never mistakes a cut answer for a whole one.
     */
    void onEnd(SseSink out);

    /** True once the upstream's terminal event (success or failure) was converted. */
    boolean finished();
}
