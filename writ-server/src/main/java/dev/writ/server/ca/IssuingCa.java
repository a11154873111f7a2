package dev.writ.server.ca;

import dev.writ.server.custody.KeyHandle;
import java.util.Objects;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * A certificate authority as the running server sees it: its certificate, the custody handle of its key (null for the
 * sealed root, whose key is never online) and its delegated OCSP responder.
 */
public record IssuingCa(
        CaName name,
        X509CertificateHolder certificate,
        KeyHandle key,
        X509CertificateHolder responderCertificate,
        KeyHandle responderKey) {
    public IssuingCa {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(responderCertificate, "responderCertificate");
        Objects.requireNonNull(responderKey, "responderKey");
    }

    /** Whether this CA's key is online (in custody): false for the root. */
    public boolean online() {
        return key != null;
    }
}
