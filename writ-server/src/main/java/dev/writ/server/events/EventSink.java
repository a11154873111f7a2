package dev.writ.server.events;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where trust-relevant events go: certificate issuance, rotation and revocation, policy publication and activation,
 * approvals. In a running server the sink is the audit log, so {@link #record} returns only once the event is durably
 * sequenced.
 */
public interface EventSink {

    /**
     * Records an event.
     *
     * @param type the event type, for example {@code cert.issued}, {@code cert.revoked}, {@code policy.activated}
     * @param body the event's fields (without {@code type}); serialised as RFC 8785 canonical JSON
     * @throws EventException when the event could not be recorded durably; the caller must fail the operation
     */
    void record(String type, ObjectNode body) throws EventException;

    /** An event could not be recorded. */
    final class EventException extends Exception {
        public EventException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
