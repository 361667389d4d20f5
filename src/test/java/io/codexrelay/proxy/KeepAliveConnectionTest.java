package io.codexrelay.proxy;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a kept-alive Codex connection holds between requests. Jetty's default per-connection header field cache
 * (1024 entries) is a 96 KB trie on every connection that has served a request; with 1000 idle keep-alive connections
 * that was 94 MB, and it ran a relay with the launcher's 128 MB heap out of memory in the 1000-stream benchmark.
 */
class KeepAliveConnectionTest {
    @TempDir Path dir;
    RelayHarness h;

    @BeforeEach
    void setUp() throws Exception {
        h = new RelayHarness(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    @Test
    void aKeptAliveConnectionHoldsNoHeaderFieldCache() throws Exception {
        h.chatgpt("A", 1, null);
        h.startServer();
        for (int i = 0; i < 3; i++) { // one keep-alive connection (the harness's client reuses it), several requests
            assertThat(h.post(RelayHarness.body("m" + i)).statusCode()).isEqualTo(200);
        }

        List<HttpConnection> open = new ArrayList<>();
        for (EndPoint e : h.relay.connectedEndPoints()) {
            if (e.getConnection() instanceof HttpConnection c) open.add(c);
        }
        assertThat(open).as("Codex's kept-alive connections").isNotEmpty();
        for (HttpConnection c : open) {
            assertThat(c.getParser().getFieldCache().size()).as("cached header fields").isZero();
            assertThat(c.getParser().getHeaderCacheSize()).isZero();
        }
    }

    @Test
    void aKeptAliveConnectionWaitsForItsNextRequestWithTheSelectorAlreadyWatching() throws Exception {
        // Codex's connections are ReadInterestEndPoints: between requests the selector watches the socket (the close
        // watch left the read interest armed and the connection asked for it again without a second key update).
        h.chatgpt("A", 1, null);
        h.startServer();
        for (int i = 0; i < 3; i++) {
            assertThat(h.post(RelayHarness.body("m" + i)).statusCode()).isEqualTo(200);
        }
        List<ReadInterestEndPoint> open = new ArrayList<>();
        for (EndPoint e : h.relay.connectedEndPoints()) {
            assertThat(e).as("Codex's connection").isInstanceOf(ReadInterestEndPoint.class);
            open.add((ReadInterestEndPoint) e);
        }
        assertThat(open).isNotEmpty();
        for (ReadInterestEndPoint e : open) {
            // The client has the answer a moment before the relay has finished it and asked to read again (and Jetty
            // marks the endpoint fill-interested just before it asks for the read interest): wait for both.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!(e.isFillInterested() && e.readInterestDesired()) && System.nanoTime() < deadline) Thread.sleep(5);
            assertThat(e.isFillInterested()).as("its connection waits to read").isTrue();
            assertThat(e.readInterestDesired()).as("watched for its next request").isTrue();
        }
    }

    /**
     * The upstream side is kept alive too: requests one after another on one account go over one upstream connection
     * (a new TCP connection per request would cost the relay a connect and a socket per request, which nginx, with
     * {@code keepalive} to its upstream, does not pay).
     */
    @Test
    void requestsOneAfterAnotherReuseOneUpstreamConnection() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        Server upstream = new Server();
        ServerConnector connector = new ServerConnector(upstream);
        connector.setHost("127.0.0.1");
        connector.addEventListener(new Connection.Listener() {
            @Override public void onOpened(Connection connection) { opened.incrementAndGet(); }
        });
        upstream.addConnector(connector);
        upstream.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Source.consumeAll(request, Callback.NOOP);
                response.setStatus(200);
                response.getHeaders().put("content-type", "text/event-stream");
                String sse = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n"
                        + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"hi\"}\n\n"
                        + "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\","
                        + "\"usage\":{\"input_tokens\":1,\"output_tokens\":1,\"total_tokens\":2}}}\n\n";
                Content.Sink.write(response, true, sse, callback);
                return true;
            }
        });
        upstream.start();
        try {
            h.apiKey("K", 1, "http://127.0.0.1:" + connector.getLocalPort() + "/v1", null);
            h.startServer();
            for (int i = 0; i < 5; i++) {
                var r = h.post(RelayHarness.body("m" + i));
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("response.completed");
                // The relay answers as soon as it read the last event; Jetty's client puts the connection back in
                // its pool a moment later (a full run once saw the next request start in between and open a second
                // connection). Codex's requests are seconds apart; give the pool that moment.
                Thread.sleep(100);
            }
            assertThat(opened.get()).as("upstream connections opened for 5 requests in a row").isEqualTo(1);
        } finally {
            upstream.stop();
        }
    }
}
