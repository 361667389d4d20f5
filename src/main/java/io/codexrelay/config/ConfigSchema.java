package io.codexrelay.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every key {@code config.toml} may hold, with its type, default, limits and a one-line explanation.
 * The loader, the generated default file and the Settings window all validate through this one table,
 * so a rule exists once.
 */
public final class ConfigSchema {

    public enum Type { STRING, INTEGER, BOOLEAN, FLOAT, STRING_LIST }

    /** One key. {@code allowed} (strings) or {@code min}/{@code max} (numbers) restrict values when set. */
    public record Key(String section, String name, Type type, Object defaultValue, String help,
                      Double min, Double max, List<String> allowed, boolean restartNeeded) {
        public String path() { return section + "." + name; }

        /** Checks a typed value; returns an error sentence, or empty when the value is fine. */
        public Optional<String> check(Object value) {
            if (value == null) return Optional.of("a value is required");
            switch (type) {
                case STRING -> {
                    if (!(value instanceof String s)) return Optional.of("must be a string (in quotes)");
                    if (allowed != null && !allowed.contains(s)) return Optional.of("must be one of " + String.join(", ", allowed));
                    if (s.isBlank() && defaultValue instanceof String d && !d.isEmpty()) return Optional.of("must not be empty");
                }
                case INTEGER -> {
                    if (!(value instanceof Long || value instanceof Integer)) return Optional.of("must be a whole number");
                    long v = ((Number) value).longValue();
                    if (min != null && v < min) return Optional.of("must be at least " + min.longValue());
                    if (max != null && v > max) return Optional.of("must be at most " + max.longValue());
                }
                case FLOAT -> {
                    if (!(value instanceof Number)) return Optional.of("must be a number");
                    double v = ((Number) value).doubleValue();
                    if (min != null && v < min) return Optional.of("must be at least " + trim(min));
                    if (max != null && v > max) return Optional.of("must be at most " + trim(max));
                }
                case BOOLEAN -> {
                    if (!(value instanceof Boolean)) return Optional.of("must be true or false");
                }
                case STRING_LIST -> {
                    if (!(value instanceof List<?> l) || l.stream().anyMatch(x -> !(x instanceof String)))
                        return Optional.of("must be a list of strings, like [\"a\", \"b\"]");
                }
            }
            return Optional.empty();
        }

        /** Parses text typed by a person (Settings window) into this key's type, then checks it. */
        public Object parseText(String text) throws IllegalArgumentException {
            String t = text == null ? "" : text.trim();
            Object v;
            try {
                v = switch (type) {
                    case STRING -> t;
                    case INTEGER -> Long.parseLong(t);
                    case FLOAT -> Double.parseDouble(t);
                    case BOOLEAN -> {
                        if (!t.equals("true") && !t.equals("false")) throw new IllegalArgumentException("must be true or false");
                        yield Boolean.parseBoolean(t);
                    }
                    case STRING_LIST -> t.isEmpty() ? List.of() : List.of(t.split("\\s*,\\s*"));
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(type == Type.INTEGER ? "must be a whole number" : "must be a number");
            }
            check(v).ifPresent(msg -> { throw new IllegalArgumentException(msg); });
            return v;
        }

        private static String trim(double d) {
            return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
        }
    }

    public static final List<String> ROUTING_POLICIES = List.of("most-remaining", "priority", "round-robin", "fill-first");

    private static final Map<String, Key> KEYS = new LinkedHashMap<>();
    private static final Map<String, String> SECTION_HELP = new LinkedHashMap<>();

    static {
        section("server", "Where the relay listens. Codex is pointed here by `codex-relay codex on`.");
        add("server", "listen", Type.STRING, "127.0.0.1", "Address to bind. Anything but loopback also needs allow_remote = true.", null, null, null, true);
        add("server", "port", Type.INTEGER, 17771L, "TCP port of the relay.", 0d, 65535d, null, true);
        add("server", "max_body_mb", Type.INTEGER, 32L, "Largest request body accepted, in MiB (bigger gets HTTP 413).", 1d, 1024d, null, false);
        add("server", "body_memory_budget_mb", Type.INTEGER, 64L, "Memory all request bodies held at once may use, in MiB (sized for the launcher's 128 MB heap; a body needs about twice its size while it is read). Past it a request gets HTTP 503, which Codex retries.", 1d, 8192d, null, false);
        add("server", "header_timeout_ms", Type.INTEGER, 30000L, "A new connection must send its request headers within this long, or it is closed (a client dripping bytes is not kept).", 100d, 600000d, null, false);
        add("server", "body_timeout_ms", Type.INTEGER, 30000L, "A request body that stops arriving for this long is refused with HTTP 408.", 100d, 600000d, null, false);
        add("server", "max_connections", Type.INTEGER, 2048L, "Connections to the relay open at once at most; one more is answered with HTTP 503 and closed.", 1d, 100000d, null, false);
        add("server", "allow_remote", Type.BOOLEAN, false, "Allow a non-loopback listen address (every request must still carry the client key).", null, null, null, true);

        section("upstream", "Where accounts are served from. Tests point these at a fake upstream.");
        add("upstream", "chatgpt_base_url", Type.STRING, "https://chatgpt.com/backend-api", "Base URL for ChatGPT-subscription accounts.", null, null, null, false);
        add("upstream", "oauth_issuer", Type.STRING, "https://auth.openai.com", "OAuth issuer for ChatGPT login and token refresh.", null, null, null, false);
        add("upstream", "default_api_base_url", Type.STRING, "https://api.openai.com/v1", "Base URL given to API-key accounts added without --base-url.", null, null, null, false);
        add("upstream", "connect_timeout_ms", Type.INTEGER, 10000L, "Give up connecting to an upstream after this long, then try the next account.", 100d, 600000d, null, false);
        add("upstream", "first_byte_timeout_ms", Type.INTEGER, 120000L, "Give up waiting for the upstream's answer headers after this long, then try the next account.", 100d, 3600000d, null, false);
        add("upstream", "request_deadline_ms", Type.INTEGER, 180000L, "The longest one request waits for an answer across every account it tries (hung upstreams); then the client is told which accounts timed out.", 1000d, 3600000d, null, false);
        add("upstream", "idle_timeout_ms", Type.INTEGER, 300000L, "A stream with no data for this long is ended.", 1000d, 3600000d, null, false);

        section("websocket", "Codex's Responses over WebSocket (one socket per Codex session; see docs/websocket.md).");
        add("websocket", "enabled", Type.BOOLEAN, true, "Let Codex use WebSocket: `codex on` writes supports_websockets = true; false answers the upgrade with 426, so Codex uses HTTP at once.", null, null, null, false);
        add("websocket", "idle_timeout_seconds", Type.INTEGER, 900L, "Close a Codex socket (and its upstream socket) that carried no frame for this long; Codex reopens one on its next request.", 1d, 86400d, null, false);
        add("websocket", "api_key_upstream", Type.BOOLEAN, false, "Speak WebSocket to API-key accounts' upstreams too (ChatGPT accounts always do); off: their socket requests go over HTTP.", null, null, null, false);

        section("pool", "How accounts are chosen.");
        add("pool", "routing", Type.STRING, "most-remaining", "Policy in auto mode: most-remaining, priority, round-robin or fill-first.", null, null, ROUTING_POLICIES, false);
        add("pool", "gate_wait_ms", Type.INTEGER, 1500L, "How long a request waits for a free slot on an account before trying the next.", 0d, 60000d, null, false);
        add("pool", "chatgpt_max_concurrent", Type.INTEGER, 2L, "Default in-flight limit for ChatGPT accounts (per account; can be overridden per account).", 1d, 1000d, null, false);
        add("pool", "api_key_max_concurrent", Type.INTEGER, 64L, "Default in-flight limit for API-key accounts.", 1d, 10000d, null, false);
        add("pool", "requests_per_minute", Type.INTEGER, 0L, "At most this many requests per minute to each account (0 = no cap); over it, the next account serves.", 0d, 100000d, null, false);
        add("pool", "primary_threshold_percent", Type.FLOAT, 95.0, "Skip an account at this 5-hour usage when another has room.", 1d, 100d, null, false);
        add("pool", "secondary_threshold_percent", Type.FLOAT, 98.0, "Skip an account at this weekly usage when another has room.", 1d, 100d, null, false);
        add("pool", "usage_poll_seconds", Type.INTEGER, 300L, "How often quota is polled for ChatGPT accounts (never below 30).", 30d, 86400d, null, false);
        add("pool", "affinity_idle_hours", Type.INTEGER, 24L, "A conversation stays on its account until idle this long.", 1d, 8760d, null, false);
        add("pool", "report_pool_headers", Type.STRING, "serving", "Quota headers sent to Codex: serving (the serving account) or best (the pool's best).", null, null, List.of("serving", "best"), false);

        section("log", "The request log in relay.db.");
        add("log", "retention_days", Type.INTEGER, 30L, "Delete request-log rows older than this.", 1d, 3650d, null, false);
        add("log", "max_rows", Type.INTEGER, 200000L, "Keep at most this many request-log rows.", 1000d, 100000000d, null, false);
        add("log", "level", Type.STRING, "info", "Daemon log level: error, warn, info, debug.", null, null, List.of("error", "warn", "info", "debug"), false);

        section("codex", "Codex homes the relay reads sessions from.");
        add("codex", "extra_homes", Type.STRING_LIST, List.of(), "Other Codex homes to include in the session catalog.", null, null, null, false);

        section("clients", "Other tools (Chat Completions clients, Claude Code) served from the same pool: which pool model answers which client model.");
        add("clients", "best_model", Type.STRING, "gpt-5.1-codex", "The pool's best model: what rules mapping to \"best\" send (Claude's large models by default).", null, null, null, false);
        add("clients", "fast_model", Type.STRING, "gpt-5.1-codex-mini", "The pool's fast model: what rules mapping to \"fast\" send (Claude's small models by default).", null, null, null, false);
        add("clients", "model_rules", Type.STRING_LIST, List.of("haiku=fast", "claude=best"), "Client model name rules, first match wins: \"part=target\" maps a model whose name contains part (any case) to target (best, fast or a model name); other names pass unchanged.", null, null, null, false);
        add("clients", "reasoning_content", Type.BOOLEAN, true, "Stream reasoning summaries to Chat Completions clients as reasoning_content.", null, null, null, false);

        section("sync", "Accounts shared between machines through a WebDAV share (docs/sync.md). Secrets are never kept here.");
        add("sync", "url", Type.STRING, "", "WebDAV URL of the encrypted accounts file, e.g. https://cloud.example/remote.php/dav/files/me/codex-relay/accounts.crypt (empty = no sync).", null, null, null, false);
        add("sync", "user", Type.STRING, "", "WebDAV user name (empty = no authentication).", null, null, null, false);
        add("sync", "password_env", Type.STRING, "CODEX_RELAY_SYNC_PASSWORD", "Environment variable holding the WebDAV password (else the one `sync setup` stored).", null, null, null, false);
        add("sync", "passphrase_env", Type.STRING, "CODEX_RELAY_SYNC_PASSPHRASE", "Environment variable holding the file's passphrase (else the one `sync setup` stored).", null, null, null, false);
        add("sync", "interval_minutes", Type.INTEGER, 15L, "Sync this often while the relay runs (0 = only at start, after account changes and on `sync now`).", 0d, 10080d, null, true);

        section("ui", "Tray, notifications and windows.");
        add("ui", "theme", Type.STRING, "system", "system, light or dark.", null, null, List.of("system", "light", "dark"), false);
        add("ui", "notify_exhausted", Type.BOOLEAN, true, "Notify when an account runs out and the relay switches.", null, null, null, false);
        add("ui", "notify_pool_exhausted", Type.BOOLEAN, true, "Notify when every account is out.", null, null, null, false);
        add("ui", "notify_relogin", Type.BOOLEAN, true, "Notify when an account needs a new login.", null, null, null, false);
        add("ui", "notify_recovered", Type.BOOLEAN, true, "Notify when the pinned account has quota again.", null, null, null, false);
        add("ui", "notify_threshold_percent", Type.FLOAT, 90.0, "Notify when the serving account's 5-hour usage crosses this (100 = never).", 1d, 100d, null, false);
    }

    private ConfigSchema() {}

    private static void section(String name, String help) { SECTION_HELP.put(name, help); }

    private static void add(String section, String name, Type type, Object def, String help,
                            Double min, Double max, List<String> allowed, boolean restart) {
        Key k = new Key(section, name, type, def, help, min, max, allowed, restart);
        KEYS.put(k.path(), k);
    }

    public static Map<String, Key> keys() { return KEYS; }
    public static Optional<Key> key(String path) { return Optional.ofNullable(KEYS.get(path)); }
    public static Map<String, String> sections() { return SECTION_HELP; }

    /** The file written on first start: every key, commented out, with its default and explanation. */
    public static String defaultFileText() {
        StringBuilder sb = new StringBuilder();
        sb.append("# codex-relay configuration.\n")
          .append("# Every setting below shows its default, commented out. Remove the leading '# ' to change one.\n")
          .append("# Unknown keys or wrong types stop the relay with a message naming the line, so typos never pass silently.\n");
        for (var sec : SECTION_HELP.entrySet()) {
            sb.append("\n# ").append(sec.getValue()).append('\n').append('[').append(sec.getKey()).append("]\n");
            for (Key k : KEYS.values()) {
                if (!k.section().equals(sec.getKey())) continue;
                sb.append("# ").append(k.help()).append('\n');
                sb.append("# ").append(k.name()).append(" = ").append(ConfigFilePatcher.literal(k.defaultValue())).append('\n');
            }
        }
        return sb.toString();
    }
}
