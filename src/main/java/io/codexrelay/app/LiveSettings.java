package io.codexrelay.app;

import io.codexrelay.config.RelayConfig;
import io.codexrelay.pool.AccountPool;
import io.codexrelay.pool.PoolServices;
import io.codexrelay.proxy.RelayServer;
import io.codexrelay.store.RequestLog;

import java.util.Map;
import java.util.function.Consumer;

/**
 * The configuration in force in the daemon, and where a newly written one is applied live (pool limits, upstream
 * timeouts, log settings, poll interval, log level). Built from the parts it updates before the control that calls
 * it, so the daemon is wired once, by constructors, with no loop closed late.
 */
final class LiveSettings implements Consumer<RelayConfig> {
    private final Integer portOverride;
    private final AccountPool pool;
    private final RelayServer server;
    private final RequestLog requestLog;
    private final PoolServices poolServices;
    private volatile RelayConfig current;

    /** {@code portOverride}: {@code serve --port}, kept on top of every configuration applied (null: none). */
    LiveSettings(RelayConfig current, Integer portOverride, AccountPool pool, RelayServer server, RequestLog requestLog,
                 PoolServices poolServices) {
        this.current = current;
        this.portOverride = portOverride;
        this.pool = pool;
        this.server = server;
        this.requestLog = requestLog;
        this.poolServices = poolServices;
    }

    /** The file's configuration with the command line's port (serve --port) on top. */
    static RelayConfig effective(RelayConfig fileConfig, Integer portOverride) {
        return portOverride == null ? fileConfig : fileConfig.with(Map.of("server.port", portOverride.longValue()));
    }

    /** The configuration in force. */
    RelayConfig current() { return current; }

    /** Applies a newly written configuration file live. */
    @Override
    public void accept(RelayConfig fileConfig) {
        RelayConfig next = effective(fileConfig, portOverride);
        this.current = next;
        pool.applyConfig(next);
        server.applyConfig(next);
        requestLog.applyConfig(next.log());
        poolServices.applyConfig(next);
        LogSetup.level(next.log().level());
    }
}
