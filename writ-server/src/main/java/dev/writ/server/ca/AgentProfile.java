package dev.writ.server.ca;

import dev.writ.core.cert.AgentExtensions;
import dev.writ.core.cert.ModelInfo;
import dev.writ.core.cert.SpiffeId;
import dev.writ.core.scope.Scope;
import java.math.BigInteger;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Optional;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

/**
 * The agent certificate profile (DESIGN §3): subject {@code CN=<name>, O=<tenant>}, exactly one URI SAN (the SPIFFE
 * ID), {@code CA:false}, keyUsage digitalSignature (critical), EKU id-writ-kp-agentAction only, AIA and CRL
 * distribution point, the critical scope extension and, when given, the non-critical model extension. The profile
 * extensions come from {@link AgentExtensions}, the same code the verifier's parser is tested against.
 */
public final class AgentProfile {
    private AgentProfile() {}

    /** The SPIFFE ID of an agent. */
    public static String spiffeId(String trustDomain, String tenant, String agentId) {
        return new SpiffeId(trustDomain, tenant, agentId).toString();
    }

    /** Builds and signs an agent certificate. */
    public static X509CertificateHolder issue(
            IssuingCa ca,
            BigInteger serial,
            String name,
            SpiffeId spiffeId,
            Instant notBefore,
            Instant notAfter,
            PublicKey key,
            Scope scope,
            Optional<ModelInfo> model,
            PkiUrls urls,
            ContentSigner signer)
            throws CertIOException {
        X509CertificateHolder issuer = ca.certificate();
        X509v3CertificateBuilder b = CertificateProfiles.builder(
                issuer.getSubject(),
                serial,
                notBefore,
                notAfter,
                AgentExtensions.subject(name, spiffeId.tenant()),
                key);
        CertificateProfiles.keyIds(b, key, issuer.getSubjectPublicKeyInfo());
        // Includes the scope extension, critical on purpose: validators that do not know Writ scopes must refuse.
        for (Extension e : AgentExtensions.forAgent(spiffeId, scope, model)) {
            b.addExtension(e);
        }
        CertificateProfiles.revocationPointers(b, urls, ca.name());
        return b.build(signer);
    }
}
