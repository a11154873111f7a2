package dev.writ.server.ca;

import dev.writ.server.custody.KeyHandle;
import java.util.Objects;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * A signing certificate whose key lives in custody: the policy-signing certificate (from the policy CA) or the
 * log/decision signing certificate (from the audit CA).
 */
public record SigningLeaf(X509CertificateHolder certificate, KeyHandle key, CaName issuer) {
    public SigningLeaf {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(issuer, "issuer");
    }
}
