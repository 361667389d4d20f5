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
    void aKeySpeltWithEscapesIsStillFoundAndAnAbsentOneIsNotParsedFor() {
        // "mod\\u0065l" is "model" to a JSON parser: the byte pre-scan must not rule it out
        assertThat(RelayRoutes.modelOf(body("{\"mod\\u0065l\":\"gpt-5\"}"))).isEqualTo("gpt-5");
        assertThat(RelayRoutes.threadKey(Map.<String, String>of()::get,
                body("{\"input\":[],\"prompt_cache_k\\u0065y\":\"pck-2\"}"))).isEqualTo("pck-2");
        // the pre-scan itself: the quoted name, or any backslash-u escape, may hold the key; nothing else can
        assertThat(mayHold("{\"input\":[{\"text\":\"a model\"}]}", "model")).isFalse();
        assertThat(mayHold("{\"model\":1}", "model")).isTrue();
        assertThat(mayHold("{\"x\":\"\\u00e9\"}", "model")).isTrue();
        assertThat(mayHold("{\"models\":1}", "model")).isFalse();
        assertThat(RelayRoutes.modelOf(body("{\"input\":[{\"text\":\"a model\"}]}"))).isNull();
        // a key cut at the end of the range is not there
        byte[] cut = body("{\"a\":1,\"model\":\"x\"}");
        assertThat(JsonPeek.mayHold(cut, 0, 13, "model")).isFalse();
        assertThat(JsonPeek.mayHold(cut, 0, 14, "model")).isTrue();
    }

    @Test
    void aLeadingModelIsReadWithoutAParserAndEverythingElseAsBefore() {
        assertThat(leading("{\"model\":\"gpt-5\",\"input\":[]}")).isEqualTo("gpt-5");
        assertThat(leading(" { \"model\" : \"gpt-5\" }")).isEqualTo("gpt-5");
        assertThat(leading("{\"models\":\"x\",\"model\":\"y\"}")).isNull();
        assertThat(leading("{\"model\":\"g\\u0070t\"}")).isNull();
        assertThat(leading("{\"model\":\"gpt")).isNull();
        // the answers through the front door are the parser's, whichever path reads them
        assertThat(RelayRoutes.modelOf(body("{\"model\":\"g\\u0070t\"}"))).isEqualTo("gpt");
        assertThat(RelayRoutes.modelOf(body("{\"model\":\"gpt"))).isNull();
        assertThat(RelayRoutes.modelOf(body("{\"model\": \"gpt-5\", \"input\": []}"))).isEqualTo("gpt-5");
        assertThat(RelayRoutes.modelOf(body("{\"model\":\"modèle\"}"))).isEqualTo("modèle");
        assertThat(RelayRoutes.modelOf(body("{\"input\":[],\"model\":\"late\"}"))).isEqualTo("late");
    }

    private static String leading(String json) {
        byte[] b = body(json);
        return JsonPeek.leading(b, 0, b.length, "model");
    }

    private static boolean mayHold(String json, String field) {
        byte[] b = body(json);
        return JsonPeek.mayHold(b, 0, b.length, field);
    }

    @Test
    void typeOfReadsOnlyTopLevel() {
        byte[] j = "{\"item\":{\"type\":\"nested\"},\"type\":\"top\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(SseTap.typeOf(j, 0, j.length)).isEqualTo("top");
        assertThat(SseTap.typeOf(j, 0, 20)).isNull();
    }
}
