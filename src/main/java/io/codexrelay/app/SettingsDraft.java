package io.codexrelay.app;

import io.codexrelay.config.ConfigException;
import io.codexrelay.config.ConfigLoader;
import io.codexrelay.config.ConfigFilePatcher;
import io.codexrelay.config.ConfigSchema;
import io.codexrelay.config.RelayConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The settings window's draft: the editable state of the Relay and General tabs, without Swing (owned by {@code app},
 * so the window needs neither the schema nor the loader): the text of each field, its error as you type
 * (the schema's rules, {@link ConfigSchema.Key#parseText}), and on Apply a whole-file check through
 * {@link ConfigLoader#parse} so that rules spanning keys (listen address vs allow_remote, URLs) are the loader's own.
 */
public final class SettingsDraft {
    private final Map<String, ConfigSchema.Key> keys = new LinkedHashMap<>();
    private final Map<String, Object> baseline = new LinkedHashMap<>();
    private final Map<String, String> text = new LinkedHashMap<>();
    private final Map<String, String> errors = new LinkedHashMap<>();

    /** A form over {@code paths} (keys {@code section.name}) with the values the daemon runs with now. */
    public SettingsDraft(List<String> paths, Map<String, Object> current) {
        for (String p : paths) {
            var k = ConfigSchema.key(p).orElseThrow(() -> new IllegalArgumentException("unknown config key " + p));
            keys.put(p, k);
        }
        reset(current);
    }

    /** Takes new current values (after Apply, or Revert) and drops every edit. */
    public void reset(Map<String, Object> current) {
        baseline.clear();
        text.clear();
        errors.clear();
        for (var k : keys.values()) {
            Object v = current.getOrDefault(k.path(), k.defaultValue());
            baseline.put(k.path(), v);
            text.put(k.path(), display(v));
        }
    }

    public List<SettingKey> keys() { return keys.values().stream().map(SettingsDraft::view).toList(); }

    /** One setting as a form shows it: its type, the values it allows (null = any), help, and whether it needs a restart. */
    public record SettingKey(String path, Type type, List<String> allowed, String help, boolean restartNeeded, Object defaultValue) {}

    /** How a setting is edited. */
    public enum Type { STRING, INTEGER, BOOLEAN, FLOAT, STRING_LIST }

    /** The setting at {@code path} ({@code section.name}). */
    public static Optional<SettingKey> key(String path) { return ConfigSchema.key(path).map(SettingsDraft::view); }

    /** Every setting's default value, keyed {@code section.name}: what a window shows before the daemon answers. */
    public static Map<String, Object> defaults() { return RelayConfig.defaults().values(); }

    private static SettingKey view(ConfigSchema.Key k) {
        return new SettingKey(k.path(), Type.valueOf(k.type().name()), k.allowed(), k.help(), k.restartNeeded(), k.defaultValue());
    }
    public String text(String path) { return text.get(path); }
    public Object baseline(String path) { return baseline.get(path); }

    /** Records what the user typed and returns the problem with it, if any. */
    public Optional<String> setText(String path, String value) {
        var k = keys.get(path);
        if (k == null) throw new IllegalArgumentException("not in this form: " + path);
        text.put(path, value);
        try {
            k.parseText(value);
            errors.remove(path);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            errors.put(path, e.getMessage());
            return Optional.of(e.getMessage());
        }
    }

    public Optional<String> error(String path) { return Optional.ofNullable(errors.get(path)); }
    public Map<String, String> errors() { return Map.copyOf(errors); }
    public boolean valid() { return errors.isEmpty(); }

    /** The keys whose typed value differs from the running one, parsed. Only meaningful when {@link #valid()}. */
    public Map<String, Object> changes() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (var k : keys.values()) {
            if (errors.containsKey(k.path())) continue;
            Object v = k.parseText(text.get(k.path()));
            if (!same(k, v, baseline.get(k.path()))) out.put(k.path(), v);
        }
        return out;
    }

    public boolean dirty() { return !errors.isEmpty() || !changes().isEmpty(); }

    /** Keys among the changes that take effect only after a restart (the schema says which). */
    public List<String> restartNeeded() {
        List<String> out = new ArrayList<>();
        for (String p : changes().keySet()) if (keys.get(p).restartNeeded()) out.add(p);
        return out;
    }

    /**
     * Checks the whole configuration as it would be after Apply, with the loader's own rules. Returns the loader's
     * message (without the file/line prefix) when it would refuse it.
     */
    public Optional<String> checkWhole(Map<String, Object> allCurrent) {
        if (!valid()) return Optional.of("Fix the marked fields first.");
        Map<String, Object> merged = new LinkedHashMap<>(allCurrent);
        merged.putAll(changes());
        StringBuilder toml = new StringBuilder();
        for (String section : ConfigSchema.sections().keySet()) {
            toml.append('[').append(section).append("]\n");
            for (var k : ConfigSchema.keys().values()) {
                if (!k.section().equals(section) || !merged.containsKey(k.path())) continue;
                toml.append(k.name()).append(" = ").append(ConfigFilePatcher.literal(normalise(k, merged.get(k.path())))).append('\n');
            }
        }
        try {
            ConfigLoader.parse(toml.toString(), "settings");
            return Optional.empty();
        } catch (ConfigException e) {
            return Optional.of(e.getMessage().replaceFirst("^settings:[^:]*:\\s*", ""));
        }
    }

    /** A value as the user sees and types it. */
    public static String display(Object v) {
        if (v == null) return "";
        if (v instanceof List<?> l) return String.join(", ", l.stream().map(String::valueOf).toList());
        if (v instanceof Double d) return d == Math.rint(d) ? Long.toString(d.longValue()) : Double.toString(d);
        if (v instanceof Float f) return display(f.doubleValue());
        return String.valueOf(v);
    }

    private static Object normalise(ConfigSchema.Key k, Object v) {
        return switch (k.type()) {
            case INTEGER -> v instanceof Number n ? (Object) n.longValue() : v;
            case FLOAT -> v instanceof Number n ? (Object) n.doubleValue() : v;
            default -> v;
        };
    }

    private static boolean same(ConfigSchema.Key k, Object a, Object b) {
        return Objects.equals(normalise(k, a), normalise(k, b));
    }
}
