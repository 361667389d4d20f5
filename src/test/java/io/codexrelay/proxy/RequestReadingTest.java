package io.codexrelay.proxy;

import io.codexrelay.pool.Affinity;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the relay reads from requests and events without building JSON trees. */
class RequestReadingTest {
    static byte[] body(String json) { return json.getBytes(StandardCharsets.UTF_8); }

    @Test
    void threadKeyComesFromTheSessionHeaderElseThreadIdElsePromptCacheKey() {
        byte[] withKey = body("{\"model\":\"gpt-5\",\"input\":[{\"type\":\"message\",\"prompt_cache_key\":\"inner\"}],"
                + "\"prompt_cache_key\":\"pck-1\",\"stream\":true}");
        assertThat(RelayRoutes.threadKey(Map.of("session-id", "sess-1", "thread-id", "thr-1")::get, withKey)).isEqualTo("sess-1");
        assertThat(RelayRoutes.threadKey(Map.of("thread-id", "thr-1")::get, withKey)).isEqualTo("thr-1");
        assertThat(RelayRoutes.threadKey(Map.<String, String>of()::get, withKey)).isEqualTo("pck-1");
        assertThat(RelayRoutes.threadKey(Map.<String, String>of()::get, body("{\"input\":[]}"))).isNull();
        assertThat(RelayRoutes.threadKey(Map.<String, String>of()::get, body("not json"))).isNull();
        assertThat(RelayRoutes.threadKey(Map.<String, String>of()::get, body("{\"prompt_cache_key\":\"  \"}"))).isNull();
        assertThat(RelayRoutes.threadKey(Map.of("session-id", "x".repeat(500))::get, null)).hasSize(Affinity.MAX_KEY);
    }

    @Test
    void modelIsTheTopLevelStringOrNothing() {
        assertThat(RelayRoutes.modelOf(body("{\"input\":[{\"model\":\"inner\"}],\"model\":\"gpt-5\"}"))).isEqualTo("gpt-5");
        assertThat(RelayRoutes.modelOf(body("{\"model\":5}"))).isNull();
        assertThat(RelayRoutes.modelOf(body("[\"model\"]"))).isNull();
        assertThat(RelayRoutes.modelOf(new byte[0])).isNull();
    }

    @Test
    void typeOfReadsOnlyTopLevel() {
        byte[] j = "{\"item\":{\"type\":\"nested\"},\"type\":\"top\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(SseTap.typeOf(j, 0, j.length)).isEqualTo("top");
        assertThat(SseTap.typeOf(j, 0, 20)).isNull();
    }
}
