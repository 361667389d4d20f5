package io.codexrelay.sync;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/**
 * The little WebDAV the sync needs, on the JDK's HttpClient: GET the file with its ETag, PUT it back only if it is
 * still the version read ({@code If-Match}; {@code If-None-Match: *} when there was none, so two first pushes cannot
 * both win), and MKCOL the folder when it is missing. Works with Nextcloud, ownCloud, Apache mod_dav and other shares.
 * The password goes only into the Authorization header; no message here ever shows it.
 */
public final class WebDav {

    /** The remote file: its bytes and ETag, or absent. */
    public record Remote(byte[] body, String etag) {
        public boolean exists() { return body != null; }
    }

    /** A failure with a message for the user (URL without credentials, HTTP status, what to do). */
    public static class WebDavException extends IOException {
        public WebDavException(String message) { super(message); }
    }

    /** Someone else wrote the file since we read it (HTTP 412). */
    public static final class Conflict extends WebDavException {
        public Conflict(String message) { super(message); }
    }

    private final HttpClient http;
    private final URI file;
    private final String authorization;
    private final Duration timeout;

    public WebDav(URI file, String user, String password, Duration timeout) {
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
        this.file = file;
        this.timeout = timeout;
        this.authorization = user == null || user.isEmpty() ? null : "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8));
    }

    public Remote get() throws IOException {
        HttpResponse<byte[]> r = send(request(file).GET(), "GET");
        if (r.statusCode() == 404) return new Remote(null, null);
        if (r.statusCode() != 200) throw failure("GET", r.statusCode());
        return new Remote(r.body(), r.headers().firstValue("ETag").orElse(null));
    }

    /**
     * Writes the file if it is still at {@code expectedEtag} (null: only if it does not exist yet). Returns the new
     * ETag (null when the server sent none). A {@link Conflict} means: read again, merge, try again.
     */
    public String put(byte[] body, String expectedEtag) throws IOException {
        for (int attempt = 0; ; attempt++) {
            HttpRequest.Builder b = request(file).PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                    .header("Content-Type", "application/octet-stream");
            // If-Match compares strongly (RFC 9110), so a weak ETag (Apache marks one weak when the file changed within
            // the same second) can never match: then the write goes without the precondition rather than failing.
            if (expectedEtag != null) {
                if (!expectedEtag.startsWith("W/")) b.header("If-Match", expectedEtag);
            } else {
                b.header("If-None-Match", "*");
            }
            HttpResponse<byte[]> r = send(b, "PUT");
            int s = r.statusCode();
            if (s == 200 || s == 201 || s == 204) return r.headers().firstValue("ETag").orElse(null);
            if (s == 412) throw new Conflict("The shared accounts file at " + where() + " changed while this machine synced.");
            if (s == 409 && attempt == 0) {   // the folder is missing: create it once, then try again
                mkcol(parent(file));
                continue;
            }
            throw failure("PUT", s);
        }
    }

    private void mkcol(URI folder) throws IOException {
        HttpResponse<byte[]> r = send(request(folder).method("MKCOL", HttpRequest.BodyPublishers.noBody()), "MKCOL");
        if (r.statusCode() != 201 && r.statusCode() != 405) throw failure("MKCOL", r.statusCode());
    }

    private HttpRequest.Builder request(URI u) {
        HttpRequest.Builder b = HttpRequest.newBuilder(u).timeout(timeout);
        if (authorization != null) b.header("Authorization", authorization);
        return b;
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder b, String method) throws IOException {
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new WebDavException(method + " " + where() + " failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")") + ". Check sync.url and that the server is reachable.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WebDavException(method + " " + where() + " was interrupted.");
        }
    }

    private WebDavException failure(String method, int status) {
        String hint = switch (status) {
            case 401 -> "the server refused the user name or password: check sync.user and the password (sync.password_env)";
            case 403 -> "the server forbids this: check the share's permissions";
            case 404, 409 -> "the folder does not exist: check sync.url";
            case 405 -> "the server does not allow " + method + " here: is sync.url a WebDAV address?";
            case 507 -> "the share is full";
            default -> "see the server's log";
        };
        return new WebDavException(method + " " + where() + " answered HTTP " + status + ": " + hint + ".");
    }

    /** The file's URL without any user info, for messages. */
    String where() {
        return file.getScheme() + "://" + file.getHost() + (file.getPort() > 0 ? ":" + file.getPort() : "") + file.getRawPath();
    }

    static URI parent(URI u) {
        String p = u.getRawPath();
        int slash = p.lastIndexOf('/', p.endsWith("/") ? p.length() - 2 : p.length() - 1);
        return u.resolve(p.substring(0, slash + 1));
    }
}
