package dev.writ.server.log;

import dev.writ.core.log.NoteVerifier;

/**
 * Signs the log's checkpoints with an Ed25519 key held elsewhere (normally key custody, see
 * {@link CustodyCheckpointSigner}). The log never sees private key material.
 */
public interface CheckpointSigner {
    /** The log origin, also the signed-note key name (for example {@code writ.example.com/log}). */
    String name();

    /** The raw 32-byte Ed25519 public key. */
    byte[] publicKey();

    /**
     * Signs {@code message} (the checkpoint note text) and returns the 64-byte Ed25519 signature.
     *
     * @throws LogException {@code log.signer} when the key is unavailable
     */
    byte[] sign(byte[] message) throws LogException;

    /** The verifier key of this signer, {@code name+hash+base64}. */
    default NoteVerifier verifier() {
        return NoteVerifier.ofEd25519(name(), publicKey());
    }
}
