package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.time.Instant;

/** The relay's own JSON answers: {@code {"error":{"type":"relay_...","message":"<what to do>"}}}. */
public final class RelayErrors {
    static final ObjectMapper JSON = new ObjectMapper();

    private RelayErrors() {}

    public static String body(String type, String message) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("type", type);
        err.put("message", message);
        return root.toString();
    }

    /**
     * The 429 Codex understands as "usage limit reached, try again at ..." (it does not retry it blindly).
     * {@code resetsAt} may be null when no account has a known return time.
     */
    public static String usageLimit(String message, Instant resetsAt, Instant now) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("type", "usage_limit_reached");
        err.put("message", message);
        if (resetsAt != null) {
            err.put("resets_at", resetsAt.getEpochSecond());
            err.put("resets_in_seconds", Math.max(0, resetsAt.getEpochSecond() - now.getEpochSecond()));
        }
        return root.toString();
    }

    /**
     * The SSE bytes that end a committed stream the relay could not finish: a {@code response.failed} with the
     * retryable code {@code server_error} (Codex 0.169 retries the turn and, when its retries fail too, prints
     * {@code message}). Starts with blank lines so that an event the cut left half-written is ended first.
     */
    static byte[] streamFailedEvent(String message) {
        ObjectNode ev = JSON.createObjectNode();
        ev.put("type", "response.failed");
        ObjectNode resp = ev.putObject("response");
        resp.put("id", "resp_relay_cut");
        resp.put("status", "failed");
        ObjectNode err = resp.putObject("error");
        err.put("code", "server_error");
        err.put("message", message);
        return ("\n\nevent: response.failed\ndata: " + ev + "\n\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Whether a request comes from the Codex CLI (its {@code originator} header, or a {@code codex} user agent): such a
     * client gets {@link #writeFinal final} answers in the one shape it prints without retrying.
     */
    static boolean fromCodex(org.eclipse.jetty.http.HttpFields headers) {
        String originator = headers.get("originator");
        if (originator != null && originator.toLowerCase(java.util.Locale.ROOT).startsWith("codex")) return true;
        String ua = headers.get(HttpHeader.USER_AGENT);
        return ua != null && ua.toLowerCase(java.util.Locale.ROOT).startsWith("codex");
    }

    /**
     * A refusal the client should not retry (the relay is paused, the request's time is up): Codex retries every 4xx
     * but 400 and 429 five times (seen with 0.169.0: about 10 s of "Reconnecting... n/5" before the message), and prints
     * a 400's body as it is, so Codex gets 400 with the message as plain text; other clients get {@code status} and
     * the relay's JSON error.
     */
    static void writeFinal(org.eclipse.jetty.http.HttpFields requestHeaders, Response response, int status, String type,
                           String message, Callback callback) {
        if (fromCodex(requestHeaders)) {
            response.setStatus(400);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.getHeaders().put("x-relay-error", type);
            Content.Sink.write(response, true, message, callback);
        } else {
            write(response, status, type, message, callback);
        }
    }

    public static void write(Response response, int status, String json, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Content.Sink.write(response, true, json, callback);
    }

    public static void write(Response response, int status, String type, String message, Callback callback) {
        write(response, status, body(type, message), callback);
    }
}
