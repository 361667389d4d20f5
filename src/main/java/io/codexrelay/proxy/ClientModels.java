package io.codexrelay.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.codexrelay.config.RelayConfig;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which pool model answers a model name another tool asks for ({@code clients.*} in config.toml): rules
 * {@code part=target}, first match wins, where a name containing {@code part} (any case) goes to {@code target}
 * ({@code best} / {@code fast} = {@code clients.best_model} / {@code clients.fast_model}, else a model name). Names no
 * rule matches pass unchanged, so a Chat Completions client may ask for a pool model by its own name. Built from
 * the live config per request (a handful of short strings), so a settings change applies to the next request.
 */
record ClientModels(String best, String fast, List<Rule> rules) {

    /** One rule: model names containing {@code part} (lower case) go to {@code target}. */
    record Rule(String part, String target) {}

    /** Aliases every client may ask for, besides the Claude-looking names the rules catch. */
    static final String BEST_ALIAS = "best";
    static final String FAST_ALIAS = "fast";

    /** The Claude model names listed by {@code GET /v1/models} so Claude Code's model picker finds them. */
    static final List<String> CLAUDE_NAMES = List.of("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5");

    @SuppressWarnings("unchecked")
    static ClientModels of(RelayConfig config) {
        var v = config.values();
        String best = String.valueOf(v.getOrDefault("clients.best_model", "gpt-5.1-codex"));
        String fast = String.valueOf(v.getOrDefault("clients.fast_model", "gpt-5.1-codex-mini"));
        Object raw = v.get("clients.model_rules");
        List<Rule> rules = new ArrayList<>();
        if (raw instanceof List<?> l) {
            for (Object o : l) {
                String s = String.valueOf(o);
                int eq = s.indexOf('=');
                // a rule without '=' cannot say where to go: ignored (the settings check explains the form)
                if (eq <= 0 || eq == s.length() - 1) continue;
                rules.add(new Rule(s.substring(0, eq).trim().toLowerCase(Locale.ROOT), s.substring(eq + 1).trim()));
            }
        }
        return new ClientModels(best, fast, List.copyOf(rules));
    }

    /** The pool model for a client's model name. */
    String map(String clientModel) {
        if (clientModel == null) return best;
        String lower = clientModel.toLowerCase(Locale.ROOT);
        if (lower.equals(BEST_ALIAS)) return best;
        if (lower.equals(FAST_ALIAS)) return fast;
        for (Rule r : rules) if (lower.contains(r.part())) return resolve(r.target());
        return clientModel;
    }

    private String resolve(String target) {
        if (target.equalsIgnoreCase(BEST_ALIAS)) return best;
        if (target.equalsIgnoreCase(FAST_ALIAS)) return fast;
        return target;
    }

    /**
     * The {@code GET /v1/models} answer for other tools: the pool's models, the aliases and the Claude names the rules
     * map, each entry in both OpenAI's ({@code id, object, created, owned_by}) and Anthropic's ({@code type,
     * display_name, created_at}) shape so either SDK reads the same list.
     */
    String listJson(ObjectMapper json) {
        Set<String> ids = new LinkedHashSet<>();
        ids.add(best);
        ids.add(fast);
        ids.add(BEST_ALIAS);
        ids.add(FAST_ALIAS);
        for (String c : CLAUDE_NAMES) if (!map(c).equals(c)) ids.add(c);
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (String id : ids) {
            ObjectNode m = data.addObject();
            m.put("id", id);
            m.put("object", "model");
            m.put("created", 0);
            m.put("owned_by", "codex-relay");
            m.put("type", "model");
            String target = map(id);
            m.put("display_name", target.equals(id) ? id : id + " (" + target + ")");
            m.put("created_at", "1970-01-01T00:00:00Z");
        }
        root.put("has_more", false);
        root.put("first_id", ids.iterator().next());
        root.put("last_id", new ArrayList<>(ids).get(ids.size() - 1));
        return root.toString();
    }
}
