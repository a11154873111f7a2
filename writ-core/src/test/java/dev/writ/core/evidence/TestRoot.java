package dev.writ.core.evidence;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway self-signed root for tests that need an anchor and nothing it signed. */
final class TestRoot {
    private TestRoot() {}

    static X509Certificate selfSigned(String dn) throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        X500Name name = new X500Name(dn);
        var b = new JcaX509v3CertificateBuilder(
                name, BigInteger.ONE, new Date(0), new Date(4_000_000_000_000L), name, kp.getPublic());
        return new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("Ed25519").build(kp.getPrivate())));
    }
}
