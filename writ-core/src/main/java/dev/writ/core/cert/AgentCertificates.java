package dev.writ.core.cert;

import dev.writ.core.scope.Scope;
import dev.writ.core.scope.ScopeException;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Checks a certificate against Writ's agent certificate profile (DESIGN §3) and extracts the agent's identity.
 *
 * <p>The profile: X.509 v3 without unique identifiers; a positive serial of at most 20 octets; an Ed25519 or ECDSA
 * P-256 key; a validity period between 5 minutes and 365 days (plus 10 minutes of allowance for a backdated
 * {@code notBefore}); subject exactly {@code CN=<agent name>, O=<tenant>}; exactly one SAN, a URI that is a strict
 * SPIFFE ID whose tenant equals the subject's O; {@code basicConstraints} present with {@code CA:false} and no path
 * length; {@code keyUsage} critical and exactly {@code digitalSignature}; {@code extendedKeyUsage} exactly
 * {@code id-writ-kp-agentAction}; the scope extension present, critical and valid; the model extension, when present,
 * non-critical and valid; no critical extension other than these.
 *
 * <p>Chain, validity at a given time and revocation are <em>not</em> checked here: they need a trust anchor, a clock
 * and revocation data, and belong to the verifier.
 */
public final class AgentCertificates {
    /** Shortest permitted validity period. */
    public static final Duration MIN_VALIDITY = Duration.ofMinutes(5);

    /** Longest permitted validity period, including the allowance for a backdated {@code notBefore}. */
    public static final Duration MAX_VALIDITY = Duration.ofDays(365).plusMinutes(10);

    /** Critical extensions this parser processes; any other critical extension is refused. */
    private static final Set<ASN1ObjectIdentifier> KNOWN_CRITICAL = Set.of(
            Extension.basicConstraints,
            Extension.keyUsage,
            Extension.extendedKeyUsage,
            Extension.subjectAlternativeName,
            WritOids.SCOPE);

    private AgentCertificates() {}

    /**
     * Parses and checks an agent certificate.
     *
     * @throws CertificateProfileException with a stable code naming the first rule the certificate breaks (see
     *     {@link CertificateProfileException})
     */
    public static AgentIdentity parse(X509Certificate certificate) throws CertificateProfileException {
        Objects.requireNonNull(certificate, "certificate");
        try {
            return check(certificate);
        } catch (RuntimeException e) {
            // A parser failure we did not foresee is a rejection, never a crash and never an acceptance.
            throw fail("cert.profile.encoding", "the certificate cannot be parsed", e);
        }
    }

    private static AgentIdentity check(X509Certificate certificate) throws CertificateProfileException {
        TBSCertificate tbs;
        try {
            // Read everything from the DER bytes with one parser, so what we check is what was signed.
            tbs = Certificate.getInstance(ASN1Primitive.fromByteArray(certificate.getEncoded()))
                    .getTBSCertificate();
        } catch (CertificateEncodingException | IOException | RuntimeException e) {
            throw fail("cert.profile.encoding", "the certificate cannot be parsed", e);
        }
        // Unique identifiers are a v2 relic that RFC 5280 forbids conforming CAs to emit.
        if (tbs.getVersionNumber() != 3 || tbs.getIssuerUniqueId() != null || tbs.getSubjectUniqueId() != null) {
            throw fail("cert.profile.version", "an agent certificate is X.509 v3 without unique identifiers");
        }
        BigInteger serial = tbs.getSerialNumber().getValue();
        // RFC 5280 4.1.2.2: positive, at most 20 octets.
        if (serial.signum() <= 0 || serial.toByteArray().length > 20) {
            throw fail("cert.profile.serial", "the serial number must be positive and at most 20 octets");
        }
        checkKey(tbs.getSubjectPublicKeyInfo());
        checkValidity(tbs);
        Extensions exts = tbs.getExtensions() == null ? new Extensions(new Extension[0]) : tbs.getExtensions();
        for (ASN1ObjectIdentifier oid : exts.getCriticalExtensionOIDs()) {
            // A critical extension we do not process might restrict the certificate in ways we would ignore.
            if (!KNOWN_CRITICAL.contains(oid)) {
                throw fail("cert.profile.critical_extension", "the certificate has an unknown critical extension");
            }
        }
        String[] subject = subject(tbs);
        SpiffeId id = spiffeId(exts);
        // The SPIFFE ID and the subject must name the same tenant, or one of them would be misleading.
        if (!id.tenant().equals(subject[1])) {
            throw fail("cert.profile.subject", "the subject's O must equal the SPIFFE ID's tenant");
        }
        checkBasicConstraints(exts);
        checkKeyUsage(exts);
        checkExtendedKeyUsage(exts);
        Scope scope = scope(exts);
        Optional<ModelInfo> model = model(exts);
        return new AgentIdentity(id, subject[0], scope, model, certificate);
    }

    private static void checkKey(SubjectPublicKeyInfo spki) throws CertificateProfileException {
        AlgorithmIdentifier alg = spki.getAlgorithm();
        boolean ok;
        try {
            if (alg.getAlgorithm().equals(EdECObjectIdentifiers.id_Ed25519)) {
                // RFC 8410: parameters absent, a 32-byte key.
                ok = alg.getParameters() == null && spki.getPublicKeyData().getOctets().length == 32;
            } else if (alg.getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey)) {
                // RFC 5480: named curve P-256, uncompressed point.
                ok = SECObjectIdentifiers.secp256r1.equals(alg.getParameters())
                        && spki.getPublicKeyData().getOctets().length == 65
                        && spki.getPublicKeyData().getOctets()[0] == 0x04;
            } else {
                ok = false;
            }
        } catch (RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw fail("cert.profile.key", "the key must be Ed25519 or ECDSA P-256");
        }
    }

    private static void checkValidity(TBSCertificate tbs) throws CertificateProfileException {
        Duration d;
        try {
            d = Duration.between(
                    tbs.getStartDate().getDate().toInstant(),
                    tbs.getEndDate().getDate().toInstant());
        } catch (RuntimeException e) {
            throw fail("cert.profile.validity", "the validity period cannot be read", e);
        }
        if (d.compareTo(MIN_VALIDITY) < 0 || d.compareTo(MAX_VALIDITY) > 0) {
            throw fail("cert.profile.validity", "the validity period must be between 5 minutes and 365 days");
        }
    }

    /** {CN, O}, each exactly once, each in its own single-valued RDN. */
    private static String[] subject(TBSCertificate tbs) throws CertificateProfileException {
        String cn = null;
        String o = null;
        try {
            RDN[] rdns = tbs.getSubject().getRDNs();
            if (rdns.length != 2) {
                throw subjectFail();
            }
            for (RDN rdn : rdns) {
                if (rdn.isMultiValued()) {
                    throw subjectFail();
                }
                AttributeTypeAndValue atv = rdn.getFirst();
                if (!(atv.getValue() instanceof ASN1String s) || s.getString().isEmpty()) {
                    throw subjectFail();
                }
                if (atv.getType().equals(BCStyle.CN) && cn == null) {
                    cn = s.getString();
                } else if (atv.getType().equals(BCStyle.O) && o == null) {
                    o = s.getString();
                } else {
                    throw subjectFail();
                }
            }
        } catch (RuntimeException e) {
            throw fail("cert.profile.subject", "the subject must be CN=<agent name>, O=<tenant>", e);
        }
        return new String[] {cn, o};
    }

    private static CertificateProfileException subjectFail() {
        return new CertificateProfileException(
                "cert.profile.subject", "the subject must be CN=<agent name>, O=<tenant>");
    }

    private static SpiffeId spiffeId(Extensions exts) throws CertificateProfileException {
        Extension san = exts.getExtension(Extension.subjectAlternativeName);
        if (san == null) {
            throw fail("cert.profile.san", "the certificate has no subject alternative name");
        }
        String uri;
        try {
            GeneralName[] names = GeneralNames.getInstance(san.getParsedValue()).getNames();
            // Exactly one name: a second one (DNS, e-mail, another URI) would be an identity we do not check.
            if (names.length != 1 || names[0].getTagNo() != GeneralName.uniformResourceIdentifier) {
                throw fail("cert.profile.san", "the SAN must be exactly one URI");
            }
            uri = ASN1IA5String.getInstance(names[0].getName()).getString();
        } catch (RuntimeException e) {
            throw fail("cert.profile.san", "the subject alternative name cannot be parsed", e);
        }
        return SpiffeId.parse(uri);
    }

    private static void checkBasicConstraints(Extensions exts) throws CertificateProfileException {
        Extension ext = exts.getExtension(Extension.basicConstraints);
        boolean ok;
        try {
            BasicConstraints bc = ext == null ? null : BasicConstraints.getInstance(ext.getParsedValue());
            // An agent must never be able to act as a CA, so CA:false is required explicitly.
            ok = bc != null && !bc.isCA() && bc.getPathLenConstraint() == null;
        } catch (RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw fail("cert.profile.ca", "an agent certificate must carry basicConstraints CA:false");
        }
    }

    private static void checkKeyUsage(Extensions exts) throws CertificateProfileException {
        Extension ext = exts.getExtension(Extension.keyUsage);
        boolean ok;
        try {
            // Exactly digitalSignature, and critical so that other software cannot use the key for anything else.
            ok = ext != null
                    && ext.isCritical()
                    && ASN1BitString.getInstance(ext.getParsedValue()).intValue() == KeyUsage.digitalSignature;
        } catch (RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw fail("cert.profile.key_usage", "keyUsage must be critical and exactly digitalSignature");
        }
    }

    private static void checkExtendedKeyUsage(Extensions exts) throws CertificateProfileException {
        Extension ext = exts.getExtension(Extension.extendedKeyUsage);
        boolean ok;
        try {
            // Only the agent-action purpose: no TLS client/server, no code signing, no anyExtendedKeyUsage.
            KeyPurposeId[] usages = ext == null
                    ? new KeyPurposeId[0]
                    : ExtendedKeyUsage.getInstance(ext.getParsedValue()).getUsages();
            ok = usages.length == 1 && usages[0].toOID().equals(WritOids.KP_AGENT_ACTION);
        } catch (RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw fail("cert.profile.eku", "extendedKeyUsage must be exactly id-writ-kp-agentAction");
        }
    }

    private static Scope scope(Extensions exts) throws CertificateProfileException {
        Extension ext = exts.getExtension(WritOids.SCOPE);
        // Without a scope the agent's authority is unknown, and unknown authority is no authority.
        if (ext == null) {
            throw fail("cert.profile.scope_missing", "the certificate has no scope extension");
        }
        // Critical, so that software that does not understand scopes refuses the certificate instead of ignoring it.
        if (!ext.isCritical()) {
            throw fail("cert.profile.scope_not_critical", "the scope extension must be critical");
        }
        try {
            return Scope.fromDer(ext.getExtnValue().getOctets());
        } catch (ScopeException e) {
            throw fail("cert.profile.scope_invalid", "the scope extension is invalid (" + e.code() + ")", e);
        }
    }

    private static Optional<ModelInfo> model(Extensions exts) throws CertificateProfileException {
        Extension ext = exts.getExtension(WritOids.MODEL);
        if (ext == null) {
            return Optional.empty();
        }
        if (ext.isCritical()) {
            throw fail("cert.profile.model", "the model extension must not be critical");
        }
        return Optional.of(ModelInfo.fromDer(ext.getExtnValue().getOctets()));
    }

    private static CertificateProfileException fail(String code, String message) {
        return new CertificateProfileException(code, message);
    }

    private static CertificateProfileException fail(String code, String message, Throwable cause) {
        return new CertificateProfileException(code, message, cause);
    }
}
