package dev.writ.core.cert;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/** Whatever a mutated certificate looks like, the parser answers with an identity or its checked exception. */
class AgentCertificatesFuzzTest {
    static final byte[] GOOD;

    static {
        try {
            GOOD = new TestCa().issue(new TestCa.Spec()).getEncoded();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Property(tries = 1000)
    void mutatedCertificatesAreRejectedWithAStableCode(
            @ForAll @Size(min = 1, max = 3) List<Integer> positions, @ForAll byte value) {
        byte[] der = GOOD.clone();
        for (int p : positions) {
            der[Math.floorMod(p, der.length)] ^= value == 0 ? 1 : value;
        }
        X509Certificate cert;
        try {
            cert = (X509Certificate)
                    CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (Exception notACertificate) {
            return; // the JDK refused it before we could
        }
        try {
            AgentIdentity id = AgentCertificates.parse(cert);
            // Accepted mutations (in the signature, say) must still carry a valid profile.
            assertThat(id.scope()).isNotNull();
        } catch (CertificateProfileException e) {
            assertThat(e.code()).startsWith("cert.profile.");
        }
    }
}
