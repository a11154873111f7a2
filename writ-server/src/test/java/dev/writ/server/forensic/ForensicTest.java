package dev.writ.server.forensic;

import static dev.writ.server.forensic.ForensicFixture.jti;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.writ.core.evidence.DenialVerifier;
import dev.writ.core.evidence.EvidenceBundleVerifier;
import dev.writ.core.evidence.EvidenceException;
import dev.writ.core.evidence.EvidenceReport;
import dev.writ.core.evidence.VerifiedDenial;
import dev.writ.core.sae.Envelopes;
import dev.writ.server.api.TestDomain;
import dev.writ.server.ca.Pem;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Forensics over a real socket: the chain of custody, the evidence bundle, and every way they must fail. */
class ForensicTest {
    @TempDir
    static Path tmp;

    static ForensicFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new ForensicFixture(tmp.resolve("domain"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    static JsonNode checks(JsonNode node) {
        return node.path("checks");
    }

    @Test
    void anAuditorGetsTheChainOfCustodyWithEveryLinkVerified() throws Exception {
        TestDomain.Resp r = f.d.call("GET", "/api/v1/forensics/" + jti(f.sae2), f.auditor, null);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        JsonNode b = r.body();
        assertThat(b.path("ok").asBoolean()).as(b.toPrettyString()).isTrue();
        assertThat(b.path("trust_domain").asText()).isEqualTo("writ.local");
        assertThat(b.path("subject").asText()).isEqualTo(jti(f.sae2));
        // The subject first, then its parent, then the denial of the same session.
        JsonNode nodes = b.path("nodes");
        assertThat(nodes).hasSize(3);
        assertThat(nodes.get(0).path("jti").asText()).isEqualTo(jti(f.sae2));
        assertThat(nodes.get(0).path("parents").get(0).path("jti").asText()).isEqualTo(jti(f.sae1));
        assertThat(nodes.get(1).path("jti").asText()).isEqualTo(jti(f.sae1));
        assertThat(nodes.get(2).path("kind").asText()).isEqualTo("denial");
        assertThat(b.path("tree").path("parents").get(0).path("jti").asText()).isEqualTo(jti(f.sae1));
        for (JsonNode n : nodes) {
            List<String> names = new ArrayList<>();
            checks(n).forEach(c -> names.add(c.path("check").asText()));
            if (n.path("kind").asText().equals("sae")) {
                assertThat(names)
                        .containsExactly(
                                "signature", "chain", "ocsp", "scope", "binding", "parents", "inclusion", "policy");
            }
            // The policy version that was evaluated, named.
            assertThat(n.path("policy").path("name").asText()).isEqualTo("procurement");
            assertThat(n.path("policy").path("version").asLong()).isEqualTo(1);
            assertThat(n.path("policy").path("hash").asText())
                    .isEqualTo(ForensicFixture.claims(f.sae2).path("pol").asText());
        }
        // Auditors see the denial's detail (opened from the commitment in the public log).
        assertThat(nodes.get(2).path("reasons").toString()).contains("unlisted-counterparty");
        assertThat(b.path("checkpoint").path("size").asLong())
                .isGreaterThan(nodes.get(2).path("log_index").asLong());
    }

    @Test
    void agentsUnknownJtisAndOtherRolesAreRefusedWithStableCodes() throws Exception {
        TestDomain.Resp agent = f.d.call("GET", "/api/v1/forensics/" + jti(f.sae2), f.credential, null);
        assertThat(agent.status()).isEqualTo(403);
        assertThat(agent.errorCode()).isEqualTo("auth.agent_forbidden");
        HttpResponse<byte[]> agentZip = f.get("/api/v1/forensics/" + jti(f.sae2) + "/bundle", f.credential);
        assertThat(agentZip.statusCode()).isEqualTo(403);

        TestDomain.Resp none = f.d.call("GET", "/api/v1/forensics/" + jti(f.sae2), null, null);
        assertThat(none.status()).isEqualTo(401);
        TestDomain.Resp approver =
                f.d.call("GET", "/api/v1/forensics/" + jti(f.sae2), f.operatorToken("approver"), null);
        assertThat(approver.status()).isEqualTo(403);
        assertThat(approver.errorCode()).isEqualTo("auth.role");
        TestDomain.Resp admin = f.d.call("GET", "/api/v1/forensics/" + jti(f.sae2), f.d.adminToken, null);
        assertThat(admin.status()).isEqualTo(200);

        TestDomain.Resp unknown = f.d.call("GET", "/api/v1/forensics/AAAAAAAAAAAAAAAAAAAAAA", f.auditor, null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.errorCode()).isEqualTo("forensic.unknown_jti");
        assertThat(unknown.body().path("error").path("message").asText()).contains("AAAAAAAAAAAAAAAAAAAAAA");
        TestDomain.Resp malformed = f.d.call("GET", "/api/v1/forensics/short", f.auditor, null);
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.errorCode()).isEqualTo("forensic.malformed_jti");
    }

    @Test
    void theBundleIsAZipThatVerifiesOfflineWithTheRootAlone() throws Exception {
        HttpResponse<byte[]> r = f.get("/api/v1/forensics/" + jti(f.sae2) + "/bundle", f.auditor);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/zip");
        Map<String, byte[]> files = unzip(r.body());
        assertThat(files.keySet())
                .contains("manifest.json", "log/checkpoint", "log/key")
                .contains("envelopes/" + jti(f.sae1) + ".jws", "envelopes/" + jti(f.sae2) + ".jws")
                .contains("ocsp/" + jti(f.sae2) + ".der")
                .contains("denials/" + jti(f.denial) + ".jws", "denials/" + jti(f.denial) + ".detail.json");
        assertThat(files.keySet().stream().filter(n -> n.startsWith("policies/")))
                .hasSize(2);
        assertThat(files.keySet().stream().filter(n -> n.startsWith("certificates/")))
                .hasSizeGreaterThanOrEqualTo(5);
        // The manifest is canonical JSON listing the SHA-256 of every other file.
        JsonNode manifest = ForensicFixture.JSON.readTree(files.get("manifest.json"));
        assertThat(manifest.path("format").asText()).isEqualTo("writ-evidence/v1");
        assertThat(manifest.path("files").size()).isEqualTo(files.size() - 1);

        EvidenceReport report = EvidenceBundleVerifier.trusting(List.of(f.root()))
                .verify(r.body())
                .report();
        assertThat(report.subject()).isEqualTo(jti(f.sae2));
        assertThat(report.nodes()).hasSize(3);
        assertThat(report.node(jti(f.denial)).orElseThrow().reasons()).contains("unlisted-counterparty");
        // Given the whole trust bundle, only its root is trusted; the result is the same.
        X509Certificate[] all =
                Pem.decodeCertificates(new String(f.d.getBytes("/trust-bundle.pem"), StandardCharsets.US_ASCII))
                        .stream()
                        .map(ForensicTest::x509)
                        .toArray(X509Certificate[]::new);
        assertThat(EvidenceBundleVerifier.trusting(List.of(all))
                        .verify(r.body())
                        .report()
                        .ok())
                .isTrue();
    }

    @Test
    void everyByteOfEveryFileIsCoveredAndATamperedFileIsNamed() throws Exception {
        byte[] zip = f.bundle(jti(f.sae2));
        EvidenceBundleVerifier v = EvidenceBundleVerifier.trusting(List.of(f.root()));
        Map<String, byte[]> files = unzip(zip);
        int cases = 0;
        for (String name : files.keySet()) {
            int len = files.get(name).length;
            for (int pos : new int[] {0, len / 3, len / 2, len - 1}) {
                for (int bit : new int[] {0x01, 0x80}) {
                    Map<String, byte[]> altered = copy(files);
                    altered.get(name)[pos] ^= (byte) bit;
                    byte[] bad = zip(altered);
                    String what = name + "@" + pos + "^" + bit;
                    assertThatThrownBy(() -> v.verify(bad))
                            .as(what)
                            .isInstanceOfSatisfying(EvidenceException.class, e -> {
                                assertThat(e.file()).as(what).isPresent();
                                if (!name.equals("manifest.json")) {
                                    // The manifest's hash names the altered file.
                                    assertThat(e.code()).as(what).isEqualTo("evidence.file_hash");
                                    assertThat(e.file()).as(what).hasValue(name);
                                    assertThat(e.getMessage()).contains(name);
                                } else {
                                    assertThat(e.code()).as(what).startsWith("evidence.");
                                }
                            });
                    cases++;
                }
            }
        }
        assertThat(cases).isGreaterThan(100);
        // A file dropped, a file added: both named.
        Map<String, byte[]> dropped = copy(files);
        String certificate = dropped.keySet().stream()
                .filter(n -> n.startsWith("certificates/"))
                .findFirst()
                .orElseThrow();
        dropped.remove(certificate);
        assertThatThrownBy(() -> v.verify(zip(dropped))).isInstanceOfSatisfying(EvidenceException.class, e -> {
            assertThat(e.code()).isEqualTo("evidence.file_missing");
            assertThat(e.file()).hasValue(certificate);
        });
        Map<String, byte[]> added = copy(files);
        added.put("log/entries/999999.json", "{}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> v.verify(zip(added)))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("evidence.file_unlisted"));
        Map<String, byte[]> traversal = copy(files);
        traversal.put("../evil", new byte[] {1});
        assertThatThrownBy(() -> v.verify(zip(traversal)))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("evidence.layout"));
        assertThatThrownBy(() -> v.verify("not a zip".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("evidence.zip"));
    }

    @Test
    void anAlteredFileIsCaughtBySignaturesAndProofsEvenWhenTheManifestIsRecomputed() throws Exception {
        // The manifest only detects accidents and names files; the evidence rests on signatures, hashes and proofs.
        byte[] zip = f.bundle(jti(f.sae2));
        EvidenceBundleVerifier v = EvidenceBundleVerifier.trusting(List.of(f.root()));
        Map<String, byte[]> files = unzip(zip);
        Map<String, String> codes = new java.util.TreeMap<>();
        for (String name : files.keySet()) {
            if (name.equals("manifest.json")) {
                continue;
            }
            int len = files.get(name).length;
            for (int pos : new int[] {0, len / 2, len - 1}) {
                Map<String, byte[]> altered = copy(files);
                altered.get(name)[pos] ^= 0x01;
                byte[] bad = zip(rehash(altered));
                String what = name + "@" + pos;
                try {
                    v.verify(bad);
                    throw new AssertionError("undetected: " + what);
                } catch (EvidenceException e) {
                    codes.merge(name.replaceAll("/[^/]*$", "/"), e.code(), (a, b) -> a.contains(b) ? a : a + "," + b);
                    // The failure names the file, or the check and the record it concerns.
                    assertThat(e.file().isPresent() || e.getMessage().contains("check failed"))
                            .as(what + ": " + e.getMessage())
                            .isTrue();
                }
            }
        }
        assertThat(codes.get("log/"))
                .as(codes.toString())
                .contains("evidence.checkpoint")
                .contains("evidence.log_key");
        assertThat(codes.get("log/entries/")).as(codes.toString()).isNotEmpty();
        assertThat(codes.get("denials/")).as(codes.toString()).contains("denial.commitment");
        assertThat(codes.get("policies/")).as(codes.toString()).contains("evidence.policy");
    }

    /** A manifest recomputed over altered files: what a forger would do. */
    static Map<String, byte[]> rehash(Map<String, byte[]> files) throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode m = (com.fasterxml.jackson.databind.node.ObjectNode)
                ForensicFixture.JSON.readTree(files.get("manifest.json"));
        com.fasterxml.jackson.databind.node.ObjectNode listed = m.putObject("files");
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            if (!e.getKey().equals("manifest.json")) {
                listed.put(e.getKey(), "sha256:" + ForensicService.sha256Hex(e.getValue()));
            }
        }
        files.put("manifest.json", dev.writ.core.json.CanonicalJson.encode(m));
        return files;
    }

    @Test
    void aParentThatIsNotInTheLogIsNamed() throws Exception {
        String ghost = "sha256:" + "ab".repeat(32);
        String orphan = f.allow(ForensicFixture.budget("s-orphan", List.of(ghost)));
        TestDomain.Resp r = f.d.call("GET", "/api/v1/forensics/" + jti(orphan), f.auditor, null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().path("ok").asBoolean()).isFalse();
        JsonNode parents = null;
        for (JsonNode c : checks(r.body().path("nodes").get(0))) {
            if (c.path("check").asText().equals("parents")) {
                parents = c;
            }
        }
        assertThat(parents.path("status").asText()).isEqualTo("failed");
        assertThat(parents.path("code").asText()).isEqualTo("evidence.parent_missing");
        assertThat(parents.path("message").asText()).contains(ghost).contains(jti(orphan));
        assertThat(r.body().path("tree").path("parents").get(0).path("missing").asBoolean())
                .isTrue();
        // Offline, the same: the bundle of a broken chain does not verify, and says why.
        assertThatThrownBy(
                        () -> EvidenceBundleVerifier.trusting(List.of(f.root())).verify(f.bundle(jti(orphan))))
                .isInstanceOfSatisfying(EvidenceException.class, e -> {
                    assertThat(e.code()).isEqualTo("evidence.parent_missing");
                    assertThat(e.getMessage()).contains(ghost);
                });
    }

    @Test
    void aBundleFromAnotherTrustDomainIsRefusedNamingBothDomains() throws Exception {
        Path pem = ForensicFixture.otherDomain(tmp.resolve("other"), "other.example");
        List<X509Certificate> otherRoot =
                List.of(x509(Pem.decodeCertificates(Files.readString(pem)).get(0)));
        byte[] zip = f.bundle(jti(f.sae2));
        assertThatThrownBy(() -> EvidenceBundleVerifier.trusting(otherRoot).verify(zip))
                .isInstanceOfSatisfying(EvidenceException.class, e -> {
                    assertThat(e.code()).isEqualTo("evidence.domain");
                    assertThat(e.getMessage()).contains("writ.local").contains("other.example");
                });
        // Same name, different root (an impostor domain): the signatures do not chain.
        Path same = ForensicFixture.otherDomain(tmp.resolve("impostor"), "writ.local");
        List<X509Certificate> impostor =
                List.of(x509(Pem.decodeCertificates(Files.readString(same)).get(0)));
        assertThatThrownBy(() -> EvidenceBundleVerifier.trusting(impostor).verify(zip))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("evidence.log_key"));
    }

    @Test
    void aDenialVerifiesAndItsCommitmentOpensOnlyWithTheRightDetailAndSalt() throws Exception {
        DenialVerifier v = DenialVerifier.trusting(List.of(f.root()));
        VerifiedDenial d = v.verify(f.denial);
        assertThat(d.reasons()).containsExactly("denied.policy");
        assertThat(d.detailCommitment()).isPresent();
        assertThat(d.agentId()).contains(f.agentId);
        DenialDetailStore.Detail stored =
                f.wiring.authz().orElseThrow().denialDetails().find(d.jti()).orElseThrow();
        VerifiedDenial opened = v.open(d, stored.detailJws(), stored.salt());
        assertThat(opened.detailedReasons().orElseThrow()).contains("unlisted-counterparty");
        assertThatThrownBy(() -> v.open(
                        d,
                        stored.detailJws(),
                        (stored.salt().startsWith("A") ? "B" : "A")
                                + stored.salt().substring(1)))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("denial.commitment"));
        // An envelope is not a denial; a released denial is not its own detail.
        assertThatThrownBy(() -> v.verify(f.sae1))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("denial.typ"));
        assertThatThrownBy(() -> v.open(d, f.denial, stored.salt()))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("denial.commitment"));
        // A flipped signature byte.
        String forged = f.denial.substring(0, f.denial.length() - 2) + (f.denial.endsWith("AA") ? "BA" : "AA");
        assertThatThrownBy(() -> v.verify(forged))
                .isInstanceOfSatisfying(EvidenceException.class, e -> assertThat(e.code())
                        .isIn("denial.signature", "denial.malformed"));
        // Another domain's root: the chain fails.
        Path pem = ForensicFixture.otherDomain(tmp.resolve("third"), "third.example");
        X509Certificate third =
                x509(Pem.decodeCertificates(Files.readString(pem)).get(0));
        assertThatThrownBy(() -> DenialVerifier.trusting(List.of(third)).verify(f.denial))
                .isInstanceOfSatisfying(
                        EvidenceException.class, e -> assertThat(e.code()).isEqualTo("denial.chain"));
    }

    @Test
    void aBundleStillVerifiesAfterTheAgentWasRotatedAndRevoked() throws Exception {
        TestDomain.Resp a = f.d.call(
                "POST",
                "/api/v1/agents",
                f.d.adminToken,
                "{\"tenant\":\"acme\",\"name\":\"rotating\",\"scope\":" + ForensicFixture.SCOPE + "}");
        String id = a.body().path("agent_id").asText();
        String credential = a.body().path("credential").asText();
        TestDomain.Resp allowed =
                f.d.call("POST", "/v1/authorize", credential, ForensicFixture.budget("s-rot", List.of()));
        assertThat(allowed.status()).isEqualTo(200);
        String old = allowed.body().path("sae").asText();
        byte[] before = f.bundle(jti(old));

        TestDomain.Resp rotated = f.d.call("POST", "/api/v1/agents/" + id + "/rotate", f.d.adminToken, null);
        assertThat(rotated.status()).as(rotated.body().toString()).isEqualTo(200);
        String newSerial = rotated.body().path("serial").asText();
        assertThat(newSerial).isNotEqualTo(a.body().path("serial").asText());
        // Rotation revoked the old certificate (superseded) and destroyed the old key; what it signed stays evidence.
        TestDomain.Resp revoked = f.d.call(
                "DELETE",
                "/api/v1/certificates/" + a.body().path("serial").asText() + "?reason=superseded",
                f.d.adminToken,
                null);
        assertThat(revoked.status()).isEqualTo(409);
        TestDomain.Resp fresh =
                f.d.call("POST", "/v1/authorize", credential, ForensicFixture.budget("s-rot", List.of()));
        assertThat(fresh.status()).isEqualTo(200);
        assertThat(ForensicFixture.header(fresh.body().path("sae").asText())
                        .path("kid")
                        .asText())
                .isNotEqualTo(ForensicFixture.header(old).path("kid").asText());

        EvidenceBundleVerifier v = EvidenceBundleVerifier.trusting(List.of(f.root()));
        assertThat(v.verify(before).report().ok()).isTrue();
        EvidenceReport report = v.verify(f.bundle(jti(old))).report();
        assertThat(report.node(jti(old)).orElseThrow().ok()).isTrue();
        // The same session now holds the envelope signed with the new key; its bundle verifies as well.
        assertThat(v.verify(f.bundle(jti(fresh.body().path("sae").asText())))
                        .report()
                        .ok())
                .isTrue();
        assertThat(Envelopes.hash(old))
                .isEqualTo(report.node(jti(old)).orElseThrow().hash());
    }

    @Test
    void anOutsideToolChecksTheManifestAndTheDenialCommitmentsWithTheStandardLibrary() throws Exception {
        Path zip = tmp.resolve("outside.zip");
        Files.write(zip, f.bundle(jti(f.sae2)));
        Path script = Path.of(
                System.getProperty("writ.repo.root"), "writ-server/src/test/resources/forensics/check_bundle.py");
        Process p = new ProcessBuilder("python3", script.toString(), zip.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("ok files=").contains("openings=1").contains(jti(f.sae2));
        // And it notices an altered file, too.
        Map<String, byte[]> files = unzip(Files.readAllBytes(zip));
        files.get("log/checkpoint")[3] ^= 1;
        Files.write(zip, zip(files));
        Process q = new ProcessBuilder("python3", script.toString(), zip.toString())
                .redirectErrorStream(true)
                .start();
        String bad = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(q.waitFor()).isNotZero();
        assertThat(bad).contains("altered: log/checkpoint");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    static X509Certificate x509(byte[] der) {
        try {
            return Pem.x509(der);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, byte[]> unzip(byte[] zip) throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                out.put(e.getName(), in.readAllBytes());
            }
        }
        return out;
    }

    static byte[] zip(Map<String, byte[]> files) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                z.putNextEntry(new ZipEntry(f.getKey()));
                z.write(f.getValue());
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    static Map<String, byte[]> copy(Map<String, byte[]> files) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        files.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }
}
