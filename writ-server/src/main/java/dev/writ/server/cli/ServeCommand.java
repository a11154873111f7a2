package dev.writ.server.cli;

import dev.writ.server.api.TrustRuntime;
import dev.writ.server.api.WritServer;
import dev.writ.server.authz.AuthzRuntime;
import dev.writ.server.ca.CaException;
import dev.writ.server.log.LogException;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.store.StoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code writ serve}: runs the trust service. Never opens the sealed root key. */
@Command(
        name = "serve",
        description = "Run the Writ server (trust API, authorize, approvals, audit log, revocation stream, OCSP, CRLs)"
                + " on HTTP/1.1 and h2c, or TLS.")
public final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin
    GlobalOptions global;

    @Mixin
    NodeConfig.Flags backends;

    @Option(names = "--host", description = "Address to bind (default: $WRIT_HOST, else 127.0.0.1).")
    String host;

    @Option(names = "--port", description = "Port (default: $WRIT_PORT, else 7070; 0 picks a free one).")
    Integer port;

    @Option(
            names = "--public-url",
            paramLabel = "URL",
            description = "Base URL written into new certificates (default: $WRIT_PUBLIC_URL, else the one given to"
                    + " writ init).")
    String publicUrl;

    @Option(
            names = "--tls-keystore",
            paramLabel = "FILE",
            description = "PKCS#12 keystore: serve HTTPS instead of HTTP.")
    Path tlsKeystore;

    @Option(
            names = "--tls-keystore-password-file",
            paramLabel = "FILE",
            description = "File with the keystore password.")
    Path tlsPasswordFile;

    /** Hook for embedding (tests, the integrator's assembly): called with the runtime and server before start. */
    public interface Customizer {
        void customize(TrustRuntime runtime, WritServer server) throws Exception;
    }

    private static volatile Customizer customizer = (rt, s) -> {};

    /** Sets what {@code writ serve} mounts in addition to the trust domain's own handlers. */
    public static void customizer(Customizer c) {
        customizer = c;
    }

    @Override
    public Integer call() throws Exception {
        String password = null;
        if (tlsKeystore != null) {
            if (tlsPasswordFile == null) {
                throw CliError.usage("--tls-keystore needs --tls-keystore-password-file");
            }
            try {
                password = Files.readString(tlsPasswordFile, StandardCharsets.UTF_8)
                        .strip();
            } catch (IOException e) {
                throw CliError.usage("cannot read " + tlsPasswordFile);
            }
        }
        Map<String, Object> listener = new HashMap<>();
        listener.put("host", host);
        listener.put("port", port);
        listener.put("public-url", publicUrl);
        NodeConfig config = NodeConfig.resolve(backends, listener, System.getenv());
        String host = config.host();
        int port = config.port();
        TrustRuntime.Options options = TrustRuntime.Options.defaults();
        if (config.publicUrl() != null) {
            options = options.withPublicUrl(config.publicUrl());
        }
        Path data = global.dataDir();
        NodeServices services = NodeServices.open(config, data, options.clock());
        TrustRuntime rt;
        try {
            rt = services.state() == null
                    ? TrustRuntime.open(data, options)
                    : TrustRuntime.open(data, options, services.state());
        } catch (CaException e) {
            services.close();
            throw new CliError(ExitCodes.USAGE, e.getMessage());
        } catch (StoreException e) {
            services.close();
            throw new CliError(1, "cannot open the database: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            services.close();
            throw CliError.usage(e.getMessage());
        }
        ServerWiring wiring;
        try {
            services.startRevocationRelay(rt, options.clock());
            wiring = ServerWiring.open(rt, AuthzRuntime.Options.defaults(), services);
        } catch (LogException e) {
            rt.close();
            services.close();
            if (services.state() != null) {
                throw new CliError(1, "cannot open the audit log: " + e.getMessage());
            }
            throw new CliError(1, "cannot open the audit log (" + e.getMessage() + "); is another server running?");
        } catch (PolicyException e) {
            rt.close();
            services.close();
            throw new CliError(1, "the active policy does not load: " + e.getMessage());
        } catch (Exception e) {
            rt.close();
            services.close();
            throw e;
        }
        // Closed in reverse order: the wiring (revocation feed, authorize path, audit log flushed) before the runtime,
        // and the backends (Redis) last.
        try (services;
                rt;
                wiring) {
            WritServer server = wiring.mountOn(rt.mountOn(new WritServer(host, port, tlsKeystore, password)));
            server.mount("/readyz", wiring.readiness(rt, services).router());
            customizer.customize(rt, server);
            try {
                server.start();
            } catch (IOException e) {
                throw new CliError(1, "cannot listen on " + host + ":" + port + ": " + e.getMessage());
            }
            String scheme = tlsKeystore == null ? "http" : "https";
            System.out.println("writ serve: trust domain " + rt.domain().name() + " listening on " + scheme + "://"
                    + host + ":" + server.port());
            System.out.flush();
            LOG.info("listening on {}://{}:{}", scheme, host, server.port());
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(
                    () -> {
                        try {
                            server.stop();
                        } catch (Exception e) {
                            LOG.warn("graceful stop failed", e);
                        } finally {
                            stopped.countDown();
                        }
                    },
                    "writ-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            server.join();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is exiting: let the hook finish the graceful stop before closing the runtime.
                stopped.await();
            }
        }
        return ExitCodes.OK;
    }
}
