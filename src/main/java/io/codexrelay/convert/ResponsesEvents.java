package io.codexrelay.convert;

import java.util.Set;

/** Facts about Responses SSE event types that the converters share. */
final class ResponsesEvents {
    /**
     * Events that only repeat what the deltas and {@code output_item.done} already said (or concern nothing a
     * client dialect shows). When the upstream names the event, converters skip it without parsing its JSON.
     */
    private static final Set<String> NOTHING_NEW = Set.of("response.content_part.added", "response.content_part.done",
            "response.output_text.done", "response.function_call_arguments.done", "response.custom_tool_call_input.done",
            "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.reasoning_text.done",
            "response.output_text.annotation.added", "response.refusal.done", "codex.rate_limits", "keepalive");

    private ResponsesEvents() {}

    static boolean carriesNothingNew(String eventName) {
        return NOTHING_NEW.contains(eventName);
    }
}
