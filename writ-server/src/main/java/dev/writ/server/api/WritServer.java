package dev.writ.server.api;

import dev.writ.server.ops.HttpMetricsHandler;
import dev.writ.server.ops.MetricsHandler;
import dev.writ.server.ops.OpenApiHandler;
import dev.writ.server.ops.WritMetrics;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Writ's HTTP server: Jetty 12 core handlers on one connector speaking HTTP/1.1 and h2c (or HTTP/1.1 over TLS), with
 * request ids, JSON errors, {@code /healthz}, {@code /readyz}, {@code /metrics} (Prometheus) and
 * {@code /openapi.json}, and a {@link Mounts} table that areas plug their
 * handlers into by path prefix. Stopping is graceful: new requests are refused, in-flight ones get up to the stop
 * timeout to finish.
 *
 * <pre>{@code
 * WritServer server = new WritServer("127.0.0.1", 8443);
 * server.mount("/api/v1/agents", agentsRouter);
 * server.mount("/log", logHandler);
 * server.start();
 * }</pre>
 */
public final class WritServer implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;
    private final Mounts mounts = new Mounts();
    private final WritMetrics metrics = WritMetrics.create();
    private volatile BooleanSupplier ready = () -> true;

    public WritServer(String host, int port) {
        this(host, port, null, null);
    }

    /**
     * @param tlsKeystore a PKCS#12 keystore with the server certificate and key, or null for plain HTTP (h2c)
     * @param tlsPassword its password (ignored without a keystore)
     */
    public WritServer(String host, int port, Path tlsKeystore, String tlsPassword) {
        QueuedThreadPool pool = new QueuedThreadPool(200, 8);
        pool.setName("writ-http");
        server = new Server(pool);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendXPoweredBy(false);
        // OCSP GET requests carry base64 in the path, where an encoded '/' (%2F) is legitimate.
        config.setUriCompliance(UriCompliance.DEFAULT.with(
                "writ",
                UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
                UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING));
        HttpConnectionFactory http1 = new HttpConnectionFactory(config);
        if (tlsKeystore == null) {
            connector = new ServerConnector(server, http1, new HTTP2CServerConnectionFactory(config));
        } else {
            config.addCustomizer(new SecureRequestCustomizer());
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(tlsKeystore.toString());
            ssl.setKeyStorePassword(tlsPassword);
            ssl.setKeyStoreType("PKCS12");
            connector = new ServerConnector(server, new SslConnectionFactory(ssl, http1.getProtocol()), http1);
        }
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        Router ops = new Router()
                .get(
                        "/healthz",
                        ex -> ex.json(200, Exchange.JSON.createObjectNode().put("status", "ok")))
                .get("/readyz", ex -> {
                    if (!ready.getAsBoolean()) {
                        throw new ApiException(503, "server.not_ready", "not ready");
                    }
                    ex.json(200, Exchange.JSON.createObjectNode().put("status", "ready"));
                });
        mounts.mount("/", ops);
        mounts.mount(MetricsHandler.PATH, new MetricsHandler(metrics));
        mounts.mount(OpenApiHandler.PATH, OpenApiHandler.server());
        GracefulHandler graceful = new GracefulHandler(new HttpMetricsHandler(new RequestIdHandler(mounts), metrics));
        server.setHandler(graceful);
        server.setStopTimeout(10_000);
    }

    /**
     * Mounts a handler for {@code prefix} and everything below it. Handlers see full paths; a handler returning false
     * passes the request on to shorter prefixes, and finally to a JSON 404. Allowed before and after {@link #start}.
     */
    public WritServer mount(String prefix, Handler handler) {
        mounts.mount(prefix, handler);
        return this;
    }

    /** This server's instruments, served at {@code /metrics}; areas record into them when they mount. */
    public WritMetrics metrics() {
        return metrics;
    }

    /** Every route mounted so far ({@link Mounts#routes}), for documentation checks. */
    public java.util.List<String> routes() {
        return mounts.routes();
    }

    /** What {@code /readyz} reports. */
    public WritServer readiness(BooleanSupplier ready) {
        this.ready = ready;
        return this;
    }

    public WritServer start() throws Exception {
        server.start();
        return this;
    }

    /** The bound port (useful when constructed with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Graceful stop. */
    public void stop() throws Exception {
        server.stop();
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}
