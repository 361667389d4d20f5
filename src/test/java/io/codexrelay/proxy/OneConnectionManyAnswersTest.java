package io.codexrelay.proxy;

import io.codexrelay.config.ClientKey;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several answers on one Codex connection, read off the wire. When an answer ends on the upstream's thread, that
 * thread (not a pool thread) reads Codex's next request (RelayServer's pool); and the pass-through writes every event
 * that has already arrived in one write (StreamGate). Whatever the timing, each answer must carry exactly the
 * upstream's events, in order, once, and the next request on the connection must be served, also when Codex sent it
 * before the previous answer ended (pipelined: it is already in the buffer when the answer ends).
 */
class OneConnectionManyAnswersTest {
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

    @Test
    void requestsOneAfterAnotherOnOneConnectionEachGetTheirWholeStream() throws Exception {
        h.fake.setDefault(FakeUpstream.slowSuccess("burst", 40, 0));
        h.startServer();
        try (Socket s = codexConnection()) {
            for (int i = 0; i < 20; i++) {
                s.getOutputStream().write(request("m" + i));
                s.getOutputStream().flush();
                assertWholeStream(readAnswer(s.getInputStream()), 40);
            }
        }
        assertThat(h.fake.responsesRequests()).hasSize(20);
    }

    @Test
    void pipelinedRequestsAreAllServedInOrder() throws Exception {
        h.fake.setDefault(FakeUpstream.slowSuccess("piped", 12, 1));
        h.startServer();
        try (Socket s = codexConnection()) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int i = 0; i < 5; i++) all.write(request("p" + i));
            OutputStream out = s.getOutputStream();
            out.write(all.toByteArray()); // five requests in one write
            out.flush();
            for (int i = 0; i < 5; i++) assertWholeStream(readAnswer(s.getInputStream()), 12);
        }
        List<String> models = new ArrayList<>();
        h.fake.responsesRequests().forEach(r -> models.add(r.json().path("model").asText()));
        assertThat(models).containsExactly("p0", "p1", "p2", "p3", "p4");
    }

    /**
     * Events that arrive together leave together: an upstream that sends its whole answer, 40 deltas each in its own
     * HTTP chunk, in one write (so the relay reads it in one go) is answered to Codex in one write, not 45. Without
     * the gathering the held events went out first and then every chunk on its own (45 chunks).
     */
    @Test
    void eventsThatArriveTogetherLeaveInOneWrite() throws Exception {
        java.util.List<String> events = FakeUpstream.slowSuccess("together", 40, 0).events();
        StringBuilder chunked = new StringBuilder("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
        for (String e : events) {
            int n = e.getBytes(StandardCharsets.UTF_8).length;
            chunked.append(Integer.toHexString(n)).append("\r\n").append(e).append("\r\n");
        }
        chunked.append("0\r\n\r\n");
        byte[] answer = chunked.toString().getBytes(StandardCharsets.UTF_8);
        try (java.net.ServerSocket upstream = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket c = upstream.accept()) {
                    readRequest(c.getInputStream());
                    c.getOutputStream().write(answer); // the whole answer in one write
                    c.getOutputStream().flush();
                    c.getInputStream().read(); // until the relay closes or the test ends
                } catch (IOException e) {
                    // the test ended
                }
            }, "one-write-upstream");
            t.setDaemon(true);
            t.start();
            h.apiKey("K", 0, "http://127.0.0.1:" + upstream.getLocalPort() + "/v1", null);
            h.startServer();
            try (Socket s = codexConnection()) {
                s.getOutputStream().write(request("together"));
                s.getOutputStream().flush();
                List<Integer> writes = new ArrayList<>();
                String body = readAnswer(s.getInputStream(), writes);
                assertWholeStream(body, 40);
                assertThat(writes).as("pieces of the answer to Codex (one per write: chunks, or one with a length)").hasSize(1);
            }
        }
    }

    /** One connection to the relay, as Codex keeps it, with a read timeout so a lost answer fails the test. */
    private Socket codexConnection() throws IOException {
        Socket s = new Socket("127.0.0.1", h.relay.port());
        s.setSoTimeout(20_000);
        return s;
    }

    /** Reads a request's head and its Content-Length body. */
    private static void readRequest(InputStream in) throws IOException {
        int length = 0;
        for (String l = line(in); !l.isEmpty(); l = line(in)) {
            if (l.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(l.substring(15).trim());
        }
        in.readNBytes(length);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static void assertWholeStream(String body, int deltas) throws IOException {
        List<String> types = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (String block : body.split("\n\n")) {
            for (String line : block.split("\n")) {
                if (!line.startsWith("data: ")) continue;
                var json = JSON.readTree(line.substring(6));
                types.add(json.path("type").asText());
                if ("response.output_text.delta".equals(json.path("type").asText())) text.append(json.path("delta").asText());
            }
        }
        assertThat(types.get(0)).isEqualTo("response.created");
        assertThat(types.get(types.size() - 1)).isEqualTo("response.completed");
        assertThat(types.stream().filter("response.output_text.delta"::equals).count()).isEqualTo(deltas);
        assertThat(types.stream().filter("response.completed"::equals).count()).isEqualTo(1);
        assertThat(body).endsWith("\n\n");
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < deltas; i++) expected.append('d').append(i).append(' ');
        assertThat(text.toString()).as("the deltas, each once, in order").isEqualTo(expected.toString());
    }

    private byte[] request(String model) {
        byte[] body = RelayHarness.body(model).getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:" + h.relay.port() + "\r\n"
                + "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
                + ClientKey.HEADER + ": " + h.key.value() + "\r\nsession-id: sess-pipe\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        byte[] h0 = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h0.length + body.length];
        System.arraycopy(h0, 0, out, 0, h0.length);
        System.arraycopy(body, 0, out, h0.length, body.length);
        return out;
    }

    /**
     * One HTTP/1.1 answer (status 200), its body decoded: chunked, or with a Content-Length when the upstream's whole
     * answer had arrived before the relay committed it.
     */
    private static String readAnswer(InputStream in) throws IOException {
        return readAnswer(in, new ArrayList<>());
    }

    /** As {@link #readAnswer(InputStream)}; {@code pieces} gets the size of each chunk (or of the whole body). */
    private static String readAnswer(InputStream in, List<Integer> pieces) throws IOException {
        String status = line(in);
        assertThat(status).startsWith("HTTP/1.1 200");
        boolean chunked = false;
        int length = -1;
        for (String l = line(in); !l.isEmpty(); l = line(in)) {
            String lower = l.toLowerCase();
            if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
            if (lower.startsWith("content-length:")) length = Integer.parseInt(l.substring(15).trim());
        }
        assertThat(chunked || length >= 0).as("an answer with a length or chunks").isTrue();
        if (!chunked) {
            pieces.add(length);
            return new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            int size = Integer.parseInt(line(in).trim(), 16);
            if (size == 0) {
                assertThat(line(in)).isEmpty();
                return body.toString(StandardCharsets.UTF_8);
            }
            pieces.add(size);
            body.write(in.readNBytes(size));
            assertThat(line(in)).isEmpty();
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) throw new IOException("connection closed after: " + b);
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }
}
