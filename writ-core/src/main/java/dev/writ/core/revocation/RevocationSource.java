package dev.writ.core.revocation;

import java.math.BigInteger;
import javax.security.auth.x500.X500Principal;

/**
 * The revocation state a PEP holds locally, pushed from the trust service (the data plane never asks the control plane
 * while it verifies). Consulted for every certificate of an envelope's chain, in addition to the stapled OCSP
 * response, so a revocation pushed after an envelope was signed takes effect at once.
 *
 * <p>Implementations answer from memory. A source that cannot answer throws an unchecked exception, and the verifier
 * treats that as "revoked" (fail closed).
 */
public interface RevocationSource {

    /** Whether the certificate with this issuer and serial number has been revoked. */
    boolean isRevoked(X500Principal issuer, BigInteger serial);
}
