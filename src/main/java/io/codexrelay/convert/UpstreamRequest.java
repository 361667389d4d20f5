package io.codexrelay.convert;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Set;

/**
 * A Responses request (from Codex) translated for a Chat Completions or Anthropic upstream.
 *
 * @param body        the request to send upstream (always streaming)
 * @param customTools names of Codex's freeform tools ({@code apply_patch}), declared upstream as functions with a
 *                    single string argument {@code input}; the stream converter turns calls of these names back into
 *                    {@code custom_tool_call} items
 * @param localShell  whether Codex declared {@code local_shell}, declared upstream as a function of that name whose
 *                    calls come back as {@code local_shell_call} items
 * @param dropped     request fields or items the upstream cannot take, for the log
 */
public record UpstreamRequest(ObjectNode body, Set<String> customTools, boolean localShell, List<String> dropped) {
    /** The function name {@code local_shell} is declared under upstream. */
    public static final String LOCAL_SHELL = "local_shell";

    public UpstreamRequest {
        customTools = Set.copyOf(customTools);
        dropped = List.copyOf(dropped);
    }
}
