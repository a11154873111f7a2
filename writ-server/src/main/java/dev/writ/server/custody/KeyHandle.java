package dev.writ.server.custody;

import java.util.Objects;

/**
 * A reference to a private key held in custody. Carries no key material: only an opaque identifier and the key's
 * kind. Safe to store, log and pass around.
 *
 * @param id opaque, stable identifier of the key inside its custody
 * @param spec the kind of key
 */
public record KeyHandle(String id, KeySpec spec) {
    public KeyHandle {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spec, "spec");
    }
}
