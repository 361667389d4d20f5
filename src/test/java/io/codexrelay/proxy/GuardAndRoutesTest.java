package io.codexrelay.proxy;

import io.codexrelay.config.ClientKey;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Who may talk to the relay, and what the relay's own routes answer. */
class GuardAndRoutesTest {
    @TempDir Path dir;
    RelayHarness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new RelayHarness(dir);
        h.chatgpt("A", 1, null);
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    /** One raw HTTP/1.1 exchange, so that the Host header can be anything. */
    static String raw(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) got.write(buf, 0, n);
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    private String postWithHost(String host) throws Exception {
        String body = "{}";
        return raw(h.relay.port(), "POST /v1/responses HTTP/1.1\r\nHost: " + host + "\r\n" + ClientKey.HEADER + ": " + h.key.value()
                + "\r\ncontent-type: application/json\r\ncontent-length: " + body.length() + "\r\nconnection: close\r\n\r\n" + body);
    }

    @Test
    void requestWithoutTheClientKeyIsRefusedWithWhatToDo() throws Exception {
        h.startServer();
        HttpResponse<String> r = h.send(h.request("/v1/responses").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(r.statusCode()).isEqualTo(401);
        var err = RelayErrors.JSON.readTree(r.body()).get("error");
        assertThat(err.get("type").asText()).isEqualTo("relay_missing_key");
        assertThat(err.get("message").asText()).contains("codex-relay codex on");
        assertThat(h.fake.received()).isEmpty();
    }

    @Test
    void requestWithAWrongClientKeyIsRefused() throws Exception {
        h.startServer();
        HttpResponse<String> r = h.send(h.request("/v1/responses").header(ClientKey.HEADER, "crk_wrong")
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("relay_bad_key").doesNotContain(h.key.value());
        assertThat(h.fake.received()).isEmpty();
    }

    @Test
    void foreignHostIsRefusedAsDnsRebinding() throws Exception {
        h.startServer();
        String resp = postWithHost("evil.example.com:" + h.relay.port());
        assertThat(resp).startsWith("HTTP/1.1 403").contains("relay_bad_host").contains("DNS rebinding");
        assertThat(h.fake.received()).isEmpty();
        // the guard keeps the last Host with its verdict: an allowed one never lets the next, foreign one through,
        // and a refused one never refuses the allowed one after it
        String allowed = "127.0.0.1:" + h.relay.port();
        assertThat(postWithHost(allowed)).doesNotContain("relay_bad_host");
        assertThat(postWithHost("evil.example.com:" + h.relay.port())).startsWith("HTTP/1.1 403").contains("relay_bad_host");
        assertThat(postWithHost("localhost.evil.com")).startsWith("HTTP/1.1 403").contains("relay_bad_host");
        assertThat(postWithHost(allowed)).doesNotContain("relay_bad_host");
    }

    @Test
    void loopbackHostNamesAreAccepted() throws Exception {
        h.startServer();
        for (String host : new String[] {"localhost:" + h.relay.port(), "127.0.0.1:" + h.relay.port(), "[::1]:" + h.relay.port(), "127.0.0.2"}) {
            assertThat(postWithHost(host)).as(host).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void browserOriginIsRefused() throws Exception {
        h.startServer();
        HttpResponse<String> r = h.send(h.codexPost("/v1/responses", "{}").header("Origin", "https://evil.example.com"));
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).contains("relay_browser_refused");
        assertThat(h.fake.received()).isEmpty();
    }

    @Test
    void bodyOverTheLimitGets413AndNothingGoesUpstream() throws Exception {
        h.withConfig(Map.of("server.max_body_mb", 1L)).startServer();
        String big = "{\"model\":\"m\",\"input\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}";
        HttpResponse<String> r = h.post(big);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).contains("relay_body_too_large").contains("max_body_mb");
        assertThat(h.fake.received()).isEmpty();
    }

    /** Sends a POST whose body follows its headers 300 ms later (after the relay could have answered); the answer. */
    private String postWithLateBody(String extraHeaders, byte[] body) throws Exception {
        try (Socket s = new Socket("127.0.0.1", h.relay.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "content-type: application/json\r\n"
                    + "content-length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(300);
            out.write(body); // a relay that answered and closed without reading makes this fail (broken pipe / reset)
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] b = new byte[8192];
            for (int n; !answer.toString(StandardCharsets.UTF_8).contains("}}") && (n = in.read(b)) > 0; ) answer.write(b, 0, n);
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void refusalsReachAClientStillSendingItsBody() throws Exception {
        h.withConfig(Map.of("server.max_body_mb", 1L)).startServer();
        byte[] big = new byte[2 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        assertThat(postWithLateBody(ClientKey.HEADER + ": " + h.key.value() + "\r\n", big))
                .startsWith("HTTP/1.1 413").contains("relay_body_too_large");
        assertThat(postWithLateBody("", "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8)))
                .startsWith("HTTP/1.1 401").contains("relay_missing_key");
        h.pool.setPaused(true);
        assertThat(postWithLateBody(ClientKey.HEADER + ": " + h.key.value() + "\r\n", new byte[512 * 1024]))
                .startsWith("HTTP/1.1 503").contains("relay_paused");
        assertThat(h.fake.received()).isEmpty();
    }

    @Test
    void chunkedBodyOverTheLimitGets413Too() throws Exception {
        h.withConfig(Map.of("server.max_body_mb", 1L)).startServer();
        byte[] chunk = new byte[256 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'x');
        var publisher = HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.SequenceInputStream(
                java.util.Collections.enumeration(java.util.Collections.nCopies(6, (InputStream) null).stream()
                        .map(x -> (InputStream) new java.io.ByteArrayInputStream(chunk)).toList())));
        HttpResponse<String> r = h.send(h.request("/v1/responses").header(ClientKey.HEADER, h.key.value()).POST(publisher));
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(h.fake.received()).isEmpty();
    }

    @Test
    void malformedJsonGoesUpstreamAsIs() throws Exception {
        h.startServer();
        String broken = "{\"model\": \"m\", \"input\": [";
        h.post(broken);
        assertThat(h.fake.received("/responses")).singleElement().satisfies(r -> assertThat(r.bodyText()).isEqualTo(broken));
    }

    @Test
    void pausedRelayAnswers503WithHowToResume() throws Exception {
        h.startServer();
        h.pool.setPaused(true);
        // Codex gets the final shape it prints at once (FaultsTest); other clients the 503 JSON error.
        HttpResponse<String> codex = h.post("{}");
        assertThat(codex.statusCode()).isEqualTo(400);
        assertThat(codex.headers().firstValue("content-type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/plain"));
        assertThat(codex.body()).contains("codex-relay resume").contains("tray");
        HttpResponse<String> r = h.send(h.request("/v1/responses").header(ClientKey.HEADER, h.key.value())
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(r.statusCode()).isEqualTo(503);
        var err = RelayErrors.JSON.readTree(r.body()).get("error");
        assertThat(err.get("type").asText()).isEqualTo("relay_paused");
        assertThat(err.get("message").asText()).contains("codex-relay resume").contains("tray");
        assertThat(h.fake.received()).isEmpty();

        h.pool.setPaused(false);
        assertThat(h.post("{}").statusCode()).isEqualTo(200);
    }

    @Test
    void healthzNeedsNoKey() throws Exception {
        h.startServer();
        HttpResponse<String> r = h.send(h.request("/healthz").GET());
        assertThat(r.statusCode()).isEqualTo(200);
        var n = RelayErrors.JSON.readTree(r.body());
        assertThat(n.get("status").asText()).isEqualTo("ok");
        assertThat(n.get("can_serve").asBoolean()).isTrue();
        assertThat(n.get("paused").asBoolean()).isFalse();
    }

    @Test
    void unknownPathIs404Json() throws Exception {
        h.startServer();
        HttpResponse<String> r = h.send(h.request("/v1/embeddings").header(ClientKey.HEADER, h.key.value())
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("content-type")).contains("application/json");
        assertThat(r.body()).contains("relay_not_found").contains("/v1/responses");
    }

    @Test
    void wrongMethodIs405() throws Exception {
        h.startServer();
        HttpResponse<String> r = h.send(h.request("/v1/responses").header(ClientKey.HEADER, h.key.value()).GET());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.body()).contains("relay_method_not_allowed").contains("Use POST on /v1/responses (this request came as GET)");
        assertThat(r.headers().firstValue("allow")).contains("POST");
    }

    @Test
    void aMethodTooLongToBePlainIsNotEchoedIn405() throws Exception {
        h.startServer();
        HttpResponse<String> r = h.send(h.request("/v1/responses").header(ClientKey.HEADER, h.key.value())
                .method("MADE-UP-METHOD-THAT-GOES-ON", HttpRequest.BodyPublishers.noBody()));
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.body()).contains("this request came as (not a plain method)").doesNotContain("MADE-UP");
    }

    @Test
    void mountedHandlerSkipsTheKeyButNotTheHostGuard() throws Exception {
        h.start();
        h.relay.mount("/_relay/admin", new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.setStatus(200);
                Content.Sink.write(response, true, "admin:" + request.getHttpURI().getPath(), callback);
                return true;
            }
        });
        h.startServer();

        HttpResponse<String> ok = h.send(h.request("/_relay/admin/status").GET());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("admin:/_relay/admin/status");

        String refused = raw(h.relay.port(), "GET /_relay/admin/status HTTP/1.1\r\nHost: rebind.example\r\nconnection: close\r\n\r\n");
        assertThat(refused).startsWith("HTTP/1.1 403").contains("relay_bad_host");

        HttpResponse<String> origin = h.send(h.request("/_relay/admin/status").header("Origin", "http://x.example").GET());
        assertThat(origin.statusCode()).isEqualTo(403);

        // A path that only shares the prefix's first letters is not the admin API.
        HttpResponse<String> other = h.send(h.request("/_relay/administrator").GET());
        assertThat(other.statusCode()).isEqualTo(404);
    }

    /**
     * The relay's own routes run on the selector thread (the handler tree is non-blocking); a mounted handler that
     * blocks (the admin API reads its body the blocking way) must run elsewhere: on the selector, a blocking read of a
     * body that arrives in two parts would wait for bytes only the selector itself can read, and never answer.
     */
    @Test
    void theHandlerTreeIsNonBlockingAndABlockingMountedHandlerStillReadsItsBody() throws Exception {
        h.start();
        h.relay.mount("/_relay/admin", new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                // A handler that runs inline on the selector thread runs inside the selector's produce-consume step
                boolean onSelector = java.util.Arrays.stream(Thread.currentThread().getStackTrace())
                        .anyMatch(f -> f.getClassName().endsWith("AdaptiveExecutionStrategy") && f.getMethodName().equals("pcRunTask"));
                String body = Content.Source.asString(request, StandardCharsets.UTF_8); // blocks until the body is in
                response.getHeaders().put("x-on-selector", Boolean.toString(onSelector));
                response.setStatus(200);
                Content.Sink.write(response, true, "read:" + body, callback);
                return true;
            }
        });
        h.startServer();
        assertThat(h.relay.invocationType()).isEqualTo(org.eclipse.jetty.util.thread.Invocable.InvocationType.NON_BLOCKING);

        try (Socket s = new Socket("127.0.0.1", h.relay.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /_relay/admin/echo HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-length: 10\r\n"
                    + "connection: close\r\n\r\nfirst").getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(300); // the handler is running (and reading) before the rest of the body is sent
            out.write("-half".getBytes(StandardCharsets.UTF_8));
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 200").contains("x-on-selector: false").endsWith("read:first-half");
        }
    }

    @Test
    void nonLoopbackListenNeedsAllowRemote() throws Exception {
        h.withConfig(Map.of("server.listen", "0.0.0.0")).start();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.relay.start())
                .hasMessageContaining("allow_remote");
    }

    @Test
    void guardUnitRules() {
        assertThat(RequestGuard.hostOnly("LOCALHOST:17771")).isEqualTo("localhost");
        assertThat(RequestGuard.hostOnly("[::1]:17771")).isEqualTo("::1");
        assertThat(RequestGuard.hostOnly("127.0.0.1")).isEqualTo("127.0.0.1");
        assertThat(RequestGuard.hostOnly("a:b:c")).isNull();
        assertThat(RequestGuard.hostOnly("localhost:abc")).isNull();
        assertThat(RequestGuard.isLoopbackName("127.255.0.1")).isTrue();
        assertThat(RequestGuard.isLoopbackName("128.0.0.1")).isFalse();
        assertThat(RequestGuard.isLoopbackName("127.0.0.1.evil.com")).isFalse();
        assertThat(RequestGuard.isLoopbackName("localhost.evil.com")).isFalse();
        assertThat(RequestGuard.isLoopbackPeer("127.0.0.1")).isTrue();
        assertThat(RequestGuard.isLoopbackPeer("[::1]")).isTrue();
        assertThat(RequestGuard.isLoopbackPeer("10.0.0.5")).isFalse();
        assertThat(RequestGuard.isLoopbackPeer("localhost")).isFalse(); // names are never resolved
        var strict = new RequestGuard(false, null);
        var remote = new RequestGuard(true, null);
        assertThat(strict.hostAllowed("192.168.1.10:17771")).isFalse();
        assertThat(remote.hostAllowed("192.168.1.10:17771")).isTrue();
        assertThat(remote.hostAllowed("rebind.example")).isFalse();
    }
}
