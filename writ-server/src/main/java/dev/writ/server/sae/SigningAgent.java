package dev.writ.server.sae;

import dev.writ.server.custody.KeyHandle;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * What the signer needs about an agent: the handle of its key in custody, its certificate and the certificate of the
 * issuing intermediate (both go into {@code x5c}). Holds no key material.
 */
public record SigningAgent(KeyHandle key, X509Certificate certificate, X509Certificate issuer) {
    public SigningAgent {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(issuer, "issuer");
    }
}
