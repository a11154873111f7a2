package dev.writ.server.gateway;

import java.util.List;
import java.util.function.Consumer;

/**
 * The server-side source of revocations that {@link RevocationStreamHandler} publishes: an append-only sequence of
 * {@link RevocationEvent}s numbered from 1, and live notification of new ones. The server implements it over its
 * certificate store; {@link InMemoryRevocationFeed} is the in-process one.
 */
public interface RevocationFeed {

    /** Every event with {@code seq > cursor}, oldest first ({@code since(0)} is the full snapshot). */
    List<RevocationEvent> since(long cursor);

    /**
     * Names this numbering of the sequence. Sequence numbers are only comparable within one epoch: another server (or
     * the same one after a restart) numbers its events independently, so a subscriber whose cursor comes from another
     * epoch is sent the whole snapshot again. Letters, digits and {@code -} only.
     */
    String epoch();

    /** The highest {@code seq} so far (0 when there is none). */
    long latest();

    /**
     * Calls {@code listener} for each event appended from now on (possibly from the appending thread: it must not
     * block). Closing the returned handle unsubscribes.
     */
    AutoCloseable subscribe(Consumer<RevocationEvent> listener);
}
