package io.codexrelay.proxy;

import java.util.function.Function;

/**
 * One request's way to an account's upstream, as seen by a {@link SocketRequest}: an upstream WebSocket
 * ({@link UpstreamSocketLink}) or an HTTP SSE exchange ({@link SseLeg}) whose events become frames. Either way the
 * request sees the same three things, in canonical form: events (JSON, one per call), a refusal before any event, or
 * the end of the transport.
 */
interface UpstreamLeg {

    /** Ready for the next event (the previous one has gone out to Codex): backpressure. */
    void demand();

    /** Gives up on this request's exchange (failover, Codex gone). */
    void abort(Throwable why);

    /** What a leg reports to the request it carries; called on the transport's threads, one call at a time. */
    interface Listener {
        /** The upstream's answer headers (HTTP legs): its quota headers reach the pool at once. */
        default void onHeaders(Function<String, String> headers) { }

        /** One event (a Responses event's JSON, or an error frame). */
        void onEvent(String json);

        /** The upstream refused before any event: an HTTP status (upgrade refused, or a non-2xx SSE answer). */
        void onRefused(int status, Function<String, String> headers, byte[] body);

        /** The transport ended or failed (null: ended normally, e.g. an SSE stream's end). */
        void onGone(Throwable cause);
    }
}
