package dev.writ.server.custody;

/** The kinds of key custody can generate. */
public enum KeySpec {
    /** Ed25519 (RFC 8032); signatures are 64 bytes; JOSE {@code EdDSA}. */
    ED25519,
    /** ECDSA on P-256 with SHA-256; signatures are raw r‖s, 64 bytes (IEEE P1363); JOSE {@code ES256}. */
    EC_P256
}
