package io.codexrelay.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The validated configuration. Build it with {@link ConfigLoader}; every value has passed {@link ConfigSchema}.
 * {@code prices} are the API prices per model ({@code [prices."NAME"]} over the jar's defaults, see {@link PriceTable}).
 */
public record RelayConfig(Server server, Upstream upstream, Pool pool, Log log, Codex codex, Ui ui,
                          Map<String, Object> values, PriceTable prices) {

    public record Server(String listen, int port, int maxBodyMb, boolean allowRemote, int bodyMemoryBudgetMb,
                         java.time.Duration headerTimeout, java.time.Duration bodyTimeout, int maxConnections) {
        public long maxBodyBytes() { return (long) maxBodyMb * 1024 * 1024; }
        public long bodyMemoryBudgetBytes() { return (long) bodyMemoryBudgetMb * 1024 * 1024; }
    }

    public record Upstream(String chatgptBaseUrl, String oauthIssuer, String defaultApiBaseUrl,
                           Duration connectTimeout, Duration firstByteTimeout, Duration idleTimeout,
                           Duration requestDeadline) {}

    public record Pool(String routing, Duration gateWait, int chatgptMaxConcurrent, int apiKeyMaxConcurrent,
                       int requestsPerMinute, double primaryThresholdPercent, double secondaryThresholdPercent,
                       Duration usagePollInterval, Duration affinityIdle, String reportPoolHeaders) {}

    public record Log(int retentionDays, long maxRows, String level) {}

    public record Codex(List<String> extraHomes) {}

    public record Ui(String theme, boolean notifyExhausted, boolean notifyPoolExhausted, boolean notifyRelogin,
                     boolean notifyRecovered, double notifyThresholdPercent) {}

    /** The configuration with every key at its default. */
    public static RelayConfig defaults() {
        return fromValues(Map.of());
    }

    /** Builds the config from validated values keyed by {@code section.key}; missing keys take their defaults. */
    @SuppressWarnings("unchecked")
    public static RelayConfig fromValues(Map<String, Object> given) {
        var all = new java.util.LinkedHashMap<String, Object>();
        for (var k : ConfigSchema.keys().values()) all.put(k.path(), given.getOrDefault(k.path(), k.defaultValue()));
        java.util.function.Function<String, Object> v = all::get;
        var server = new Server(str(v, "server.listen"), integer(v, "server.port"), integer(v, "server.max_body_mb"),
                (Boolean) v.apply("server.allow_remote"), integer(v, "server.body_memory_budget_mb"),
                Duration.ofMillis(lng(v, "server.header_timeout_ms")), Duration.ofMillis(lng(v, "server.body_timeout_ms")),
                integer(v, "server.max_connections"));
        var upstream = new Upstream(trimSlash(str(v, "upstream.chatgpt_base_url")), trimSlash(str(v, "upstream.oauth_issuer")),
                trimSlash(str(v, "upstream.default_api_base_url")),
                Duration.ofMillis(lng(v, "upstream.connect_timeout_ms")), Duration.ofMillis(lng(v, "upstream.first_byte_timeout_ms")),
                Duration.ofMillis(lng(v, "upstream.idle_timeout_ms")), Duration.ofMillis(lng(v, "upstream.request_deadline_ms")));
        var pool = new Pool(str(v, "pool.routing"), Duration.ofMillis(lng(v, "pool.gate_wait_ms")),
                integer(v, "pool.chatgpt_max_concurrent"), integer(v, "pool.api_key_max_concurrent"),
                integer(v, "pool.requests_per_minute"), dbl(v, "pool.primary_threshold_percent"), dbl(v, "pool.secondary_threshold_percent"),
                Duration.ofSeconds(lng(v, "pool.usage_poll_seconds")), Duration.ofHours(lng(v, "pool.affinity_idle_hours")),
                str(v, "pool.report_pool_headers"));
        var log = new Log(integer(v, "log.retention_days"), lng(v, "log.max_rows"), str(v, "log.level"));
        var codex = new Codex(List.copyOf((List<String>) v.apply("codex.extra_homes")));
        var ui = new Ui(str(v, "ui.theme"), (Boolean) v.apply("ui.notify_exhausted"), (Boolean) v.apply("ui.notify_pool_exhausted"),
                (Boolean) v.apply("ui.notify_relogin"), (Boolean) v.apply("ui.notify_recovered"), dbl(v, "ui.notify_threshold_percent"));
        return new RelayConfig(server, upstream, pool, log, codex, ui, java.util.Collections.unmodifiableMap(all),
                PriceTable.defaults());
    }

    /** A copy with some values replaced (keys {@code section.key}); values must already be validated. */
    public RelayConfig with(Map<String, Object> changes) {
        var merged = new java.util.LinkedHashMap<>(values);
        merged.putAll(changes);
        return fromValues(merged).withPrices(prices);
    }

    /** A copy with another price table. */
    public RelayConfig withPrices(PriceTable table) {
        return new RelayConfig(server, upstream, pool, log, codex, ui, values, table);
    }

    private static String str(java.util.function.Function<String, Object> v, String k) { return (String) v.apply(k); }
    private static long lng(java.util.function.Function<String, Object> v, String k) { return ((Number) v.apply(k)).longValue(); }
    private static int integer(java.util.function.Function<String, Object> v, String k) { return (int) lng(v, k); }
    private static double dbl(java.util.function.Function<String, Object> v, String k) { return ((Number) v.apply(k)).doubleValue(); }
    private static String trimSlash(String s) { return s.endsWith("/") ? s.substring(0, s.length() - 1) : s; }
}
