package dev.writ.server.gateway;

import dev.writ.server.ops.GatewayMetricsHandler;
import dev.writ.server.ops.WritMetrics;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The listener both gateway modes share: one Jetty server and connector on a bounded pool, the upstream client, and
 * the front handler that answers {@code /healthz}, {@code /readyz} and {@code /metrics} itself, counts every request,
 * and stops gracefully (new requests refused, requests in flight and their upstream calls get up to 10 s).
 */
final class GatewayServer {
    private final QueuedThreadPool pool;
    private final Server server;
    private final ServerConnector connector;

    GatewayServer(InetSocketAddress listen, int maxThreads, Duration clientIdleTimeout) {
        pool = new QueuedThreadPool(maxThreads);
        pool.setName("writ-gateway");
        server = new Server(pool);
        connector = new ServerConnector(server);
        connector.setHost(listen.getHostString());
        connector.setPort(listen.getPort());
        connector.setIdleTimeout(clientIdleTimeout.toMillis());
        server.addConnector(connector);
        server.setStopTimeout(10_000);
    }

    /** The client that forwards to the upstream. */
    HttpClient upstreamClient(Duration connectTimeout, Duration idleTimeout) {
        HttpClient client = new HttpClient();
        client.setConnectTimeout(connectTimeout.toMillis());
        client.setIdleTimeout(idleTimeout.toMillis());
        // The proxy relays redirects to the agent; following one would execute a request nobody authorised.
        client.setFollowRedirects(false);
        client.setName("writ-gateway-upstream");
        // Upstream responses complete on the server's own pool: no second pool of threads to hand each response over
        // to.
        client.setExecutor(pool);
        return client;
    }

    /** Puts {@code proxy} behind the front handler of the given mode. */
    void serve(Handler proxy, WritMetrics metrics, String mode, BooleanSupplier readiness) {
        server.setHandler(new GracefulHandler(new GatewayMetricsHandler(proxy, metrics, mode, readiness)));
    }

    void start() throws Exception {
        server.start();
    }

    int port() {
        return connector.getLocalPort();
    }

    void join() throws InterruptedException {
        server.join();
    }

    void stop() throws Exception {
        server.stop();
    }
}
