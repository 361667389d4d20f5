package io.codexrelay.convert;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Cost of the stream converters per upstream event, on the recorded fixtures: time and bytes allocated.
 * Not a test (no assertions, no timing in the suite); run by hand:
 * {@code java -cp target/classes:target/test-classes:$(cat cp.txt) io.codexrelay.convert.ConvertBench}.
 */
public final class ConvertBench {
    private record Event(String name, String data) {}

    public static void main(String[] args) {
        UpstreamRequest chatReq = new ResponsesToChatRequest().translate(Fixtures.json("codex-request.json"));
        UpstreamRequest anthReq = new ResponsesToAnthropicRequest().translate(Fixtures.json("codex-request.json"));
        bench("Responses -> Chat chunks", "responses-stream-parallel-tools.sse",
                () -> new ResponsesToChatStream("gpt-4o", true, true, Fixtures.CLOCK));
        bench("Responses -> Anthropic events", "responses-stream-parallel-tools.sse",
                () -> new ResponsesToAnthropicStream("claude-sonnet-4-5", Fixtures.CLOCK));
        bench("Chat chunks -> Responses", "chat-upstream-stream-tools.sse",
                () -> new ChatStreamToResponses(chatReq, "gpt-5-codex", "resp_b", Fixtures.CLOCK));
        bench("Anthropic events -> Responses", "anthropic-upstream-stream-tools.sse",
                () -> new AnthropicStreamToResponses(anthReq, "gpt-5-codex", "resp_b", Fixtures.CLOCK));
        var req = Fixtures.json("anthropic-request-claude-code.json");
        var conv = new AnthropicToResponsesRequest(m -> "gpt-5-codex");
        requestBench("Anthropic request -> Responses (Claude Code shape)", () -> conv.translate(req));
        var codex = Fixtures.json("codex-request.json");
        var toChat = new ResponsesToChatRequest();
        requestBench("Codex request -> Chat request", () -> toChat.translate(codex));
        // issue 12: what a redaction rule costs per request on Codex's default model's real 69 KB request
        byte[] big = Fixtures.text("responses-request-codex-0.169.0-default-model.json").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var rules = List.of(new Redactor.Rule(java.util.regex.Pattern.compile("sk-[A-Za-z0-9]{16,}"), "<key>"),
                new Redactor.Rule(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote("ACME Corp")), "[co]"));
        requestBench("Redaction, 2 rules, no match (" + big.length / 1024 + " KiB body)", () -> Redactor.apply(big, rules));
        var matching = List.of(new Redactor.Rule(java.util.regex.Pattern.compile("Codex"), "[tool]"));
        requestBench("Redaction, 1 rule, matches (" + big.length / 1024 + " KiB body)", () -> Redactor.apply(big, matching));
        var defaultModel = Fixtures.json("responses-request-codex-0.169.0-default-model.json");
        requestBench("Codex default-model request -> Chat request", () -> toChat.translate(defaultModel));
    }

    private static void bench(String label, String fixture, Supplier<StreamConverter> factory) {
        List<Event> events = new ArrayList<>();
        SseFrames.Reader r = new SseFrames.Reader((e, d) -> events.add(new Event(e, d)));
        r.feed(Fixtures.text(fixture));
        r.end();
        SseSink sink = (e, d) -> { };
        int rounds = 20_000;
        for (int i = 0; i < rounds; i++) run(factory.get(), events, sink); // warm-up
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long bytes0 = mx.getThreadAllocatedBytes(tid);
        long t0 = System.nanoTime();
        for (int i = 0; i < rounds; i++) run(factory.get(), events, sink);
        long ns = System.nanoTime() - t0;
        long bytes = mx.getThreadAllocatedBytes(tid) - bytes0;
        long n = (long) rounds * events.size();
        System.out.printf("%-50s %3d events/stream  %6.2f us/event  %7d bytes/event%n", label, events.size(), ns / 1000.0 / n, bytes / n);
    }

    private static void run(StreamConverter c, List<Event> events, SseSink sink) {
        for (Event e : events) c.onEvent(e.name(), e.data(), sink);
        c.onEnd(sink);
    }

    private static void requestBench(String label, Runnable r) {
        int rounds = 20_000;
        for (int i = 0; i < rounds; i++) r.run();
        long t0 = System.nanoTime();
        for (int i = 0; i < rounds; i++) r.run();
        System.out.printf("%-50s %6.2f us/request%n", label, (System.nanoTime() - t0) / 1000.0 / rounds);
    }
}
