package dev.writ.server.gateway;

import dev.writ.core.nonce.NonceStore;
import dev.writ.core.revocation.RevocationSource;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.server.ops.GatewayMetricsHandler;
import dev.writ.server.ops.WritMetrics;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code writ gateway} in enforce mode: a reverse proxy (policy enforcement point) in front of one upstream API that
 * forwards a request only when it carries a valid Signed Action Envelope in the {@code Writ-SAE} header, bound to
 * exactly this request (method, URL, SHA-256 of the body bytes) and not seen before.
 *
 * <p>The URL an envelope must bind is the configured public base URL (by default the upstream URL) followed by the
 * request's raw path and query exactly as received, so with the defaults it is exactly the URL the upstream sees.
 * The {@code Writ-SAE} header is forwarded, so the upstream can verify the envelope again (without replay check, or
 * with a nonce store of its own: the gateway has already recorded the {@code jti}).
 *
 * <pre>{@code
 * try (Gateway gw = Gateway.builder()
 *         .upstream(URI.create("http://127.0.0.1:9000"))
 *         .trustAnchors(List.of(root))
 *         .nonceStore(FileNonceStore.open(dir.resolve("nonces"), clock, Durability.WRITE))
 *         .revocationSource(revocationClient)
 *         .build()
 *         .start()) {
 *     int port = gw.port();
 * }
 * }</pre>
 */
public final class Gateway implements AutoCloseable {
    /** The request header carrying the envelope. */
    public static final String SAE_HEADER = "Writ-SAE";

    /** In authorize mode: the request header naming a granted approval to redeem (answered with a 202 before). */
    public static final String APPROVAL_HEADER = "Writ-Approval";

    /** In authorize mode: the request header naming the agent's session (the envelope's {@code ctx.session}). */
    public static final String SESSION_HEADER = "Writ-Session";

    /** Default cap on a request body the gateway buffers to digest. */
    public static final int DEFAULT_MAX_BODY = 1024 * 1024;

    private final Builder config;
    private final GatewayServer server;
    private final WritMetrics metrics = WritMetrics.create();
    private final EnforcingProxy proxy;

    private Gateway(Builder b) {
        this.config = b;
        SaeVerifier verifier = SaeVerifier.builder()
                .trustAnchors(b.anchors)
                .clock(b.clock)
                .clockSkew(b.skew)
                .revocationSource(b.revocation)
                .nonceStore(b.nonces)
                .build();
        this.server = new GatewayServer(b.listen, b.maxThreads, b.clientIdleTimeout);
        this.proxy =
                new EnforcingProxy(verifier, b.upstreamBase, b.publicBase, b.maxBody, b.upstreamIdleTimeout.toMillis());
        proxy.setHttpClient(server.upstreamClient(b.connectTimeout, b.upstreamIdleTimeout));
        server.serve(proxy, metrics, GatewayMetricsHandler.ENFORCE, b.readiness);
    }

    /** This gateway's instruments, served at {@code /metrics} on its own listener. */
    public WritMetrics metrics() {
        return metrics;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds the listening socket and starts serving. */
    public Gateway start() throws Exception {
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

    /** The URL an envelope must bind for a request with this raw path and query. */
    public String boundUrl(String pathAndQuery) {
        return config.publicBase + pathAndQuery;
    }

    /** Blocks until the gateway stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** Stops serving; the nonce store and revocation source belong to the caller and stay open. */
    @Override
    public void close() throws Exception {
        server.stop();
    }

    /** Gateway settings. Required: upstream, trust anchors, nonce store, revocation source. */
    public static final class Builder {
        private java.util.function.BooleanSupplier readiness = () -> true;

        /** What the gateway's {@code /readyz} reports (default: always ready). */
        public Builder readiness(java.util.function.BooleanSupplier readiness) {
            this.readiness = java.util.Objects.requireNonNull(readiness, "readiness");
            return this;
        }

        private String upstreamBase;
        private String publicBase;
        private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 8443);
        private List<X509Certificate> anchors;
        private NonceStore nonces;
        private RevocationSource revocation;
        private InstantSource clock = InstantSource.system();
        private Duration skew = SaeVerifier.DEFAULT_CLOCK_SKEW;
        private int maxBody = DEFAULT_MAX_BODY;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration upstreamIdleTimeout = Duration.ofSeconds(30);
        private Duration clientIdleTimeout = Duration.ofSeconds(30);
        private int maxThreads = 200;

        private Builder() {}

        /** The upstream API's base URL ({@code http} or {@code https}, no query); request paths are appended. */
        public Builder upstream(URI upstream) {
            this.upstreamBase = base(upstream, "upstream");
            return this;
        }

        /**
         * The base URL agents address the target by, when it differs from the upstream URL (for example the public
         * name behind a load balancer). Envelopes must bind {@code publicBase + path?query}. Default: the upstream.
         */
        public Builder publicBaseUrl(URI publicBase) {
            this.publicBase = base(publicBase, "public base URL");
            return this;
        }

        /** Where to listen (default 127.0.0.1:8443: loopback, as a sidecar). */
        public Builder listen(InetSocketAddress listen) {
            this.listen = Objects.requireNonNull(listen, "listen");
            return this;
        }

        public Builder trustAnchors(Collection<X509Certificate> anchors) {
            Objects.requireNonNull(anchors, "anchors");
            if (anchors.isEmpty()) {
                throw new IllegalArgumentException("at least one trust anchor is required");
            }
            this.anchors = List.copyOf(anchors);
            return this;
        }

        /** Where {@code jti}s are recorded; the caller owns and closes it. */
        public Builder nonceStore(NonceStore nonces) {
            this.nonces = Objects.requireNonNull(nonces, "nonces");
            return this;
        }

        /** The pushed local revocation set (normally a {@link RevocationStreamClient}). */
        public Builder revocationSource(RevocationSource revocation) {
            this.revocation = Objects.requireNonNull(revocation, "revocation");
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Tolerated clock difference (default 30 s, at most 5 min). */
        public Builder clockSkew(Duration skew) {
            this.skew = Objects.requireNonNull(skew, "skew");
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
            this.connectTimeout = positive(d, "connect timeout");
            return this;
        }

        /** How long the upstream may stay silent during one exchange before the gateway answers 504. */
        public Builder upstreamIdleTimeout(Duration d) {
            this.upstreamIdleTimeout = positive(d, "upstream idle timeout");
            return this;
        }

        public Builder clientIdleTimeout(Duration d) {
            this.clientIdleTimeout = positive(d, "client idle timeout");
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
        public Gateway build() {
            if (upstreamBase == null) throw new IllegalStateException("an upstream URL is required");
            if (anchors == null) throw new IllegalStateException("trust anchors are required");
            if (nonces == null) throw new IllegalStateException("a nonce store is required");
            if (revocation == null) throw new IllegalStateException("a revocation source is required");
            if (publicBase == null) publicBase = upstreamBase;
            return new Gateway(this);
        }

        static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive");
            }
            return d;
        }

        /** {@code scheme://authority[/base/path]} without a trailing slash, so a request path appends cleanly. */
        static String base(URI uri, String what) {
            Objects.requireNonNull(uri, what);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException(what + " must be an http or https URL");
            }
            if (uri.getRawAuthority() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException(what + " must have a host and no query or fragment");
            }
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            while (path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            return scheme + "://" + uri.getRawAuthority() + path;
        }
    }
}
