package io.codexrelay.config;

import org.tomlj.Toml;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * API prices per model ({@code [prices."NAME"]} tables of {@code config.toml}, over the defaults shipped in the jar as
 * {@code config/default-prices.toml}), used to show what the tokens an account used would cost at API prices.
 * Kept apart from {@link ConfigSchema} because its keys are model names the user chooses, not a fixed list.
 *
 * @param entries every price, defaults first, then the user's (a user entry replaces a default of the same name)
 */
public record PriceTable(List<Entry> entries) {

    /** US dollars per million tokens: fresh input, cached input, output. */
    public record Price(double input, double cachedInput, double output) {}

    /** {@code pattern}: a model name; {@code *} stands for any text. {@code fromUser}: written in config.toml. */
    public record Entry(String pattern, Price price, boolean fromUser) {
        boolean matches(String model) {
            if (!pattern.contains("*")) return pattern.equals(model);
            String regex = java.util.Arrays.stream(pattern.split("\\*", -1)).map(java.util.regex.Pattern::quote)
                    .collect(java.util.stream.Collectors.joining(".*"));
            return model.matches(regex);
        }

        /** How specific the name is: an exact name beats any pattern, then more letters other than {@code *}. */
        int specificity() {
            return pattern.contains("*") ? pattern.replace("*", "").length() : Integer.MAX_VALUE;
        }
    }

    static final String SECTION = "prices";
    private static final Set<String> KEYS = Set.of("input", "cached_input", "output");

    public PriceTable {
        entries = List.copyOf(entries);
    }

    /** The prices shipped in the jar. */
    public static PriceTable defaults() {
        return Defaults.TABLE;
    }

    /** The price of {@code model}, or null when no entry matches. */
    public Price priceOf(String model) {
        if (model == null || model.isBlank()) return null;
        Entry best = null;
        for (Entry e : entries) {   // later entries (the user's) win ties: hence >=
            if (e.matches(model) && (best == null || e.specificity() >= best.specificity())) best = e;
        }
        return best == null ? null : best.price();
    }

    /** The defaults with the user's entries laid over them (same name: the user's replaces the default). */
    PriceTable overriddenBy(List<Entry> user) {
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : entries) byName.put(e.pattern(), e);
        for (Entry e : user) {
            byName.remove(e.pattern());   // re-added last, so it also wins a tie against another default
            byName.put(e.pattern(), e);
        }
        return new PriceTable(new ArrayList<>(byName.values()));
    }

    /**
     * Reads the {@code [prices]} tables of a parsed file. Each {@code [prices."NAME"]} needs {@code input} and
     * {@code output}; {@code cached_input} defaults to {@code input} (no discount). Errors name the line and say what to write.
     */
    static List<Entry> read(TomlParseResult toml, String source, boolean fromUser) throws ConfigException {
        List<Entry> out = new ArrayList<>();
        Object section = toml.get(List.of(SECTION));
        if (section == null) return out;
        if (!(section instanceof TomlTable prices)) {
            throw new ConfigException(where(source, toml, List.of(SECTION)) + "'prices' must be tables like [prices.\"gpt-5*\"] "
                    + "with input, cached_input and output in US dollars per million tokens.");
        }
        for (String name : prices.keySet()) {
            List<String> path = List.of(SECTION, name);
            if (!(prices.get(List.of(name)) instanceof TomlTable t)) {
                throw new ConfigException(where(source, toml, path) + "'prices." + name + "' must be a table: write [prices.\""
                        + name + "\"] followed by input = …, cached_input = …, output = … (US dollars per million tokens).");
            }
            if (name.isBlank()) throw new ConfigException(where(source, toml, path) + "a price needs a model name, like [prices.\"gpt-5*\"].");
            for (String k : t.keySet()) {
                if (!KEYS.contains(k)) {
                    throw new ConfigException(where(source, toml, List.of(SECTION, name, k)) + "unknown key '" + k + "' in [prices.\""
                            + name + "\"]; its keys are input, cached_input and output (US dollars per million tokens).");
                }
            }
            Double input = number(toml, source, t, name, "input", true);
            Double output = number(toml, source, t, name, "output", true);
            Double cached = number(toml, source, t, name, "cached_input", false);
            out.add(new Entry(name, new Price(input, cached == null ? input : cached, output), fromUser));
        }
        return out;
    }

    private static Double number(TomlParseResult toml, String source, TomlTable t, String name, String key, boolean required)
            throws ConfigException {
        Object v = t.get(List.of(key));
        List<String> path = List.of(SECTION, name, key);
        if (v == null) {
            if (!required) return null;
            throw new ConfigException(where(source, toml, List.of(SECTION, name)) + "[prices.\"" + name + "\"] needs '" + key
                    + "' (US dollars per million tokens), like " + key + " = 1.25.");
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue()) || n.doubleValue() < 0) {
            throw new ConfigException(where(source, toml, path) + "'prices.\"" + name + "\"." + key
                    + "' must be a number of US dollars per million tokens, 0 or more, like " + key + " = 1.25.");
        }
        return n.doubleValue();
    }

    private static String where(String source, TomlParseResult toml, List<String> path) {
        TomlPosition pos = toml.inputPositionOf(path);
        for (int n = path.size() - 1; pos == null && n > 0; n--) pos = toml.inputPositionOf(path.subList(0, n));
        return source + ":" + (pos == null ? "?" : pos.line()) + ": ";
    }

    /** Loaded once: the jar's file is fixed, and a mistake in it is a build error caught by the tests. */
    private static final class Defaults {
        static final PriceTable TABLE = load();

        private static PriceTable load() {
            try (InputStream in = PriceTable.class.getResourceAsStream("/config/default-prices.toml")) {
                if (in == null) throw new IllegalStateException("config/default-prices.toml is missing from the jar");
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                TomlParseResult toml = Toml.parse(text);
                if (toml.hasErrors()) throw new IllegalStateException("default-prices.toml: " + toml.errors().get(0));
                return new PriceTable(read(toml, "default-prices.toml", false));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (ConfigException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
    }
}
