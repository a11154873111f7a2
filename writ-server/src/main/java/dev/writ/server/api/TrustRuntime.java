package dev.writ.server.api;

import dev.writ.server.ca.AgentService;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.CrlPublisher;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.OcspResponder;
import dev.writ.server.ca.PkiUrls;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.events.EventSink;
import dev.writ.server.events.OutboxEventSink;
import dev.writ.server.events.RevocationBus;
import dev.writ.server.policy.PolicyDatabase;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.store.SqliteStore;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trust domain, opened for serving: store, custody, agent service, OCSP responder, CRL publisher, event sink,
 * revocation bus and authentication, built from a data directory. This is what {@code writ serve} runs; other areas
 * get their collaborators from here and mount their handlers on {@link #server}. Never opens the sealed root key.
 *
 * <pre>{@code
 * try (TrustRuntime rt = TrustRuntime.open(dataDir, TrustRuntime.Options.defaults())) {
 *     WritServer server = rt.server("127.0.0.1", 8443);   // trust API, OCSP/CRL, health already mounted
 *     server.mount("/log", logHandler);
 *     server.start();
 * }
 * }</pre>
 */
public final class TrustRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrustRuntime.class);

    /**
     * How to open the runtime.
     *
     * @param publicUrl the base URL written into new certificates (null: the one in {@code domain.json})
     * @param ocspValidity how long an OCSP response is valid (re-signed after half of it)
     * @param events the event sink (null: the store's outbox)
     */
    public record Options(
            String publicUrl,
            Duration ocspValidity,
            EventSink events,
            InstantSource clock,
            SecureRandom random,
            Map<String, String> env) {
        public static Options defaults() {
            return new Options(
                    null, Duration.ofHours(1), null, InstantSource.system(), new SecureRandom(), System.getenv());
        }

        public Options withPublicUrl(String url) {
            return new Options(url, ocspValidity, events, clock, random, env);
        }

        public Options withEvents(EventSink sink) {
            return new Options(publicUrl, ocspValidity, sink, clock, random, env);
        }

        public Options withEnv(Map<String, String> e) {
            return new Options(publicUrl, ocspValidity, events, clock, random, e);
        }
    }

    private final Path dataDir;
    private final TrustDomain domain;
    private final Store store;
    private final KeyCustody custody;
    private final EventSink events;
    private final RevocationBus revocations = new RevocationBus();
    private final AgentService agents;
    private final OcspResponder ocsp;
    private final CrlPublisher crls;
    private final Auth auth;
    private final PkiUrls urls;
    private final ScheduledExecutorService scheduler;

    /**
     * Where a runtime keeps its state when it is not the data directory's SQLite database: a store (owned by the
     * runtime from then on, closed with it), the same database as a plain {@link DataSource} for the components with
     * their own tables (policies, approvals), and a wrapper around the custody opened from the data directory (for
     * example one that shares sealed keys between nodes).
     */
    public record State(Store store, DataSource database, UnaryOperator<KeyCustody> custody) {
        public State {
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(custody, "custody");
        }
    }

    private final DataSource database;

    private TrustRuntime(Path dataDir, Options options, State state) throws CaException, StoreException {
        this.dataDir = dataDir;
        TrustDomain d;
        try {
            d = TrustDomain.load(dataDir);
        } catch (CaException | RuntimeException e) {
            if (state != null) {
                state.store().close();
            }
            throw e;
        }
        this.domain = d;
        this.urls = new PkiUrls(options.publicUrl() != null ? options.publicUrl() : domain.publicUrl());
        this.store = state != null ? state.store() : SqliteStore.open(dataDir.resolve("writ.db"));
        this.database = state != null ? state.database() : null;
        KeyCustody c = null;
        try {
            c = CustodyConfig.open(dataDir, domain.custody(), options.env(), options.random());
            if (state != null) {
                c = state.custody().apply(c);
            }
            this.custody = c;
            this.events = options.events() != null ? options.events() : new OutboxEventSink(store, options.clock());
            this.agents = new AgentService(
                    domain, custody, store, events, revocations, urls, options.clock(), options.random());
            this.ocsp = new OcspResponder(domain, custody, store, options.clock(), options.ocspValidity());
            this.crls = new CrlPublisher(domain, custody, store, options.clock(), dataDir, urls);
            revocations.subscribe(ocsp);
            revocations.subscribe(crls);
            crls.publishFull();
            this.auth = new Auth(store, agents);
        } catch (CaException | RuntimeException e) {
            store.close();
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // the original failure matters
                }
            }
            throw e;
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "writ-crl");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleAtFixedRate(() -> run(crls::publishDeltas), 5, 5, TimeUnit.MINUTES);
        scheduler.scheduleAtFixedRate(() -> run(crls::publishFull), 60, 60, TimeUnit.MINUTES);
    }

    private interface CaTask {
        void run() throws CaException;
    }

    private static void run(CaTask t) {
        try {
            t.run();
        } catch (CaException | RuntimeException e) {
            LOG.error("scheduled CRL publication failed", e);
        }
    }

    /**
     * Opens the trust domain in {@code dataDir} for serving.
     *
     * @throws CaException {@code domain.missing} without a domain, {@code custody.unavailable} when custody cannot be
     *     opened
     * @throws StoreException when the database cannot be opened or migrated
     */
    public static TrustRuntime open(Path dataDir, Options options) throws CaException, StoreException {
        return new TrustRuntime(dataDir, options, null);
    }

    /**
     * Opens the trust domain described in {@code dataDir} with its state in {@code state} (for example PostgreSQL
     * shared by several nodes). The runtime owns {@code state.store()} from now on, also when this method throws.
     *
     * @throws CaException as {@link #open(Path, Options)}
     * @throws StoreException when the store fails while opening
     */
    public static TrustRuntime open(Path dataDir, Options options, State state) throws CaException, StoreException {
        return new TrustRuntime(dataDir, options, Objects.requireNonNull(state, "state"));
    }

    /**
     * The state database as a plain data source (auto-commit on) for components with their own tables: the one given
     * in {@link State}, else the data directory's SQLite database, migrated.
     *
     * @throws PolicyException {@code policy.storage} when the SQLite database cannot be opened
     */
    public DataSource database() throws PolicyException {
        return database != null ? database : PolicyDatabase.openSqlite(dataDir);
    }

    /**
     * A server with the trust domain's handlers mounted: {@code /api/v1/agents}, {@code /api/v1/certificates},
     * {@code /api/v1/tenants}, {@code /ocsp}, {@code /crl}, {@code /ca}, {@code /trust-bundle.pem}, plus
     * {@code /healthz} and {@code /readyz}. Not started.
     */
    public WritServer server(String host, int port) {
        return mountOn(new WritServer(host, port));
    }

    /** Mounts the trust domain's handlers on an existing server. */
    public WritServer mountOn(WritServer server) {
        Router api = TrustApi.router(agents, auth);
        // Routers pass on paths they do not know, so other areas can mount below the same prefixes.
        server.mount("/api/v1", api);
        server.mount("/", PkiHandler.router(domain, ocsp, crls, server.metrics()));
        return server;
    }

    public Path dataDir() {
        return dataDir;
    }

    public TrustDomain domain() {
        return domain;
    }

    public Store store() {
        return store;
    }

    /** The domain's key custody (CA, responder, policy- and audit-signing keys, agent keys). */
    public KeyCustody custody() {
        return custody;
    }

    public AgentService agents() {
        return agents;
    }

    public OcspResponder ocsp() {
        return ocsp;
    }

    public CrlPublisher crls() {
        return crls;
    }

    public RevocationBus revocations() {
        return revocations;
    }

    public EventSink events() {
        return events;
    }

    public Auth auth() {
        return auth;
    }

    public PkiUrls urls() {
        return urls;
    }

    @Override
    public void close() throws Exception {
        scheduler.shutdownNow();
        try {
            custody.close();
        } finally {
            store.close();
        }
    }
}
