package dev.writ.core.cert;

import dev.writ.core.scope.Scope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

/**
 * The extensions and subject of an agent certificate, for issuance. Every certificate built from
 * {@link #subject} and {@link #forAgent} (plus the issuer's own AIA, CRL distribution points and key identifiers)
 * passes {@link AgentCertificates#parse}.
 */
public final class AgentExtensions {
    private AgentExtensions() {}

    /** The critical {@code id-writ-ce-scope} extension. */
    public static Extension scope(Scope scope) {
        return extension(WritOids.SCOPE, true, scope.toDer());
    }

    /** The non-critical {@code id-writ-ce-model} extension. */
    public static Extension model(ModelInfo model) {
        return extension(WritOids.MODEL, false, model.toDer());
    }

    /** The subject alternative name: exactly one URI, the SPIFFE ID (non-critical, since the subject is not empty). */
    public static Extension spiffeId(SpiffeId id) {
        return encoded(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())));
    }

    /** {@code keyUsage = digitalSignature}, critical. */
    public static Extension keyUsage() {
        return encoded(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    }

    /** {@code extendedKeyUsage = id-writ-kp-agentAction} only, non-critical. */
    public static Extension extendedKeyUsage() {
        return encoded(
                Extension.extendedKeyUsage,
                false,
                new ExtendedKeyUsage(KeyPurposeId.getInstance(WritOids.KP_AGENT_ACTION)));
    }

    /** {@code basicConstraints = CA:false}, critical. */
    public static Extension basicConstraints() {
        return encoded(Extension.basicConstraints, true, new BasicConstraints(false));
    }

    /** The subject {@code CN=<agent name>, O=<tenant>}. */
    public static X500Name subject(String agentName, String tenant) {
        if (agentName == null || agentName.isEmpty() || tenant == null || tenant.isEmpty()) {
            throw new IllegalArgumentException("agent name and tenant must not be empty");
        }
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, agentName)
                .addRDN(BCStyle.O, tenant)
                .build();
    }

    /**
     * All profile extensions of an agent certificate, in a fixed order: basic constraints, key usage, extended key
     * usage, subject alternative name, scope, then model when present.
     */
    public static List<Extension> forAgent(SpiffeId id, Scope scope, Optional<ModelInfo> model) {
        List<Extension> out = new ArrayList<>(6);
        out.add(basicConstraints());
        out.add(keyUsage());
        out.add(extendedKeyUsage());
        out.add(spiffeId(id));
        out.add(scope(scope));
        model.ifPresent(m -> out.add(model(m)));
        return List.copyOf(out);
    }

    private static Extension extension(org.bouncycastle.asn1.ASN1ObjectIdentifier oid, boolean critical, byte[] der) {
        return new Extension(oid, critical, new DEROctetString(der));
    }

    private static Extension encoded(
            org.bouncycastle.asn1.ASN1ObjectIdentifier oid,
            boolean critical,
            org.bouncycastle.asn1.ASN1Encodable value) {
        try {
            return extension(oid, critical, value.toASN1Primitive().getEncoded("DER"));
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding failed", e);
        }
    }
}
