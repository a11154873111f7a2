package dev.writ.server.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import dev.writ.server.store.StoredEvent;
import java.io.IOException;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;

/**
 * Moves lifecycle events from the transactional outbox into the audit log, in order. An event is written to the
 * outbox in the same database transaction as the change it describes, so the two commit together; the relay then
 * records it in the log (durably) and only afterwards marks it delivered.
 *
 * <p>Delivery is at least once: a crash between the log append and the mark repeats the event on the next drain.
 * Each logged event carries its outbox sequence number ({@code outbox_seq}), so a repeat is recognisable, and no
 * event is ever lost.
 */
public final class OutboxRelay {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BATCH = 256;

    private final Store store;
    private final EventSink log;
    private final InstantSource clock;

    /**
     * @param store the store whose outbox is drained
     * @param log where events go: the audit log's sink
     */
    public OutboxRelay(Store store, EventSink log, InstantSource clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.log = Objects.requireNonNull(log, "log");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Delivers every undelivered event, oldest first, and stops at the first failure (so order is kept).
     *
     * @return how many events were delivered
     * @throws EventSink.EventException when an event could not be logged; it stays in the outbox
     * @throws StoreException when the outbox cannot be read or marked
     */
    public synchronized int drain() throws EventSink.EventException, StoreException {
        int delivered = 0;
        while (true) {
            List<StoredEvent> batch = store.inTransaction(tx -> tx.events().undelivered(BATCH));
            if (batch.isEmpty()) {
                return delivered;
            }
            for (StoredEvent e : batch) {
                log.record(e.type(), body(e));
                store.inTransaction(tx -> {
                    tx.events().markDelivered(e.seq(), clock.instant());
                    return null;
                });
                delivered++;
            }
        }
    }

    private static ObjectNode body(StoredEvent e) throws EventSink.EventException {
        ObjectNode body;
        try {
            JsonNode n = JSON.readTree(e.body());
            if (!(n instanceof ObjectNode o)) {
                throw new EventSink.EventException("outbox event " + e.seq() + " is not a JSON object", null);
            }
            body = o;
        } catch (IOException ex) {
            throw new EventSink.EventException("outbox event " + e.seq() + " is not JSON", ex);
        }
        body.put("outbox_seq", e.seq());
        body.put("recorded_at", e.createdAt().toString());
        return body;
    }
}
