package io.codexrelay.proxy;

import io.codexrelay.config.ClientKey;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

import java.net.InetAddress;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who may talk to the relay. Every request: the peer is on this machine (unless {@code server.allow_remote}), the
 * {@code Host} is a loopback name (a web page that re-pointed its own DNS name at 127.0.0.1 is refused: DNS
 * rebinding), and no browser {@code Origin} is present. Proxied requests also carry the client key.
 * Each refusal says what to do.
 */
public final class RequestGuard {

    /** Why a request is refused: HTTP status, error type, and a message that says what to do. */
    public record Refusal(int status, String type, String message) {}

    private final boolean allowRemote;
    private final ClientKey clientKey;
    /** Further keys the relay accepts (per-tool keys, named Codex homes, {@code codex-relay run} processes). */
    private final java.util.function.Predicate<String> otherKeys;

    public RequestGuard(boolean allowRemote, ClientKey clientKey) {
        this(allowRemote, clientKey, k -> false);
    }

    public RequestGuard(boolean allowRemote, ClientKey clientKey, java.util.function.Predicate<String> otherKeys) {
        this.allowRemote = allowRemote;
        this.clientKey = clientKey;
        this.otherKeys = otherKeys;
    }

    /*
     * The peer address and the Host header are the same on nearly every request (Codex on 127.0.0.1), and checking
     * them parses addresses: each check keeps its last value with the verdict.
     */
    private final LastVerdict peerCheck = new LastVerdict(RequestGuard::isLoopbackPeer);
    private final LastVerdict hostCheck = new LastVerdict(this::hostAllowed);

    /** Peer, Host and Origin checks (every route). Null when the request may pass. */
    public Refusal checkSource(Request request) {
        if (!allowRemote && !peerCheck.test(Request.getRemoteAddr(request))) {
            return new Refusal(403, "relay_remote_refused",
                    "codex-relay only answers programs on this machine. To serve other machines set server.allow_remote = true "
                            + "and server.listen in ~/.codex-relay/config.toml (every request still needs the client key).");
        }
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (!hostCheck.test(host)) {
            return new Refusal(403, "relay_bad_host",
                    "codex-relay only answers to a loopback Host (localhost, 127.0.0.1, [::1]); this request came for '"
                            + (host == null ? "" : host) + "', which looks like DNS rebinding from a web page. "
                            + "Point Codex at http://127.0.0.1:<port>/v1 (run `codex-relay codex on`).");
        }
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null) {
            return new Refusal(403, "relay_browser_refused",
                    "codex-relay refuses requests from web pages (Origin: " + origin + "). Only Codex and the codex-relay "
                            + "command talk to it.");
        }
        return null;
    }

    /** A pure check of a string that keeps its last value and verdict (a race only means checking again). */
    private static final class LastVerdict {
        private record Checked(String value, boolean ok) {}

        private final java.util.function.Predicate<String> check;
        private volatile Checked last = new Checked(null, false);

        LastVerdict(java.util.function.Predicate<String> check) { this.check = check; }

        boolean test(String value) {
            Checked c = last;
            if (value != null && value.equals(c.value())) return c.ok();
            boolean ok = check.test(value);
            last = new Checked(value, ok);
            return ok;
        }
    }

    /** The client-key check of proxied routes. Null when the key is right. */
    public Refusal checkKey(Request request) {
        String presented = request.getHeaders().get(ClientKey.HEADER);
        if (presented == null || presented.isBlank()) {
            return new Refusal(401, "relay_missing_key",
                    "This request carries no " + ClientKey.HEADER + " header. Run `codex-relay codex on` so Codex sends the "
                            + "relay's client key (it goes into Codex's provider entry as a static header).");
        }
        if (!clientKey.matches(presented) && !otherKeys.test(presented)) {
            return new Refusal(401, "relay_bad_key",
                    "The " + ClientKey.HEADER + " header does not match this relay's client key. Run `codex-relay codex on` "
                            + "again to refresh Codex's provider entry.");
        }
        String process = request.getHeaders().get(ClientKeys.PROCESS_HEADER);
        if (process != null && !process.isBlank() && !otherKeys.test(process.trim())) {
            // Never fall back to the pool's choice: the process was started to be served by one account.
            return new Refusal(401, "relay_bad_process_key",
                    "This process's codex-relay key (" + ClientKeys.PROCESS_ENV + ", set by `codex-relay run`) is no longer "
                            + "active: its `codex-relay run` has ended. Start the command again with `codex-relay run`, "
                            + "or unset " + ClientKeys.PROCESS_ENV + " to use the pool's choice.");
        }
        return null;
    }

    /** The key another tool presented: x-relay-key, x-api-key, or a Bearer token; null if none. */
    static String toolKeyOf(java.util.function.Function<String, String> header) {
        for (String name : new String[] {ClientKey.HEADER, "x-api-key"}) {
            String v = header.apply(name);
            if (v != null && !v.isBlank()) return v.trim();
        }
        String auth = header.apply("authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && !auth.substring(7).isBlank()) {
            return auth.substring(7).trim();
        }
        return null;
    }

    static boolean isLoopbackPeer(String addr) {
        if (addr == null || addr.isEmpty()) return false;
        String a = addr.startsWith("[") && addr.endsWith("]") ? addr.substring(1, addr.length() - 1) : addr;
        if (!isIpLiteral(a)) return false;
        try {
            return InetAddress.getByName(a).isLoopbackAddress();
        } catch (Exception e) {
            return false;
        }
    }

    /** Loopback names are always fine; with allow_remote any IP literal is too (rebinding needs a DNS name). */
    boolean hostAllowed(String hostHeader) {
        String h = hostOnly(hostHeader);
        if (h == null) return false;
        if (isLoopbackName(h)) return true;
        return allowRemote && isIpLiteral(h);
    }

    static boolean isLoopbackName(String host) {
        if (host.equals("localhost") || host.equals("localhost.") || host.equals("::1")) return true;
        String[] p = host.split("\\.", -1);
        if (p.length != 4) return false;
        try {
            int first = Integer.parseInt(p[0]);
            for (String o : p) {
                int v = Integer.parseInt(o);
                if (v < 0 || v > 255 || o.isEmpty() || o.length() > 3) return false;
            }
            return first == 127;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The host part of a Host header, lower case, without port and brackets; null if absent or malformed. */
    static String hostOnly(String hostHeader) {
        if (hostHeader == null) return null;
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.isEmpty()) return null;
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0) return null;
            String rest = h.substring(end + 1);
            if (!rest.isEmpty() && !rest.matches(":\\d{1,5}")) return null;
            return h.substring(1, end);
        }
        int colon = h.indexOf(':');
        if (colon >= 0) {
            if (h.indexOf(':', colon + 1) >= 0) return null; // bare IPv6 without brackets is not a valid Host
            if (!PORT.matcher(h.substring(colon + 1)).matches()) return null;
            h = h.substring(0, colon);
        }
        return h;
    }

    // Compiled once: these run on every request (String.matches compiles its pattern on each call).
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.%a-zA-Z0-9]+");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");

    private static boolean isIpLiteral(String s) {
        if (s.contains(":")) return IPV6_CHARS.matcher(s).matches() && s.chars().filter(c -> c == ':').count() >= 2;
        return IPV4.matcher(s).matches();
    }
}
