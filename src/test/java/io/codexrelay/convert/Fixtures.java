package io.codexrelay.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Recorded shapes under src/test/resources/convert/ and a driver that feeds a stream converter event by event. */
final class Fixtures {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_764_745_000L), ZoneOffset.UTC);

    /** One event a converter wrote. {@code json} is null for {@code [DONE]}. */
    record Out(String event, String data, JsonNode json) {
        String type() {
            return json == null ? null : json.path("type").asText(null);
        }
    }

    private Fixtures() {}

    static String text(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/convert/" + name)) {
            if (in == null) throw new IllegalArgumentException("no fixture " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String name) {
        try {
            return JSON.readTree(text(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Feeds the recorded stream to the converter in chunks of {@code chunk} characters, then ends it. */
    static List<Out> run(StreamConverter converter, String sseFixture, int chunk) {
        List<Out> out = new ArrayList<>();
        SseSink sink = (event, data) -> out.add(new Out(event, data, "[DONE]".equals(data) ? null : parse(data)));
        SseFrames.Reader reader = new SseFrames.Reader((event, data) -> converter.onEvent(event, data, sink));
        String all = text(sseFixture);
        for (int i = 0; i < all.length(); i += chunk) reader.feed(all.substring(i, Math.min(all.length(), i + chunk)));
        reader.end();
        converter.onEnd(sink);
        return out;
    }

    static List<Out> run(StreamConverter converter, String sseFixture) {
        return run(converter, sseFixture, Integer.MAX_VALUE);
    }

    static List<String> types(List<Out> out) {
        return out.stream().map(o -> o.event() != null ? o.event() : o.type()).collect(Collectors.toList());
    }
}
