package dev.writ.server.store;

import java.time.Instant;
import java.util.List;

/** The event outbox: events recorded in the same transaction as the change they describe. */
public interface EventRepository {
    /** Appends an event; returns its sequence number (strictly increasing). */
    long append(String type, String body, Instant at) throws StoreException;

    /** Events with a sequence number greater than {@code afterSeq}, in order. */
    List<StoredEvent> after(long afterSeq, int limit) throws StoreException;

    /** Events not yet marked delivered, in order. */
    List<StoredEvent> undelivered(int limit) throws StoreException;

    void markDelivered(long seq, Instant at) throws StoreException;

    long count() throws StoreException;
}
