package dev.writ.server.gateway;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.security.auth.x500.X500Principal;

/** An in-process {@link RevocationFeed}: revocations published here are pushed to every subscribed PEP. */
public final class InMemoryRevocationFeed implements RevocationFeed {
    private final List<RevocationEvent> events = new ArrayList<>();
    private final CopyOnWriteArrayList<Consumer<RevocationEvent>> listeners = new CopyOnWriteArrayList<>();
    private final String epoch = java.util.HexFormat.of()
            .formatHex(java.nio.ByteBuffer.allocate(8)
                    .putLong(new java.security.SecureRandom().nextLong())
                    .array());

    /** A fresh random epoch per feed: its numbering is its own. */
    @Override
    public String epoch() {
        return epoch;
    }

    /** Appends a revocation and notifies the subscribers; returns the event with its sequence number. */
    public RevocationEvent publish(X500Principal issuer, BigInteger serial, String reason, Instant revokedAt) {
        RevocationEvent e;
        synchronized (events) {
            e = new RevocationEvent(events.size() + 1L, issuer, serial, reason, revokedAt);
            events.add(e);
            // Notified under the lock, so every subscriber sees events in sequence order.
            for (Consumer<RevocationEvent> l : listeners) {
                l.accept(e);
            }
        }
        return e;
    }

    /** Appends a revocation of {@code certificate}. */
    public RevocationEvent publish(X509Certificate certificate, String reason, Instant revokedAt) {
        return publish(certificate.getIssuerX500Principal(), certificate.getSerialNumber(), reason, revokedAt);
    }

    @Override
    public List<RevocationEvent> since(long cursor) {
        synchronized (events) {
            int from = (int) Math.max(0, Math.min(cursor, events.size()));
            return List.copyOf(events.subList(from, events.size()));
        }
    }

    @Override
    public long latest() {
        synchronized (events) {
            return events.size();
        }
    }

    @Override
    public AutoCloseable subscribe(Consumer<RevocationEvent> listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
