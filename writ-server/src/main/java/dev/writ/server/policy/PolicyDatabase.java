package dev.writ.server.policy;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/** Opens the embedded state database of a data directory ({@code writ.db}, SQLite in WAL mode), migrated. */
public final class PolicyDatabase {
    private PolicyDatabase() {}

    /**
     * Opens (creating when needed) {@code <dataDir>/writ.db} and applies the SQLite migrations.
     *
     * @throws PolicyException {@code policy.storage} when the database cannot be opened or migrated
     */
    public static DataSource openSqlite(Path dataDir) throws PolicyException {
        try {
            Files.createDirectories(dataDir);
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.enforceForeignKeys(true);
            config.setBusyTimeout(5000);
            SQLiteDataSource ds = new SQLiteDataSource(config);
            ds.setUrl("jdbc:sqlite:" + dataDir.resolve("writ.db").toAbsolutePath());
            migrate(ds);
            return ds;
        } catch (PolicyException e) {
            throw e;
        } catch (Exception e) {
            throw new PolicyException("policy.storage", "cannot open the state database in " + dataDir, e);
        }
    }

    /**
     * Applies the SQLite migrations ({@code classpath:db/migration/sqlite}) to a data source.
     *
     * @throws PolicyException {@code policy.storage} when the migration fails
     */
    public static void migrate(DataSource ds) throws PolicyException {
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .locations("classpath:db/migration/sqlite")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            throw new PolicyException("policy.storage", "the database migration failed", e);
        }
    }
}
