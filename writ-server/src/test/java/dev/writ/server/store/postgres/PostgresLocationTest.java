package dev.writ.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.server.store.StoreException;
import org.junit.jupiter.api.Test;

class PostgresLocationTest {
    @Test
    void theLibpqFormIsSplitIntoUrlUserAndPassword() throws Exception {
        PostgresLocation l =
                PostgresLocation.parse("postgresql://writ:p%40ss+w%3Ard@db.example:6543/state?sslmode=require");
        assertThat(l.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/state?sslmode=require");
        assertThat(l.user()).isEqualTo("writ");
        assertThat(l.password()).isEqualTo("p@ss+w:rd");
        assertThat(l.describe()).isEqualTo("db.example:6543/state");
        assertThat(l.toString()).doesNotContain("p@ss").contains("writ");
    }

    @Test
    void shortFormsAndTheJdbcFormAreAccepted() throws Exception {
        PostgresLocation l = PostgresLocation.parse("postgres://db/writ");
        assertThat(l.jdbcUrl()).isEqualTo("jdbc:postgresql://db/writ");
        assertThat(l.user()).isNull();
        assertThat(l.password()).isNull();
        assertThat(PostgresLocation.parse("postgresql://only@db").user()).isEqualTo("only");
        String jdbc = "jdbc:postgresql://a:5432,b:5432/writ?user=u&password=secret";
        PostgresLocation j = PostgresLocation.parse(jdbc);
        assertThat(j.jdbcUrl()).isEqualTo(jdbc);
        assertThat(j.describe()).isEqualTo("a:5432,b:5432/writ");
        assertThat(j.toString()).doesNotContain("secret");
    }

    @Test
    void otherStringsAreRefusedWithoutBeingRepeated() {
        for (String bad : new String[] {
            "", "  ", "mysql://u:secret@h/db", "postgresql://u:secret@/db", "postgresql://u:se cret@h/db"
        }) {
            assertThatThrownBy(() -> PostgresLocation.parse(bad))
                    .isInstanceOf(StoreException.class)
                    .satisfies(e ->
                            assertThat(e.getMessage()).doesNotContain("secret").doesNotContain("se cret"))
                    .hasNoCause();
        }
    }
}
