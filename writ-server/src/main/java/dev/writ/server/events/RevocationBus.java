package dev.writ.server.events;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-process fan-out of committed revocations: the OCSP cache, the CRL publisher and the PEP revocation stream
 * subscribe here. Publication is synchronous on the revoking thread, after the database commit; a listener that throws
 * is logged and does not stop the others.
 */
public final class RevocationBus {
    private static final Logger LOG = LoggerFactory.getLogger(RevocationBus.class);
    private final List<RevocationListener> listeners = new CopyOnWriteArrayList<>();

    /** Subscribes a listener; returns a handle that unsubscribes it. */
    public AutoCloseable subscribe(RevocationListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    public void publish(RevocationEvent event) {
        for (RevocationListener l : listeners) {
            try {
                l.revoked(event);
            } catch (RuntimeException e) {
                LOG.warn("revocation listener failed for serial {}", event.serial(), e);
            }
        }
    }
}
