package dev.writ.server.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.json.CanonicalJson;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;

/**
 * An {@link EventSink} that appends events to the store's outbox table. Called inside a store transaction it joins
 * that transaction, so an event commits exactly when the change it describes commits. A relay (the audit log) reads
 * the outbox in sequence order.
 */
public final class OutboxEventSink implements EventSink {
    private final Store store;
    private final InstantSource clock;

    public OutboxEventSink(Store store, InstantSource clock) {
        this.store = store;
        this.clock = clock;
    }

    @Override
    public void record(String type, ObjectNode body) throws EventException {
        String json;
        try {
            json = new String(CanonicalJson.encode(body), StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            throw new EventException("event body is not canonical JSON", e);
        }
        try {
            store.inTransaction(tx -> tx.events().append(type, json, clock.instant()));
        } catch (StoreException e) {
            throw new EventException("cannot append event " + type, e);
        }
    }
}
