package io.codexrelay.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real WebDAV server for tests: Apache httpd with mod_dav / mod_dav_fs (Debian's apache2-bin, which .ci/run installs),
 * on a free loopback port, from a configuration in a temp directory, in the foreground, with Basic authentication.
 * Run as root, Apache serves as {@code nobody}, so its directories are made world-writable (they are temp dirs of the test).
 * Not found: the test is skipped on a developer machine and fails in CI ({@code CI=true}).
 */
public final class ApacheDav implements AutoCloseable {
    public static final String USER = "alice";
    public static final String PASSWORD = "dav-secret-1";

    private final Path dir;
    private final Process process;
    private final int port;

    private ApacheDav(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    public static Path binary() {
        for (String p : new String[] {"/usr/sbin/apache2", "/usr/sbin/httpd"}) if (Files.isExecutable(Path.of(p))) return Path.of(p);
        return null;
    }

    public static ApacheDav start() throws Exception {
        Path bin = binary();
        if (bin == null) throw new IllegalStateException("apache2 not installed (Debian package apache2-bin)");
        Path dir = Files.createTempDirectory("codex-relay-dav");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = Files.createDirectories(dir.resolve("data"));
        Path run = Files.createDirectories(dir.resolve("run"));
        for (Path p : new Path[] {data, run}) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxrwx"));
        byte[] sha = MessageDigest.getInstance("SHA-1").digest(PASSWORD.getBytes(StandardCharsets.UTF_8));
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, USER + ":{SHA}" + Base64.getEncoder().encodeToString(sha) + "\n");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String mods = "/usr/lib/apache2/modules/";
        boolean root = "root".equals(System.getProperty("user.name"));
        String conf = """
                ServerRoot %1$s
                ServerName 127.0.0.1
                Listen 127.0.0.1:%2$d
                PidFile %1$s/run/httpd.pid
                ErrorLog %1$s/run/error.log
                LoadModule mpm_event_module %3$smod_mpm_event.so
                LoadModule authn_core_module %3$smod_authn_core.so
                LoadModule authn_file_module %3$smod_authn_file.so
                LoadModule authz_core_module %3$smod_authz_core.so
                LoadModule authz_user_module %3$smod_authz_user.so
                LoadModule auth_basic_module %3$smod_auth_basic.so
                LoadModule dav_module %3$smod_dav.so
                LoadModule dav_fs_module %3$smod_dav_fs.so
                %4$s
                DavLockDB %1$s/run/davlock
                DocumentRoot %1$s/data
                <Directory %1$s/data>
                  Dav On
                  AuthType Basic
                  AuthName dav
                  AuthUserFile %1$s/htpasswd
                  Require valid-user
                </Directory>
                """.formatted(dir, port, mods, root ? "User nobody\nGroup nogroup" : "");
        Path confFile = dir.resolve("httpd.conf");
        Files.writeString(confFile, conf);
        Process p = new ProcessBuilder(bin.toString(), "-f", confFile.toString(), "-DFOREGROUND")
                .redirectErrorStream(true).redirectOutput(dir.resolve("run/stdout.log").toFile()).start();
        ApacheDav dav = new ApacheDav(dir, p, port);
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 100; i++) {
            if (!p.isAlive()) {
                String log = Files.exists(dir.resolve("run/error.log")) ? Files.readString(dir.resolve("run/error.log")) : "";
                dav.close();
                throw new IllegalStateException("apache2 exited: " + Files.readString(dir.resolve("run/stdout.log")) + log);
            }
            try {
                int s = http.send(HttpRequest.newBuilder(URI.create(dav.url("/"))).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (s == 401) return dav;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        dav.close();
        throw new IllegalStateException("apache2 did not answer on port " + port);
    }

    public String url(String path) { return "http://127.0.0.1:" + port + path; }

    /** The stored file (what a server admin would see), or null. */
    public byte[] stored(String path) throws IOException {
        Path f = dir.resolve("data").resolve(path.startsWith("/") ? path.substring(1) : path);
        return Files.exists(f) ? Files.readAllBytes(f) : null;
    }

    public void overwrite(String path, byte[] content) throws IOException {
        Files.write(dir.resolve("data").resolve(path.startsWith("/") ? path.substring(1) : path), content);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        process.waitFor();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
