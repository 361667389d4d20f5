package io.codexrelay.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.codexrelay.convert.AnthropicToResponsesRequest;
import io.codexrelay.convert.ChatToResponsesRequest;
import io.codexrelay.convert.ResponsesToAnthropicStream;
import io.codexrelay.convert.ResponsesToChatStream;
import io.codexrelay.convert.SseFrames;
import io.codexrelay.convert.TranslatedRequest;
import io.codexrelay.testing.FakeUpstream;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * CPU the dialect conversion adds per request, in process: parse + translate the client's request, then split the
 * canonical answer into events and convert each (what {@code ConvertingSink} does per request), against the
 * Responses pass-through which does none of it. A Claude Code-sized request (system prompt, 30 messages, 15 tools)
 * and a 40-delta answer. Run: {@code java -cp target/test-classes:target/classes:$(cat target/bench.classpath)
 * io.codexrelay.bench.DialectConversionBench}.
 */
public final class DialectConversionBench {
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        byte[] anthropic = anthropicRequest().getBytes();
        byte[] chat = chatRequest().getBytes();
        List<String> ev = new ArrayList<>(FakeUpstream.successEvents("x", 1, 1).subList(0, 3));
        for (int i = 0; i < 40; i++) ev.add(FakeUpstream.event("response.output_text.delta",
                "{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"word " + i + " \"}"));
        ev.addAll(FakeUpstream.successEvents("x", 1, 1).subList(4, 6));
        String answer = String.join("", ev);
        var anth = new AnthropicToResponsesRequest(m -> "gpt-5.1-codex");
        var chatConv = new ChatToResponsesRequest(m -> m, true);
        System.out.println("| dialect | CPU per request (µs), p50 | p90 |");
        System.out.println("|---|---|---|");
        for (int round = 0; round < 2; round++) {
            boolean print = round == 1;
            run("anthropic-messages", n, print, () -> {
                TranslatedRequest tr = anth.translate(JSON.readTree(anthropic));
                byte[] up = JSON.writeValueAsBytes(tr.body());
                var s = new ResponsesToAnthropicStream(tr.clientModel(), tr.stopSequences(), Clock.systemUTC());
                StringBuilder out = new StringBuilder();
                new SseFrames.Reader((e, d) -> s.onEvent(e, d, (name, data) -> out.append(SseFrames.frame(name, data)))).feed(answer);
                return up.length + out.length();
            });
            run("chat-completions", n, print, () -> {
                TranslatedRequest tr = chatConv.translate(JSON.readTree(chat));
                byte[] up = JSON.writeValueAsBytes(tr.body());
                var s = new ResponsesToChatStream(tr.clientModel(), true, true, tr.stopSequences(), Clock.systemUTC());
                StringBuilder out = new StringBuilder();
                new SseFrames.Reader((e, d) -> s.onEvent(e, d, (name, data) -> out.append(SseFrames.frame(name, data)))).feed(answer);
                return up.length + out.length();
            });
        }
    }

    interface Work { int run() throws Exception; }

    static void run(String name, int n, boolean print, Work w) throws Exception {
        var mx = ManagementFactory.getThreadMXBean();
        long[] ns = new long[n];
        long sink = 0;
        for (int i = 0; i < n; i++) {
            long t0 = mx.getCurrentThreadCpuTime();
            sink += w.run();
            ns[i] = mx.getCurrentThreadCpuTime() - t0;
        }
        Arrays.sort(ns);
        if (print) System.out.printf("| %s | %.1f | %.1f |%n", name, ns[n / 2] / 1000.0, ns[n * 9 / 10] / 1000.0);
        if (sink == 42) System.out.println();
    }

    static String anthropicRequest() {
        StringBuilder b = new StringBuilder("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":32000,\"stream\":true,\"system\":[{\"type\":\"text\",\"text\":\"");
        b.append("You are Claude Code. ".repeat(400)).append("\"}],\"messages\":[");
        for (int i = 0; i < 30; i++) {
            if (i > 0) b.append(',');
            b.append("{\"role\":\"").append(i % 2 == 0 ? "user" : "assistant").append("\",\"content\":[{\"type\":\"text\",\"text\":\"")
                    .append("message text ".repeat(40)).append("\"}]}");
        }
        b.append("],\"tools\":[");
        for (int i = 0; i < 15; i++) {
            if (i > 0) b.append(',');
            b.append("{\"name\":\"Tool").append(i).append("\",\"description\":\"").append("does things ".repeat(30))
                    .append("\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":\"integer\"}}}}");
        }
        return b.append("]}").toString();
    }

    static String chatRequest() throws Exception {
        JsonNode a = JSON.readTree(anthropicRequest());
        StringBuilder b = new StringBuilder("{\"model\":\"gpt-5.1-codex\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[");
        b.append("{\"role\":\"system\",\"content\":").append(JSON.writeValueAsString(a.at("/system/0/text").asText())).append('}');
        for (JsonNode m : a.path("messages")) b.append(",{\"role\":\"").append(m.path("role").asText()).append("\",\"content\":")
                .append(JSON.writeValueAsString(m.at("/content/0/text").asText())).append('}');
        b.append("],\"tools\":[");
        boolean first = true;
        for (JsonNode t : a.path("tools")) {
            if (!first) b.append(',');
            first = false;
            b.append("{\"type\":\"function\",\"function\":{\"name\":\"").append(t.path("name").asText()).append("\",\"description\":")
                    .append(JSON.writeValueAsString(t.path("description").asText())).append(",\"parameters\":").append(t.path("input_schema")).append("}}");
        }
        return b.append("]}").toString();
    }
}
