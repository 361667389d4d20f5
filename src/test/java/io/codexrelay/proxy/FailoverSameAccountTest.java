package io.codexrelay.proxy;

import io.codexrelay.events.FinishedRequest;
import io.codexrelay.testing.FakeUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP side of the shared failover policy's same-account retry for a connection that closed before any answer. */
class FailoverSameAccountTest {
    @TempDir Path dir;
    RelayHarness h;

    @BeforeEach
    void setUp() throws Exception { h = new RelayHarness(dir); }

    @AfterEach
    void tearDown() throws Exception { h.close(); }

    @Test
    void aConnectionClosedBeforeAnyAnswerIsRetriedOnceOnTheSameAccountThenMovesOn() throws Exception {
        h.chatgpt("A", 1, null);
        h.chatgpt("B", 2, null);
        h.startServer();
        h.fake.enqueue("tokA", FakeUpstream.drop());

        HttpResponse<String> r = h.post(RelayHarness.body("m"));

        assertThat(r.statusCode()).isEqualTo(200);
        FinishedRequest rec = h.awaitRecords(1).get(0);
        assertThat(rec.failoverChain()).containsExactly("A:connection closed", "A:200");
        assertThat(rec.account()).isEqualTo("A");
        assertThat(h.fake.received("/responses")).extracting(FakeUpstream.Received::token).containsExactly("tokA", "tokA");

        // Twice in one request: the second drop moves the request to B (one retry per account, never a loop).
        h.fake.enqueue("tokA", FakeUpstream.drop(), FakeUpstream.drop());
        HttpResponse<String> second = h.post(RelayHarness.body("m"));
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(h.awaitRecords(2).get(1).failoverChain())
                .containsExactly("A:connection closed", "A:connection closed", "B:200");
    }
}
