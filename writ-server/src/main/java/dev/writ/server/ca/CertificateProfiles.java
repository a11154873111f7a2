package dev.writ.server.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.RuntimeOperatorException;

/**
 * The certificate profiles of a trust domain other than the agent profile: root, intermediates, delegated OCSP
 * responders and signing leaves. All certificates carry subject and authority key identifiers.
 */
public final class CertificateProfiles {
    private CertificateProfiles() {}

    /** A positive 128-bit random serial (RFC 5280 allows up to 20 octets; ours is at most 17 with sign). */
    public static BigInteger randomSerial(SecureRandom random) {
        BigInteger s;
        do {
            s = new BigInteger(128, random);
        } while (s.signum() == 0);
        return s;
    }

    static X509v3CertificateBuilder builder(
            X500Name issuer, BigInteger serial, Instant notBefore, Instant notAfter, X500Name subject, PublicKey key) {
        return new X509v3CertificateBuilder(
                issuer,
                serial,
                Date.from(notBefore),
                Date.from(notAfter),
                subject,
                SubjectPublicKeyInfo.getInstance(key.getEncoded()));
    }

    static void keyIds(X509v3CertificateBuilder b, PublicKey subjectKey, SubjectPublicKeyInfo issuerKey)
            throws CertIOException {
        try {
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(subjectKey));
            b.addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(issuerKey));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 unavailable", e);
        }
    }

    /** Self-signed root CA certificate. */
    public static X509CertificateHolder root(
            X500Name subject,
            BigInteger serial,
            Instant notBefore,
            Instant notAfter,
            PublicKey key,
            ContentSigner signer)
            throws CertIOException {
        X509v3CertificateBuilder b = builder(subject, serial, notBefore, notAfter, subject, key);
        keyIds(b, key, SubjectPublicKeyInfo.getInstance(key.getEncoded()));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(1));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return b.build(signer);
    }

    /** Intermediate CA certificate (path length 0: it issues only leaves). */
    public static X509CertificateHolder intermediate(
            X509CertificateHolder issuer,
            X500Name subject,
            BigInteger serial,
            Instant notBefore,
            Instant notAfter,
            PublicKey key,
            PkiUrls urls,
            ContentSigner signer)
            throws CertIOException {
        X509v3CertificateBuilder b = builder(issuer.getSubject(), serial, notBefore, notAfter, subject, key);
        keyIds(b, key, issuer.getSubjectPublicKeyInfo());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        revocationPointers(b, urls, CaName.ROOT);
        return b.build(signer);
    }

    /** Delegated OCSP responder certificate (RFC 6960 §4.2.2.2): EKU OCSPSigning and id-pkix-ocsp-nocheck. */
    public static X509CertificateHolder ocspResponder(
            X509CertificateHolder issuer,
            X500Name subject,
            BigInteger serial,
            Instant notBefore,
            Instant notAfter,
            PublicKey key,
            ContentSigner signer)
            throws CertIOException {
        X509v3CertificateBuilder b = builder(issuer.getSubject(), serial, notBefore, notAfter, subject, key);
        keyIds(b, key, issuer.getSubjectPublicKeyInfo());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning));
        // The responder's own status is not checked by OCSP (short-lived, re-issued by the CA).
        b.addExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false, DERNull.INSTANCE);
        return b.build(signer);
    }

    /** A signing leaf (policy signing, log/decision signing): digitalSignature only, no CA. */
    public static X509CertificateHolder signingLeaf(
            X509CertificateHolder issuer,
            CaName issuerName,
            X500Name subject,
            BigInteger serial,
            Instant notBefore,
            Instant notAfter,
            PublicKey key,
            PkiUrls urls,
            ContentSigner signer)
            throws CertIOException {
        X509v3CertificateBuilder b = builder(issuer.getSubject(), serial, notBefore, notAfter, subject, key);
        keyIds(b, key, issuer.getSubjectPublicKeyInfo());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        revocationPointers(b, urls, issuerName);
        return b.build(signer);
    }

    /** AIA (OCSP + caIssuers) and CRL distribution point for a certificate issued by {@code issuer}. */
    static void revocationPointers(X509v3CertificateBuilder b, PkiUrls urls, CaName issuer) throws CertIOException {
        b.addExtension(Extension.authorityInfoAccess, false, new AuthorityInformationAccess(new AccessDescription[] {
            new AccessDescription(
                    AccessDescription.id_ad_ocsp,
                    new GeneralName(GeneralName.uniformResourceIdentifier, urls.ocsp(issuer))),
            new AccessDescription(
                    AccessDescription.id_ad_caIssuers,
                    new GeneralName(GeneralName.uniformResourceIdentifier, urls.caCertificate(issuer)))
        }));
        b.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {
            new DistributionPoint(
                    new DistributionPointName(
                            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, urls.crl(issuer)))),
                    null,
                    null)
        }));
    }

    /** Encoded DER of a holder. */
    static byte[] der(X509CertificateHolder h) {
        try {
            return h.getEncoded();
        } catch (IOException e) {
            throw new RuntimeOperatorException("cannot encode certificate", e);
        }
    }
}
