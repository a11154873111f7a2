package dev.writ.core.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** The parts of the bundle format an outside tool reimplements: the commitment, the paths, the archive rules. */
class EvidenceFormatTest {
    @Test
    void theCommitmentIsSha256OfTheCanonicalOpening() {
        // Computed independently: hashlib.sha256(b'{"detail":"a.b.c","salt":"AAAA"}').hexdigest()
        assertThat(DenialCommitment.commit("a.b.c", "AAAA"))
                .isEqualTo("sha256:c0aeff90839c85181aff63bcd4db892ec2633ab7d0a5b6c14ee3ae77d44f25ac");
        assertThat(new String(DenialCommitment.opening("a.b.c", "AAAA"), StandardCharsets.UTF_8))
                .isEqualTo("{\"detail\":\"a.b.c\",\"salt\":\"AAAA\"}");
        assertThat(DenialCommitment.commit("a.b.c", "AAAB")).isNotEqualTo(DenialCommitment.commit("a.b.c", "AAAA"));
        assertThatThrownBy(() -> DenialCommitment.salt(new byte[16])).isInstanceOf(IllegalArgumentException.class);
        assertThat(DenialCommitment.salt(new byte[32])).hasSize(43);
    }

    @Test
    void onlyTheDocumentedPathsAreAllowed() {
        String jti = "AAAAAAAAAAAAAAAAAAAAAA";
        String hex = "ab".repeat(32);
        for (String ok : List.of(
                EvidenceFormat.MANIFEST,
                EvidenceFormat.CHECKPOINT,
                EvidenceFormat.LOG_KEY,
                EvidenceFormat.entry(0),
                EvidenceFormat.receipt(123456),
                EvidenceFormat.envelope(jti),
                EvidenceFormat.ocsp(jti),
                EvidenceFormat.denial(jti),
                EvidenceFormat.denialDetail(jti),
                EvidenceFormat.approval(hex),
                EvidenceFormat.certificate(hex),
                EvidenceFormat.policyBundle(hex),
                EvidenceFormat.policyStatement(hex))) {
            assertThat(EvidenceFormat.isAllowed(ok)).as(ok).isTrue();
        }
        for (String bad : List.of(
                "../manifest.json",
                "/manifest.json",
                "log/entries/01.json",
                "log/entries/-1.json",
                "envelopes/short.jws",
                "envelopes/" + jti + ".jws/",
                "certificates/" + hex.toUpperCase() + ".der",
                "policies/" + hex + ".cedar",
                "extra.txt",
                "log/")) {
            assertThat(EvidenceFormat.isAllowed(bad)).as(bad).isFalse();
        }
    }

    @Test
    void archivesOutsideTheFormatAreRefusedWithStableCodes() throws Exception {
        X509Certificate root = TestRoot.selfSigned("O=Writ example.test, CN=Writ Root CA");
        EvidenceBundleVerifier v = EvidenceBundleVerifier.trusting(List.of(root));
        assertThatThrownBy(() -> v.verify(new byte[] {1, 2, 3}))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("evidence.zip"));
        // The same path twice (two entries whose names were made equal in the raw bytes): ambiguous, refused.
        byte[] twice = zip("log/key", "x", "log/kez", "y");
        String raw = new String(twice, StandardCharsets.ISO_8859_1).replace("log/kez", "log/key");
        assertThatThrownBy(() -> v.verify(raw.getBytes(StandardCharsets.ISO_8859_1)))
                .isInstanceOfSatisfying(EvidenceException.class, e -> {
                    assertThat(e.code()).isEqualTo("evidence.layout");
                    assertThat(e.file()).hasValue("log/key");
                });
        assertThatThrownBy(() -> v.verify(zip("log/key", "x"))).isInstanceOfSatisfying(EvidenceException.class, e -> {
            assertThat(e.code()).isEqualTo("evidence.file_missing");
            assertThat(e.file()).hasValue("manifest.json");
        });
        // A manifest that is JSON but not canonical.
        assertThatThrownBy(() -> v.verify(zip("manifest.json", "{ \"format\": \"writ-evidence/v1\" }")))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("evidence.manifest"));
        // Another domain, named with both names.
        String manifest = "{\"created_at\":0,\"files\":{},\"format\":\"writ-evidence/v1\",\"subject\":"
                + "\"AAAAAAAAAAAAAAAAAAAAAA\",\"trust_domain\":\"other.test\"}";
        assertThatThrownBy(() -> v.verify(zip("manifest.json", manifest)))
                .isInstanceOfSatisfying(EvidenceException.class, e -> {
                    assertThat(e.code()).isEqualTo("evidence.domain");
                    assertThat(e.getMessage()).contains("other.test").contains("example.test");
                });
        assertThatThrownBy(() -> EvidenceBundleVerifier.trusting(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static byte[] zip(String... nameContent) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (int i = 0; i < nameContent.length; i += 2) {
                z.putNextEntry(new ZipEntry(nameContent[i]));
                z.write(nameContent[i + 1].getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }
}
