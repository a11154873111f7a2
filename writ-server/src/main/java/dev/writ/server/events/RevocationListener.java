package dev.writ.server.events;

/** Receives revocations as soon as they are committed. Implementations must be fast and must not throw. */
@FunctionalInterface
public interface RevocationListener {
    void revoked(RevocationEvent event);
}
