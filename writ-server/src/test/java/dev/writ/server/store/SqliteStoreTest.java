package dev.writ.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the embedded SQLite store, plus what is specific to it (WAL, reopening). */
class SqliteStoreTest extends StoreContract {
    @TempDir
    Path dir;

    @Override
    protected Store newStore() throws Exception {
        return SqliteStore.open(dir.resolve("writ.db"));
    }

    @Test
    void dataSurvivesReopeningAndMigrationsAreIdempotent() throws Exception {
        tx(tx -> tx.tenants().create("acme", Instant.EPOCH));
        store.close();
        store = SqliteStore.open(dir.resolve("writ.db"));
        assertThat(bool(tx -> tx.tenants().exists("acme"))).isTrue();
    }

    @Test
    void usesWriteAheadLogging() throws Exception {
        tx(tx -> tx.tenants().create("acme", Instant.EPOCH));
        assertThat(dir.resolve("writ.db-wal")).exists();
    }
}
