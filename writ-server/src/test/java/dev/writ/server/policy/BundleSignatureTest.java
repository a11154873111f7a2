package dev.writ.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;

class BundleSignatureTest {
    private final TestPki pki = TestPki.create("policy CA");
    private final PolicySigningIdentity identity = pki.identity();
    private final BundleVerifier verifier = new BundleVerifier(pki.ca, InstantSource.fixed(TestPki.NOW));

    private String sign(BundleFiles files) throws PolicyException {
        return BundleSigner.sign(CompiledBundle.compile(files), identity, TestPki.NOW);
    }

    private static void assertCode(org.assertj.core.api.ThrowableAssert.ThrowingCallable c, String code) {
        assertThatThrownBy(c).isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.code())
                .isEqualTo(code));
    }

    @Test
    void signedBundleVerifies() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        String jws = sign(files);
        VerifiedBundle v = verifier.verify(files, jws);
        assertThat(v.hash()).isEqualTo(files.hash());
        assertThat(v.signer()).isEqualTo(identity.chain().get(0));
        assertThat(v.signedAt()).isEqualTo(TestPki.NOW);
        ObjectNode payload =
                (ObjectNode) new ObjectMapper().readTree(Base64.getUrlDecoder().decode(jws.split("\\.")[1]));
        assertThat(payload.get("hash").asText()).isEqualTo(files.hash());
        assertThat(payload.get("bundle").get("name").asText()).isEqualTo("procurement");
    }

    @Test
    void tamperedContentIsAHashMismatch() throws Exception {
        String jws = sign(Bundles.procurementFiles());
        BundleFiles tampered =
                BundleFiles.of(Bundles.procurementWith("guardrails.cedar", "permit (principal, action, resource);"));
        assertCode(() -> verifier.verify(tampered, jws), "policy.hash_mismatch");
    }

    @Test
    void tamperedStatementIsASignatureFailure() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        String jws = sign(files);
        String[] p = jws.split("\\.");
        ObjectNode payload =
                (ObjectNode) new ObjectMapper().readTree(Base64.getUrlDecoder().decode(p[1]));
        payload.put("iat", 1);
        String forged = p[0] + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(payload.toString().getBytes(StandardCharsets.UTF_8))
                + "." + p[2];
        assertCode(() -> verifier.verify(files, forged), "policy.signature");
        byte[] sig = Base64.getUrlDecoder().decode(p[2]);
        sig[0] ^= 1;
        String badSig = p[0] + "." + p[1] + "."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        assertCode(() -> verifier.verify(files, badSig), "policy.signature");
        assertCode(() -> verifier.verify(files, "not a jws"), "policy.signature");
        assertCode(() -> verifier.verify(files, null), "policy.signature");
        assertCode(() -> verifier.verify(files, p[0] + "." + p[1] + "."), "policy.signature");
    }

    @Test
    void unknownHeaderFieldsAndWrongAlgorithmAreRefused() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        String[] p = sign(files).split("\\.");
        ObjectMapper om = new ObjectMapper();
        ObjectNode header = (ObjectNode) om.readTree(Base64.getUrlDecoder().decode(p[0]));
        ObjectNode crit = header.deepCopy();
        crit.putArray("crit").add("exp");
        ObjectNode es = header.deepCopy();
        es.put("alg", "ES256");
        ObjectNode none = header.deepCopy();
        none.put("alg", "none");
        for (ObjectNode h : List.of(crit, es, none)) {
            String hdr = Base64.getUrlEncoder().withoutPadding().encodeToString(om.writeValueAsBytes(h));
            // Re-sign with the right key so only the header is wrong.
            String input = hdr + "." + p[1];
            byte[] sig = identity.custody().sign(identity.handle(), input.getBytes(StandardCharsets.US_ASCII));
            String jws = input + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
            assertCode(() -> verifier.verify(files, jws), "policy.signature");
        }
    }

    @Test
    void aSignerFromAnotherCaIsRefused() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        PolicySigningIdentity stranger = TestPki.create("other CA").identity();
        String jws = BundleSigner.sign(CompiledBundle.compile(files), stranger, TestPki.NOW);
        assertCode(() -> verifier.verify(files, jws), "policy.signature");
    }

    @Test
    void theCaKeyItselfOrAWrongKeyUsageIsRefused() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        var custody = TestPki.custody();
        var h = custody.generate(custody.defaultSpec(), "x");
        var noSigning = pki.issue(
                custody.publicKey(h),
                KeyUsage.keyEncipherment,
                TestPki.NOW.minusSeconds(60),
                TestPki.NOW.plusSeconds(3600));
        String jws = BundleSigner.sign(
                CompiledBundle.compile(files), PolicySigningIdentity.of(custody, h, List.of(noSigning)), TestPki.NOW);
        assertCode(() -> verifier.verify(files, jws), "policy.signature");
        // Only the CA certificate in x5c: the CA is not a policy-signing certificate.
        String caOnly = BundleSigner.sign(
                CompiledBundle.compile(files), PolicySigningIdentity.of(custody, h, List.of(pki.ca)), TestPki.NOW);
        assertCode(() -> verifier.verify(files, caOnly), "policy.signature");
    }

    @Test
    void anExpiredSigningCertificateIsRefused() throws Exception {
        BundleFiles files = Bundles.procurementFiles();
        String jws = sign(files);
        BundleVerifier later = new BundleVerifier(pki.ca, InstantSource.fixed(TestPki.NOW.plus(Duration.ofDays(91))));
        assertCode(() -> later.verify(files, jws), "policy.signature");
    }

    @Test
    void aSignedBundleThatNoLongerValidatesIsRefused() throws Exception {
        // Signed content that does not validate (as if signed by an older, laxer signer) is refused on load.
        Map<String, byte[]> m = Bundles.procurementWith(
                "extra.cedar", "forbid (principal, action, resource) when { context.amount > 1 };");
        BundleFiles files = BundleFiles.of(m);
        String jws = StatementForge.sign(identity, files);
        assertCode(() -> verifier.verify(files, jws), "policy.schema");
    }
}
