package dev.writ.server.custody;

import java.security.PublicKey;

/**
 * The only code that touches private keys. Everything outside this package holds {@link KeyHandle}s and asks for
 * signatures; no method returns private key material.
 *
 * <p>Signatures are returned in their raw form: 64 bytes for Ed25519, raw r‖s (64 bytes) for ECDSA P-256. X.509
 * code converts ECDSA signatures to DER itself.
 */
public interface KeyCustody extends AutoCloseable {

    /** Generates a new key pair inside custody and returns its handle. {@code label} is a non-secret description. */
    KeyHandle generate(KeySpec spec, String label) throws CustodyException;

    /** The public key of a handle. */
    PublicKey publicKey(KeyHandle handle) throws CustodyException;

    /** Signs {@code data} (the message itself, not a digest) with the key behind {@code handle}. */
    byte[] sign(KeyHandle handle, byte[] data) throws CustodyException;

    /** Destroys the key behind {@code handle}; later use of the handle fails. */
    void destroy(KeyHandle handle) throws CustodyException;

    /** The kind of key this custody generates by default (Ed25519 for software, P-256 for PKCS#11). */
    KeySpec defaultSpec();

    @Override
    void close() throws CustodyException;
}
