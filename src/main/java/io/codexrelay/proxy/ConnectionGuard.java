package io.codexrelay.proxy;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Limits what clients can hold on the relay's connector: at most {@code server.max_connections} connections at once
 * (one more is answered with a 503 JSON that says so, then closed: a clear refusal instead of a silent backlog), and a
 * new connection must finish its first request's headers within {@code server.header_timeout_ms} (a client that
 * drips one byte at a time resets every idle timeout, so this one is a deadline). Later requests on a kept-alive
 * connection are bounded by the connector's idle timeout.
 */
final class ConnectionGuard implements Connection.Listener {
    private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);

    private final Scheduler scheduler;
    private final IntSupplier maxConnections;
    private final LongSupplier headerTimeoutMs;
    private final AtomicInteger open = new AtomicInteger();

    /** The limits are read on every new connection, so live settings apply to the next one. */
    ConnectionGuard(Scheduler scheduler, IntSupplier maxConnections, LongSupplier headerTimeoutMs) {
        this.scheduler = scheduler;
        this.maxConnections = maxConnections;
        this.headerTimeoutMs = headerTimeoutMs;
    }

    /** Connections open now (refused ones excluded). */
    int open() { return open.get(); }

    @Override
    public void onOpened(Connection connection) {
        EndPoint ep = connection.getEndPoint();
        int max = maxConnections.getAsInt();
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            ep.setIdleTimeout(5_000); // a refused client that never reads its answer does not keep the socket
            refuse(connection, max);
            return;
        }
        long ms = headerTimeoutMs.getAsLong();
        scheduler.schedule(() -> {
            if (ep.isOpen() && ep.getConnection() == connection && connection.getMessagesIn() == 0) {
                log.info("Closing a connection from {} that sent no complete request within server.header_timeout_ms "
                        + "= {} ms", ep.getRemoteSocketAddress(), ms);
                ep.close(new java.util.concurrent.TimeoutException("no complete request headers within " + ms + " ms"));
            }
        }, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onClosed(Connection connection) {
        if (!Boolean.TRUE.equals(refused.get(connection))) open.decrementAndGet();
        refused.remove(connection);
    }

    private final java.util.Map<Connection, Boolean> refused = new java.util.concurrent.ConcurrentHashMap<>();

    /** Answers before reading anything: the client sees why instead of a connection that never answers. */
    private void refuse(Connection connection, int max) {
        refused.put(connection, true);
        EndPoint ep = connection.getEndPoint();
        log.warn("Refused a connection from {}: server.max_connections = {} are open", ep.getRemoteSocketAddress(), max);
        String json = RelayErrors.body("relay_too_many_connections", "codex-relay already has server.max_connections = "
                + max + " connections open, so it refused this one. Close idle clients or raise server.max_connections "
                + "in ~/.codex-relay/config.toml, then retry.");
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
                + "Connection: close\r\nContent-Length: " + body.length + "\r\n\r\n";
        ByteBuffer out = BufferUtil.toBuffer(head.getBytes(StandardCharsets.US_ASCII));
        ep.write(Callback.from(() -> ep.close(), x -> ep.close()), out, ByteBuffer.wrap(body));
    }
}
