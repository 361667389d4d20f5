package io.codexrelay.account;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One per-account model rule: requests for a model matching {@code pattern} (a glob: {@code *} any run of
 * characters, {@code ?} one character, case-sensitive) go upstream as {@code target}. The client keeps seeing the
 * model it asked for. Written {@code pattern=target} on the command line.
 */
public record ModelRule(String pattern, String target) {

    public ModelRule {
        if (pattern == null || pattern.isBlank()) throw new IllegalArgumentException("a model rule needs a pattern, e.g. gpt-5*=deepseek-chat");
        if (target == null || target.isBlank()) throw new IllegalArgumentException("the model rule '" + pattern + "' needs a target model after '='");
        pattern = pattern.trim();
        target = target.trim();
    }

    /** Parses {@code pattern=target}; says what to write when it is malformed. */
    public static ModelRule parse(String text) {
        int eq = text == null ? -1 : text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1)
            throw new IllegalArgumentException("model rule '" + text + "' must look like PATTERN=MODEL, e.g. gpt-5*=deepseek-chat");
        return new ModelRule(text.substring(0, eq), text.substring(eq + 1));
    }

    public boolean matches(String model) {
        return model != null && glob(pattern).matcher(model).matches();
    }

    @Override public String toString() { return pattern + "=" + target; }

    /** The first matching rule's target, or null when no rule matches. */
    public static String apply(List<ModelRule> rules, String model) {
        if (rules == null) return null;
        for (ModelRule r : rules) if (r.matches(model)) return r.target();
        return null;
    }

    /** Whether an account with these rules serves {@code model}: no rules serve every model, else one must match. */
    public static boolean serves(List<ModelRule> rules, String model) {
        return rules == null || rules.isEmpty() || model == null || apply(rules, model) != null;
    }

    private static Pattern glob(String g) {
        StringBuilder re = new StringBuilder();
        for (char c : g.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
