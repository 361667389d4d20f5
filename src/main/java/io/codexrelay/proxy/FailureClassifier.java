package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.pool.FailureClass;
import io.codexrelay.pool.QuotaHeaders;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/** Turns what an upstream answered (status + body, an early {@code response.failed}, a transport error) into a verdict. */
public final class FailureClassifier {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FailureClassifier() {}

    /**
     * {@code cause} null means the answer is a success. {@code until}: when the upstream said the account comes back.
     * {@code outcome}: the failover-chain entry after "account:" ("429 usage_limit_reached"). {@code reason}: a short
     * phrase for people ("usage limit reached"). {@code planType}: the plan a usage-limit answer names, else null.
     */
    public record Verdict(FailureClass cause, Instant until, String outcome, String reason, String planType) {
        public Verdict(FailureClass cause, Instant until, String outcome, String reason) {
            this(cause, until, outcome, reason, null);
        }

        public boolean failsOver() { return cause != null && cause.failsOver(); }
        static Verdict ok(int status) { return new Verdict(null, null, Integer.toString(status), null); }
    }

    /** Classifies a complete non-2xx answer. {@code header} looks up a response header (case-insensitive). */
    public static Verdict ofStatus(int status, Function<String, String> header, byte[] body, Instant now) {
        if (status < 300) return Verdict.ok(status);
        JsonNode err = errorNode(body);
        String code = text(err, "code");
        String type = text(err, "type");
        String kind = code != null ? code : type;
        if (status == 429) {
            if (is(kind, "usage_limit_reached") || is(type, "usage_limit_reached")) {
                Instant until = null;
                if (err != null && err.path("resets_at").canConvertToLong() && err.path("resets_at").asLong() > 0) {
                    until = Instant.ofEpochSecond(err.path("resets_at").asLong());
                } else if (err != null && err.path("resets_in_seconds").canConvertToLong()) {
                    until = now.plusSeconds(err.path("resets_in_seconds").asLong());
                } else {
                    until = quotaHeaderReset(header);
                }
                return new Verdict(FailureClass.QUOTA, until, "429 usage_limit_reached", "usage limit reached", text(err, "plan_type"));
            }
            if (is(kind, "insufficient_quota") || is(type, "insufficient_quota")) {
                return new Verdict(FailureClass.QUOTA, null, "429 insufficient_quota", "insufficient quota");
            }
            if (is(kind, "usage_not_included") || is(type, "usage_not_included")) {
                return new Verdict(FailureClass.QUOTA, null, "429 usage_not_included", "usage not included in the plan");
            }
            Instant until = null;
            String ra = header.apply("retry-after");
            if (ra != null) {
                try {
                    until = now.plusMillis((long) (Double.parseDouble(ra.trim()) * 1000));
                } catch (NumberFormatException ignored) {
                    // HTTP-date form: use the default backoff
                }
            }
            return new Verdict(FailureClass.RATE_LIMITED, until, "429" + (kind != null ? " " + kind : ""), "rate limited");
        }
        if (status == 401 && (is(kind, "invalid_api_key") || is(type, "invalid_api_key"))) {
            return new Verdict(FailureClass.KEY_REJECTED, null, "401 invalid_api_key", "the upstream rejected the API key");
        }
        if (status == 401) {
            return new Verdict(FailureClass.AUTH, null, "401" + (kind != null ? " " + kind : ""), "the upstream refused the credentials (401)");
        }
        if (status == 403 && isHtmlChallenge(header, body)) {
            return new Verdict(FailureClass.CHALLENGE, null, "403 challenge", "the upstream asked for a browser check (Cloudflare challenge)");
        }
        if (status == 400 && (is(code, "invalid_encrypted_content") || staleReasoningMessage(text(err, "message")))) {
            return new Verdict(FailureClass.STALE_REASONING, null, "400 invalid_encrypted_content", "reasoning from another account could not be verified");
        }
        if (status == 408 || status == 425 || status >= 500) {
            return new Verdict(FailureClass.TRANSIENT, null, Integer.toString(status), "upstream error " + status);
        }
        return new Verdict(FailureClass.REQUEST, null, status + (kind != null ? " " + kind : ""), "request refused by the upstream (" + status + ")");
    }

    /** Classifies a {@code response.failed} that came before any output. */
    public static Verdict ofEarlyFailure(String code, String message) {
        String outcome = "response.failed" + (code != null ? " " + code : "");
        if (code == null) return new Verdict(FailureClass.TRANSIENT, null, outcome, "the upstream failed the response");
        return switch (code) {
            case "insufficient_quota" -> new Verdict(FailureClass.QUOTA, null, outcome, "insufficient quota");
            case "usage_not_included" -> new Verdict(FailureClass.QUOTA, null, outcome, "usage not included in the plan");
            case "usage_limit_reached" -> new Verdict(FailureClass.QUOTA, null, outcome, "usage limit reached");
            case "rate_limit_exceeded" -> new Verdict(FailureClass.RATE_LIMITED, null, outcome, "rate limited");
            case "invalid_encrypted_content" -> new Verdict(FailureClass.STALE_REASONING, null, outcome, "reasoning from another account could not be verified");
            default -> code.equals("context_length_exceeded") || code.startsWith("invalid_")
                    ? new Verdict(FailureClass.REQUEST, null, outcome, "request refused by the upstream (" + code + ")")
                    : new Verdict(FailureClass.TRANSIENT, null, outcome, "the upstream failed the response (" + code + ")");
        };
    }

    /** Classifies a failure to get an answer at all (connect, TLS, timeout, reset). */
    public static Verdict ofTransport(Throwable t) {
        Throwable c = t;
        for (int i = 0; i < 8 && c != null; i++, c = c.getCause()) {
            if (c instanceof ConnectException) return transient_("connect refused", "could not connect to the upstream");
            if (c instanceof UnknownHostException) return transient_("unknown host", "the upstream host is unknown");
            if (c instanceof TimeoutException || c instanceof java.net.SocketTimeoutException) return transient_("timeout", "the upstream timed out");
            if (c instanceof javax.net.ssl.SSLException) return transient_("tls error", "TLS with the upstream failed");
            if (c instanceof ClosedChannelException || c instanceof java.io.EOFException) return transient_("connection closed", "the upstream closed the connection");
        }
        return transient_("error " + t.getClass().getSimpleName(), "transport error talking to the upstream");
    }

    private static Verdict transient_(String outcome, String reason) {
        return new Verdict(FailureClass.TRANSIENT, null, outcome, reason);
    }

    private static boolean isHtmlChallenge(Function<String, String> header, byte[] body) {
        if (header.apply("cf-mitigated") != null) return true;
        String ct = header.apply("content-type");
        if (ct != null && ct.toLowerCase().contains("text/html")) return true;
        for (byte b : body) {
            if (b == ' ' || b == '\n' || b == '\r' || b == '\t') continue;
            return b == '<';
        }
        return false;
    }

    private static boolean staleReasoningMessage(String m) {
        return m != null && m.contains("encrypted content") && m.contains("could not be verified");
    }

    private static Instant quotaHeaderReset(Function<String, String> header) {
        for (QuotaHeaders w : QuotaHeaders.WINDOWS) {
            String used = header.apply(w.usedPercent());
            String reset = header.apply(w.resetAt());
            try {
                if (used != null && reset != null && Double.parseDouble(used) >= 100) return Instant.ofEpochSecond(Long.parseLong(reset.trim()));
            } catch (NumberFormatException ignored) {
                // unreadable header: no reset known
            }
        }
        return null;
    }

    private static JsonNode errorNode(byte[] body) {
        if (body == null || body.length == 0) return null;
        try {
            JsonNode n = JSON.readTree(new String(body, StandardCharsets.UTF_8));
            if (n == null) return null;
            JsonNode e = n.get("error");
            if (e != null && e.isObject()) return e;
            return n.isObject() ? n : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static String text(JsonNode n, String field) {
        if (n == null) return null;
        JsonNode v = n.get(field);
        return v == null || v.isNull() || !v.isValueNode() ? null : v.asText();
    }

    private static boolean is(String a, String b) { return a != null && a.equals(b); }
}
