package dev.writ.server.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.writ.server.log.AuditLog;
import dev.writ.server.log.AuditLogEventSink;
import dev.writ.server.log.TestSigner;
import dev.writ.server.store.SqliteStore;
import dev.writ.server.store.StoredEvent;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxRelayTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void deliversOutboxEventsToTheLogInOrderExactlyOnceWhenNothingFails() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir.resolve("writ.db"));
                AuditLog log = AuditLog.open(dir.resolve("log"), new TestSigner("writ.test/log", 3))) {
            OutboxEventSink outbox = new OutboxEventSink(store, InstantSource.system());
            for (int i = 0; i < 5; i++) {
                outbox.record(
                        "cert.issued", JsonNodeFactory.instance.objectNode().put("serial", "0" + i));
            }
            OutboxRelay relay = new OutboxRelay(store, new AuditLogEventSink(log), InstantSource.system());

            assertThat(relay.drain()).isEqualTo(5);
            assertThat(relay.drain()).isZero();
            assertThat(log.size()).isEqualTo(5);
            for (int i = 0; i < 5; i++) {
                JsonNode e = JSON.readTree(log.entry(i));
                assertThat(e.get("type").asText()).isEqualTo("cert.issued");
                assertThat(e.get("serial").asText()).isEqualTo("0" + i);
                assertThat(e.get("outbox_seq").asLong()).isPositive();
            }
            List<StoredEvent> left = store.inTransaction(tx -> tx.events().undelivered(10));
            assertThat(left).isEmpty();
        }
    }

    @Test
    void anEventThatCannotBeLoggedStaysInTheOutboxAndIsDeliveredLater() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir.resolve("writ.db"))) {
            OutboxEventSink outbox = new OutboxEventSink(store, InstantSource.system());
            outbox.record("cert.revoked", JsonNodeFactory.instance.objectNode().put("serial", "ab"));
            AuditLog closed = AuditLog.open(dir.resolve("log"), new TestSigner("writ.test/log", 3));
            closed.close();

            OutboxRelay broken = new OutboxRelay(store, new AuditLogEventSink(closed), InstantSource.system());
            assertThatThrownBy(broken::drain).isInstanceOf(EventSink.EventException.class);
            List<StoredEvent> kept = store.inTransaction(tx -> tx.events().undelivered(10));
            assertThat(kept).hasSize(1);

            try (AuditLog log = AuditLog.open(dir.resolve("log"), new TestSigner("writ.test/log", 3))) {
                assertThat(new OutboxRelay(store, new AuditLogEventSink(log), InstantSource.system()).drain())
                        .isEqualTo(1);
                assertThat(JSON.readTree(log.entry(0)).get("type").asText()).isEqualTo("cert.revoked");
            }
        }
    }
}
