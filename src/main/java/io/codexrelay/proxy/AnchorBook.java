package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * What one Codex socket needs to turn an anchored request ({@code previous_response_id}) back into a full one: the
 * full input of the last completed response, the output items it produced, its id, and which upstream socket issued
 * it (only that socket can take the anchor as it is). Codex builds an anchored request as "previous input + previous
 * output + new items" (docs/websocket.md), so the expansion is exactly that and never duplicates an item. Used from
 * one request at a time (a socket runs its requests in order).
 */
final class AnchorBook {
    private ArrayNode lastInput = JsonNodeFactory.instance.arrayNode();
    private List<JsonNode> lastOutput = List.of();
    private String lastResponseId;
    private Object issuedBy;
    // The request running now.
    private ArrayNode pendingInput;
    private final List<JsonNode> pendingOutput = new ArrayList<>();

    /**
     * The full input of a request with {@code anchor} (null: not anchored) and these new {@code items}; null when the
     * anchor is not the last response this socket saw completed (nothing to expand it with).
     */
    synchronized ArrayNode fullInput(String anchor, JsonNode items) {
        ArrayNode full = JsonNodeFactory.instance.arrayNode();
        if (anchor != null) {
            if (!anchor.equals(lastResponseId)) return null;
            full.addAll(lastInput);
            full.addAll(lastOutput);
        }
        if (items != null && items.isArray()) for (JsonNode n : items) full.add(n);
        return full;
    }

    /** Whether {@code anchor} can go as it is to the upstream socket {@code link}: that socket issued it. */
    synchronized boolean heldBy(Object link, String anchor) {
        return link != null && anchor != null && anchor.equals(lastResponseId) && link == issuedBy;
    }

    /** A request with this full input starts. */
    synchronized void begin(ArrayNode fullInput) {
        pendingInput = fullInput;
        pendingOutput.clear();
    }

    /** One output item of the running request ({@code response.output_item.done}). */
    synchronized void output(JsonNode item) {
        if (item != null && !item.isMissingNode() && !item.isNull()) pendingOutput.add(item);
    }

    /** The running request completed as {@code responseId}, issued by upstream socket {@code link} (null: none). */
    synchronized void completed(String responseId, Object link) {
        if (pendingInput == null || responseId == null) return;
        lastInput = pendingInput;
        lastOutput = List.copyOf(pendingOutput);
        lastResponseId = responseId;
        issuedBy = link;
        pendingInput = null;
        pendingOutput.clear();
    }

    /** The running request did not complete: the last completed response stays the one to expand from. */
    synchronized void abandoned() {
        pendingInput = null;
        pendingOutput.clear();
    }

    /** The upstream socket that issued the last anchor is gone: from now on anchors are expanded. */
    synchronized void linkClosed(Object link) {
        if (issuedBy == link) issuedBy = null;
    }

    synchronized String lastResponseId() { return lastResponseId; }
}
