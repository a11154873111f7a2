package dev.writ.server.gateway;

import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.revocation.RevocationSource;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.server.ops.GatewayMetricsHandler;
import dev.writ.server.ops.WritMetrics;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code writ gateway} in authorize mode: a reverse proxy that authorises and signs on the agent's behalf. The agent
 * sends its plain HTTP request with its agent credential ({@code Authorization: Bearer writ_agent_…}); the gateway
 * maps it to an action with a {@link RouteMap}, proposes it to the Writ server's {@code POST /v1/authorize} with that
 * credential (the gateway holds no keys and no credentials of its own), and forwards exactly the buffered request
 * bytes upstream with the returned envelope in {@code Writ-SAE} only when the server allowed it. The envelope binds
 * the method, {@code <public base URL><raw path>[?<raw query>]} and the SHA-256 of the body, as in enforce mode, so an
 * enforcing PEP in front of (or inside) the upstream accepts it.
 *
 * <p>Fails closed: no credential (401), no route (403 {@code gateway.no_route}), a denial (403, the coarse code,
 * message "not permitted"), a pending approval (202 with the approval id), the Writ server unreachable, slow or
 * failing (503): in every case nothing reaches the upstream. The agent's credential is removed from the upstream
 * request.
 *
 * <p>With trust anchors configured, the gateway also verifies each envelope it receives (chain, stapled OCSP,
 * signature, time, scope, request binding; no replay check, which is the upstream PEP's) before forwarding it.
 */
public final class AuthorizingGateway implements AutoCloseable {
    private final Builder config;
    private final GatewayServer server;
    private final WritMetrics metrics = WritMetrics.create();
    private final ExecutorService workers;

    private AuthorizingGateway(Builder b) {
        this.config = b;
        SaeVerifier verifier = null;
        if (b.anchors != null) {
            verifier = SaeVerifier.builder()
                    .trustAnchors(b.anchors)
                    .clock(b.clock)
                    .clockSkew(b.skew)
                    .revocationSource(b.revocation)
                    .withoutReplayCheck()
                    .build();
        }
        this.server = new GatewayServer(b.listen, b.maxThreads, b.clientIdleTimeout);
        this.workers = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("writ-gateway-authorize-", 0).factory());
        HttpClient writHttp = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout)
                // A redirect from the Writ server is not followed: the credential goes to the configured server only.
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        AuthorizingProxy proxy = new AuthorizingProxy(
                b.routes,
                b.writServer,
                writHttp,
                b.authorizeTimeout,
                verifier,
                workers,
                b.upstreamBase,
                b.publicBase,
                b.maxBody,
                b.upstreamIdleTimeout.toMillis());
        proxy.setHttpClient(server.upstreamClient(b.connectTimeout, b.upstreamIdleTimeout));
        server.serve(proxy, metrics, GatewayMetricsHandler.AUTHORIZE, b.readiness);
    }

    /** This gateway's instruments, served at {@code /metrics} on its own listener. */
    public WritMetrics metrics() {
        return metrics;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds the listening socket and starts serving. */
    public AuthorizingGateway start() throws Exception {
        server.start();
        return this;
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return server.port();
    }

    /** The URL of the listening socket, e.g. {@code http://127.0.0.1:8443}. */
    public URI uri() {
        return URI.create("http://" + config.listen.getHostString() + ":" + port());
    }

    /** The URL envelopes bind for a request with this raw path and query. */
    public String boundUrl(String pathAndQuery) {
        return config.publicBase + pathAndQuery;
    }

    /** Whether envelopes are verified by the gateway before forwarding (trust anchors configured). */
    public boolean verifiesEnvelopes() {
        return config.anchors != null;
    }

    /** Blocks until the gateway stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            workers.shutdownNow();
        }
    }

    /** Settings. Required: upstream, route map, Writ server. */
    public static final class Builder {
        private java.util.function.BooleanSupplier readiness = () -> true;

        /** What the gateway's {@code /readyz} reports (default: always ready). */
        public Builder readiness(java.util.function.BooleanSupplier readiness) {
            this.readiness = java.util.Objects.requireNonNull(readiness, "readiness");
            return this;
        }

        private String upstreamBase;
        private String publicBase;
        private RouteMap routes;
        private URI writServer;
        private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 8443);
        private List<X509Certificate> anchors;
        private RevocationSource revocation = new InMemoryRevocationSource();
        private InstantSource clock = InstantSource.system();
        private Duration skew = SaeVerifier.DEFAULT_CLOCK_SKEW;
        private int maxBody = Gateway.DEFAULT_MAX_BODY;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration authorizeTimeout = Duration.ofSeconds(10);
        private Duration upstreamIdleTimeout = Duration.ofSeconds(30);
        private Duration clientIdleTimeout = Duration.ofSeconds(30);
        private int maxThreads = 200;

        private Builder() {}

        /** The upstream API's base URL ({@code http} or {@code https}, no query); request paths are appended. */
        public Builder upstream(URI upstream) {
            this.upstreamBase = Gateway.Builder.base(upstream, "upstream");
            return this;
        }

        /** The base URL agents address the target by, which envelopes bind (default: the upstream). */
        public Builder publicBaseUrl(URI publicBase) {
            this.publicBase = Gateway.Builder.base(publicBase, "public base URL");
            return this;
        }

        public Builder routes(RouteMap routes) {
            Objects.requireNonNull(routes, "routes");
            if (routes.routes().isEmpty()) {
                throw new IllegalArgumentException("the route map has no routes");
            }
            this.routes = routes;
            return this;
        }

        /** The Writ server whose {@code POST /v1/authorize} decides; the agent's credential is sent there only. */
        public Builder writServer(URI server) {
            String base = Gateway.Builder.base(server, "Writ server URL");
            this.writServer = URI.create(base);
            return this;
        }

        public Builder listen(InetSocketAddress listen) {
            this.listen = Objects.requireNonNull(listen, "listen");
            return this;
        }

        /** Verify every envelope against these anchors before forwarding it (defence in depth). */
        public Builder verifyEnvelopes(Collection<X509Certificate> anchors) {
            Objects.requireNonNull(anchors, "anchors");
            if (anchors.isEmpty()) {
                throw new IllegalArgumentException("at least one trust anchor is required");
            }
            this.anchors = List.copyOf(anchors);
            return this;
        }

        /** The local revocation set consulted when verifying envelopes (default: empty, stapled OCSP only). */
        public Builder revocationSource(RevocationSource revocation) {
            this.revocation = Objects.requireNonNull(revocation, "revocation");
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public Builder clockSkew(Duration skew) {
            Objects.requireNonNull(skew, "skew");
            if (skew.isNegative() || skew.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("clock skew must be between 0 and 5 minutes");
            }
            this.skew = skew;
            return this;
        }

        /** The largest request body buffered and digested, in bytes (default 1 MiB; 0 to 64 MiB). */
        public Builder maxBody(int bytes) {
            if (bytes < 0 || bytes > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("max body must be between 0 and 64 MiB");
            }
            this.maxBody = bytes;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = Gateway.Builder.positive(d, "connect timeout");
            return this;
        }

        /** How long one authorize call may take before the gateway answers 503 (default 10 s). */
        public Builder authorizeTimeout(Duration d) {
            this.authorizeTimeout = Gateway.Builder.positive(d, "authorize timeout");
            return this;
        }

        public Builder upstreamIdleTimeout(Duration d) {
            this.upstreamIdleTimeout = Gateway.Builder.positive(d, "upstream idle timeout");
            return this;
        }

        public Builder clientIdleTimeout(Duration d) {
            this.clientIdleTimeout = Gateway.Builder.positive(d, "client idle timeout");
            return this;
        }

        public Builder maxThreads(int n) {
            if (n < 8) {
                throw new IllegalArgumentException("max threads must be at least 8");
            }
            this.maxThreads = n;
            return this;
        }

        /**
         * @throws IllegalStateException when a required setting is missing
         */
        public AuthorizingGateway build() {
            if (upstreamBase == null) throw new IllegalStateException("an upstream URL is required");
            if (routes == null) throw new IllegalStateException("a route map is required");
            if (writServer == null) throw new IllegalStateException("a Writ server URL is required");
            if (publicBase == null) publicBase = upstreamBase;
            return new AuthorizingGateway(this);
        }
    }
}
