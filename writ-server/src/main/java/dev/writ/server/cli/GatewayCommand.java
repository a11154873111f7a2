package dev.writ.server.cli;

import dev.writ.core.nonce.FileNonceStore;
import dev.writ.core.nonce.NonceStore;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.revocation.RevocationSource;
import dev.writ.server.gateway.AuthorizingGateway;
import dev.writ.server.gateway.Gateway;
import dev.writ.server.gateway.RevocationStreamClient;
import dev.writ.server.gateway.RouteMap;
import dev.writ.server.gateway.RouteMapException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code writ gateway}: runs the policy enforcement point as a reverse proxy in front of one upstream API. Enforce
 * mode (default): every request must carry a valid {@code Writ-SAE} envelope bound to it. Authorize mode: the gateway
 * maps each request to an action with a route map ({@code --routes}), asks the Writ server ({@code --server}) with the
 * agent's own credential, and forwards with the envelope on allow. As a sidecar, run one per agent on loopback (the
 * default listen address). Exit 2 on a usage or input error (everything is checked before anything starts);
 * otherwise runs until stopped.
 */
@Command(
        name = "gateway",
        mixinStandardHelpOptions = true,
        description = "Run the gateway: enforce mode forwards only requests with a valid Writ-SAE; authorize mode"
                + " obtains the Writ-SAE on the agent's behalf from a route map.")
public final class GatewayCommand implements Callable<Integer> {

    @Mixin
    GlobalOptions global;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--mode",
            defaultValue = "enforce",
            paramLabel = "MODE",
            description = "enforce (default) or authorize.")
    String mode;

    @Option(
            names = "--upstream",
            required = true,
            paramLabel = "URL",
            description = "Base URL of the API to protect; request paths are appended.")
    URI upstream;

    @Option(
            names = "--public-url",
            paramLabel = "URL",
            description = "Base URL agents address the API by, which envelopes bind (default: the upstream URL).")
    URI publicUrl;

    @Option(
            names = "--listen",
            defaultValue = "127.0.0.1:8443",
            paramLabel = "HOST:PORT",
            description = "Listen address (default ${DEFAULT-VALUE}: loopback, as a sidecar).")
    String listen;

    @Option(
            names = "--trust-bundle",
            paramLabel = "PEM",
            description = "PEM file with the trust anchors envelopes must chain to (GET /trust-bundle.pem). Required in"
                    + " enforce mode; in authorize mode, envelopes are verified before forwarding when given.")
    Path trustBundle;

    @Option(
            names = "--nonce-dir",
            paramLabel = "DIR",
            description = "Directory of the replay-nonce journal (default: <data>/gateway).")
    Path nonceDir;

    @Option(
            names = "--redis",
            paramLabel = "URI",
            description = "Enforce mode: Redis for replay nonces shared with every other PEP of the trust domain,"
                    + " redis://host:port (password from --redis-password-file or $WRIT_REDIS_PASSWORD; default:"
                    + " $WRIT_REDIS, else a local journal in --nonce-dir).")
    String redis;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Config file (YAML); the gateway reads its redis and redis-password-file keys (default:"
                    + " $WRIT_CONFIG).")
    Path config;

    @Option(
            names = "--trust-domain",
            paramLabel = "NAME",
            description = "With --redis: the trust domain whose nonces this gateway shares (default: the one in the"
                    + " data directory).")
    String trustDomain;

    @Option(
            names = "--redis-password-file",
            paramLabel = "FILE",
            description = "File with the Redis password (default: $WRIT_REDIS_PASSWORD_FILE).")
    Path redisPasswordFile;

    @Option(
            names = "--revocations",
            paramLabel = "URL",
            description =
                    "Writ server whose /v1/revocations/stream feeds the local revocation set (default: --server).")
    URI revocations;

    @Option(
            names = "--revocation-max-staleness",
            defaultValue = "10s",
            converter = DurationConverter.class,
            paramLabel = "DURATION",
            description =
                    "Fail closed when the revocation stream has been silent this long (default ${DEFAULT-VALUE}).")
    Duration maxStaleness;

    @Option(
            names = "--insecure-no-revocation-push",
            description = "Run without the revocation stream, relying on stapled OCSP alone (revocations then take"
                    + " effect only when envelopes expire). Not for production.")
    boolean noRevocationPush;

    @Option(
            names = "--max-body",
            defaultValue = "1048576",
            paramLabel = "BYTES",
            description = "Largest request body buffered and digested (default ${DEFAULT-VALUE}).")
    int maxBody;

    @Option(
            names = "--skew",
            defaultValue = "30s",
            converter = DurationConverter.class,
            paramLabel = "DURATION",
            description = "Tolerated clock skew (default ${DEFAULT-VALUE}).")
    Duration skew;

    @Option(
            names = "--upstream-timeout",
            defaultValue = "30s",
            converter = DurationConverter.class,
            paramLabel = "DURATION",
            description = "Idle timeout of an upstream exchange before answering 504 (default ${DEFAULT-VALUE}).")
    Duration upstreamTimeout;

    @Option(
            names = "--routes",
            paramLabel = "FILE",
            description =
                    "Authorize mode: the YAML route map (method + path -> action, target, classification, params).")
    Path routes;

    @Option(
            names = "--authorize-timeout",
            defaultValue = "10s",
            converter = DurationConverter.class,
            paramLabel = "DURATION",
            description = "Authorize mode: how long one authorize call may take before 503 (default ${DEFAULT-VALUE}).")
    Duration authorizeTimeout;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        if ("authorize".equals(mode)) {
            return authorizeMode(err, out);
        }
        if (!"enforce".equals(mode)) {
            err.println("writ gateway: --mode must be enforce or authorize");
            return ExitCodes.USAGE;
        }
        if (routes != null) {
            err.println("writ gateway: --routes is for --mode authorize");
            return ExitCodes.USAGE;
        }
        if (trustBundle == null) {
            err.println("writ gateway: --trust-bundle PEM is required in enforce mode");
            return ExitCodes.USAGE;
        }
        List<X509Certificate> anchors;
        InetSocketAddress address;
        try {
            anchors = readBundle(trustBundle);
            address = parseListen(listen);
            // Check every setting before anything starts, so a typo is a usage error, not a half-started gateway.
            Gateway.builder()
                    .upstream(upstream)
                    .publicBaseUrl(publicUrl != null ? publicUrl : upstream)
                    .clockSkew(skew)
                    .maxBody(maxBody)
                    .upstreamIdleTimeout(upstreamTimeout);
            if (skew.isNegative() || skew.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("--skew must be between 0 and 5 minutes");
            }
        } catch (Exception e) {
            err.println("writ gateway: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        URI revocationServer = revocations != null
                ? revocations
                : (global.serverUrl() == null ? null : URI.create(global.serverUrl()));
        if (revocationServer == null && !noRevocationPush) {
            err.println("writ gateway: --revocations URL (or --server) is required, so revocations reach this PEP");
            return ExitCodes.USAGE;
        }
        NodeConfig.Flags flags = new NodeConfig.Flags();
        flags.redis = redis;
        flags.redisPasswordFile = redisPasswordFile;
        flags.config = this.config;
        NodeConfig config;
        try {
            config = NodeConfig.resolve(flags, null, System.getenv());
            if (config.redis() != null && nonceDir != null) {
                throw CliError.usage("--nonce-dir and --redis exclude each other");
            }
        } catch (CliError e) {
            err.println("writ gateway: " + e.getMessage());
            return e.exitCode();
        }
        InstantSource clock = InstantSource.system();
        NonceStore nonces;
        if (config.redis() != null) {
            try {
                nonces = GatewayNonces.redis(config, trustDomain, global.dataDir(), clock);
            } catch (CliError e) {
                err.println("writ gateway: " + e.getMessage());
                return e.exitCode();
            }
        } else {
            Path dir = nonceDir != null ? nonceDir : global.dataDir().resolve("gateway");
            Files.createDirectories(dir);
            nonces = FileNonceStore.open(dir.resolve("nonces.journal"), clock, FileNonceStore.Durability.WRITE);
        }
        RevocationStreamClient client = null;
        RevocationSource source;
        if (revocationServer != null) {
            client = RevocationStreamClient.builder()
                    .server(revocationServer)
                    .maxStaleness(maxStaleness)
                    .clock(clock)
                    .build()
                    .start();
            source = client;
        } else {
            err.println("writ gateway: WARNING: no revocation stream; relying on stapled OCSP only");
            source = new InMemoryRevocationSource();
        }
        RevocationStreamClient stream = client;
        NonceStore shared = nonces;
        java.util.function.BooleanSupplier ready = () -> (stream == null || stream.isFresh())
                && (!(shared instanceof dev.writ.server.redis.RedisNonceStore r) || r.healthy());
        try (nonces;
                Gateway gateway = Gateway.builder()
                        .upstream(upstream)
                        .publicBaseUrl(publicUrl != null ? publicUrl : upstream)
                        .listen(address)
                        .trustAnchors(anchors)
                        .nonceStore(nonces)
                        .revocationSource(source)
                        .clock(clock)
                        .clockSkew(skew)
                        .maxBody(maxBody)
                        .upstreamIdleTimeout(upstreamTimeout)
                        .readiness(ready)
                        .build()
                        .start()) {
            out.println("writ gateway: enforcing on " + gateway.uri() + " -> " + upstream
                    + (config.redis() != null
                            ? " (nonces in Redis at " + NodeConfig.describe(config.redis()) + ")"
                            : ""));
            out.flush();
            joinUntilStopped(gateway::join, gateway::close);
        } finally {
            if (client != null) {
                client.close();
            }
        }
        return ExitCodes.OK;
    }

    /** Authorize mode: check every setting, then serve until stopped. */
    private int authorizeMode(PrintWriter err, PrintWriter out) throws Exception {
        AuthorizingGateway gateway;
        try {
            if (routes == null) {
                throw new IllegalArgumentException("--routes FILE is required in authorize mode");
            }
            // Options that would do nothing here are refused rather than silently ignored.
            if (revocations != null || nonceDir != null || noRevocationPush || redis != null) {
                throw new IllegalArgumentException("--revocations, --nonce-dir, --redis and"
                        + " --insecure-no-revocation-push are enforce-mode options");
            }
            if (global.serverUrl() == null) {
                throw new IllegalArgumentException("--server URL (the Writ server that authorizes) is required");
            }
            RouteMap map = RouteMap.load(routes);
            AuthorizingGateway.Builder b = AuthorizingGateway.builder()
                    .upstream(upstream)
                    .publicBaseUrl(publicUrl != null ? publicUrl : upstream)
                    .routes(map)
                    .writServer(URI.create(global.serverUrl()))
                    .listen(parseListen(listen))
                    .clockSkew(skew)
                    .maxBody(maxBody)
                    .authorizeTimeout(authorizeTimeout)
                    .upstreamIdleTimeout(upstreamTimeout);
            if (trustBundle != null) {
                b.verifyEnvelopes(readBundle(trustBundle));
            }
            gateway = b.build();
        } catch (RouteMapException e) {
            err.println("writ gateway: " + e.getMessage());
            return ExitCodes.USAGE;
        } catch (Exception e) {
            err.println("writ gateway: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        try (AuthorizingGateway running = gateway.start()) {
            out.println("writ gateway: authorizing on " + running.uri() + " -> " + upstream + " (server "
                    + global.serverUrl() + (running.verifiesEnvelopes() ? ", envelopes verified" : "") + ")");
            out.flush();
            joinUntilStopped(running::join, running::close);
        }
        return ExitCodes.OK;
    }

    private interface Step {
        void run() throws Exception;
    }

    /**
     * Serves until the gateway stops; on SIGTERM or Ctrl-C the stop is graceful (new requests refused, in-flight ones
     * finish, up to 10 s) before the JVM exits.
     */
    private static void joinUntilStopped(Step join, Step stop) throws Exception {
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        Thread hook = new Thread(
                () -> {
                    try {
                        stop.run();
                    } catch (Exception e) {
                        System.err.println("writ gateway: graceful stop failed: " + e.getMessage());
                    } finally {
                        stopped.countDown();
                    }
                },
                "writ-gateway-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        join.run();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            stopped.await(); // the JVM is exiting: let the hook finish draining first
        }
    }

    static List<X509Certificate> readBundle(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("the trust bundle holds no certificate");
            }
            return out;
        }
    }

    static InetSocketAddress parseListen(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--listen must be HOST:PORT");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(s.substring(colon + 1));
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--listen port out of range");
        }
        return new InetSocketAddress(host, port);
    }

    /** Durations as {@code 500ms}, {@code 10s}, {@code 5m}, or ISO 8601 ({@code PT10S}). */
    public static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.startsWith("pt")) return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            if (v.endsWith("s")) return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            if (v.endsWith("m")) return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            return Duration.ofSeconds(Long.parseLong(v));
        }
    }
}
