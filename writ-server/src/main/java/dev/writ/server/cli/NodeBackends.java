package dev.writ.server.cli;

import dev.writ.server.api.TrustRuntime;
import dev.writ.server.cluster.SharedCustody;
import dev.writ.server.cluster.SharedFiles;
import dev.writ.server.store.StoreException;
import dev.writ.server.store.postgres.PostgresStore;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.InstantSource;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared PostgreSQL backend of a node, opened from a {@link NodeConfig}: the store (migrated), the shared files
 * (trust-domain description and sealed custody keys), and what {@link TrustRuntime} needs to run on them.
 */
final class NodeBackends {
    private static final Logger LOG = LoggerFactory.getLogger(NodeBackends.class);

    private NodeBackends() {}

    /**
     * Connects to the configured PostgreSQL and migrates it.
     *
     * @throws CliError (exit 1) with one line naming host, port and database when it is unreachable or refuses the
     *     login, never the password
     */
    static PostgresStore openPostgres(NodeConfig config) {
        String location = config.dbLocationWithPassword();
        try {
            return PostgresStore.open(location, config.poolSize());
        } catch (StoreException e) {
            LOG.debug("PostgreSQL failure", e);
            throw new CliError(ExitCodes.FALSE, e.getMessage());
        } catch (IllegalArgumentException e) {
            throw CliError.usage("the PostgreSQL URI is malformed");
        }
    }

    /**
     * Writes the trust domain's shared files from the database into {@code dataDir} and returns the runtime state on
     * {@code store}. The store is closed when this throws.
     *
     * @throws CliError (exit 2) when the database holds no trust domain (run {@code writ init --db ...} first)
     */
    static TrustRuntime.State materialize(PostgresStore store, Path dataDir, InstantSource clock) {
        SharedFiles files = new SharedFiles(store.dataSource(), clock);
        try {
            if (!files.hasDomain()) {
                throw CliError.usage(
                        "no trust domain in PostgreSQL at " + store.describe() + " (run writ init --db ... first)");
            }
            int n = files.materialize(dataDir);
            LOG.info("{} shared trust-domain files from PostgreSQL at {} written to {}", n, store.describe(), dataDir);
        } catch (SQLException | IOException e) {
            store.close();
            throw new CliError(
                    ExitCodes.FALSE,
                    "cannot read the trust domain from PostgreSQL at " + store.describe() + ": "
                            + e.getClass().getSimpleName());
        } catch (CliError e) {
            store.close();
            throw e;
        }
        return new TrustRuntime.State(store, store.dataSource(), local -> new SharedCustody(local, dataDir, files));
    }

    /** A readiness check: one round trip to PostgreSQL. */
    static void ping(DataSource db) throws SQLException {
        try (Connection c = db.getConnection();
                Statement st = c.createStatement()) {
            st.setQueryTimeout(2);
            st.execute("SELECT 1");
        }
    }
}
