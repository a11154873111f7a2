package dev.writ.server.ca;

import dev.writ.core.cert.WritOids;
import java.math.BigInteger;
import java.security.PublicKey;
import java.time.Instant;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

/**
 * The agent certificate profile (DESIGN §3): subject {@code CN=<name>, O=<tenant>}, exactly one URI SAN (the SPIFFE
 * ID), {@code CA:false}, keyUsage digitalSignature (critical), EKU id-writ-kp-agentAction only, AIA and CRL
 * distribution point, the critical scope extension and, when given, the non-critical model extension.
 */
public final class AgentProfile {
    private AgentProfile() {}

    /** The SPIFFE ID of an agent. */
    public static String spiffeId(String trustDomain, String tenant, String agentId) {
        return "spiffe://" + trustDomain + "/tenant/" + tenant + "/agent/" + agentId;
    }

    public static X500Name subject(String name, String tenant) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, tenant)
                .addRDN(BCStyle.CN, name)
                .build();
    }

    /**
     * Builds and signs an agent certificate.
     *
     * @param scopeDer the DER value of the scope extension
     * @param modelDer the DER value of the model extension, or null for none
     */
    public static X509CertificateHolder issue(
            IssuingCa ca,
            BigInteger serial,
            String name,
            String tenant,
            String spiffeId,
            Instant notBefore,
            Instant notAfter,
            PublicKey key,
            byte[] scopeDer,
            byte[] modelDer,
            PkiUrls urls,
            ContentSigner signer)
            throws CertIOException {
        X509CertificateHolder issuer = ca.certificate();
        X509v3CertificateBuilder b = CertificateProfiles.builder(
                issuer.getSubject(), serial, notBefore, notAfter, subject(name, tenant), key);
        CertificateProfiles.keyIds(b, key, issuer.getSubjectPublicKeyInfo());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(
                Extension.extendedKeyUsage,
                false,
                new ExtendedKeyUsage(KeyPurposeId.getInstance(WritOids.KP_AGENT_ACTION)));
        b.addExtension(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
        CertificateProfiles.revocationPointers(b, urls, ca.name());
        // Critical on purpose: validators that do not understand Writ scopes must refuse the certificate.
        b.addExtension(new Extension(WritOids.SCOPE, true, new DEROctetString(scopeDer)));
        if (modelDer != null) {
            b.addExtension(new Extension(WritOids.MODEL, false, new DEROctetString(modelDer)));
        }
        return b.build(signer);
    }
}
