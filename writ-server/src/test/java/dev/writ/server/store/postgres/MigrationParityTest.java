package dev.writ.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Both backends evolve together: every SQLite migration has a PostgreSQL twin with the same version number and
 * description, so a database of either kind at version N has the same tables.
 */
class MigrationParityTest {
    private static final Pattern NAME = Pattern.compile("V(\\d+)__(.+)\\.sql");

    private static Set<String> migrations(String backend) throws IOException {
        Path dir = Path.of(System.getProperty("writ.repo.root", ".."))
                .resolve("writ-server/src/main/resources/db/migration")
                .resolve(backend);
        Set<String> out = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = NAME.matcher(f.getFileName().toString());
                if (m.matches()) {
                    out.add(m.group(1) + " " + m.group(2));
                }
            }
        }
        return out;
    }

    @Test
    void everySqliteMigrationHasAPostgresTwin() throws IOException {
        Set<String> sqlite = migrations("sqlite");
        assertThat(sqlite).contains("1 trust_domain", "100 policy");
        assertThat(migrations("postgresql")).containsAll(sqlite);
    }
}
