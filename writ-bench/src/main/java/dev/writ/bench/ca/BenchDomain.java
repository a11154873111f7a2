package dev.writ.bench.ca;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.api.TrustRuntime;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.DomainCeremony;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.store.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/** A throwaway trust domain for benchmarks: created by the init ceremony in a temporary directory. */
final class BenchDomain implements AutoCloseable {
    static final String SCOPE = "{\"actions\":[\"payments.*\"],\"limits\":{\"EUR\":100000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"internal\","
            + "\"delegation\":1}";

    final Path dir;
    final TrustRuntime runtime;

    BenchDomain() throws Exception {
        dir = Files.createTempDirectory("writ-bench-");
        ObjectNode custody = CustodyConfig.software();
        SecureRandom random = new SecureRandom();
        try (KeyCustody keys = CustodyConfig.create(dir, custody, Map.of(), random);
                SqliteStore store = SqliteStore.open(dir.resolve("writ.db"))) {
            DomainCeremony.init(
                    dir,
                    "bench.local",
                    "http://127.0.0.1:7070",
                    keys,
                    custody,
                    store,
                    "benchmark passphrase".toCharArray(),
                    "acme",
                    InstantSource.system(),
                    random);
        }
        runtime = TrustRuntime.open(dir, TrustRuntime.Options.defaults().withEnv(Map.of()));
    }

    @Override
    public void close() throws Exception {
        runtime.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // temporary
                }
            });
        }
    }
}
