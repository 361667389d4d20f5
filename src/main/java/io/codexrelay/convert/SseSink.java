package io.codexrelay.convert;

/**
 * Where a stream converter writes the events it produces, one call per SSE event. The caller frames them
 * ({@link SseFrames#frame}) and writes them to the client or collects them.
 */
@FunctionalInterface
public interface SseSink {
    /**
     * @param event the SSE {@code event:} name, or null for a data-only event (Chat Completions chunks)
     * @param data  the {@code data:} payload, a single line (JSON, or {@code [DONE]})
     */
    void event(String event, String data);
}
