package dev.writ.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.json.CanonicalJson;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.LogVerificationException;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.Envelopes;
import dev.writ.core.sae.SaeVerificationException;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.core.sae.VerifiedAction;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * Verifies an evidence bundle ({@value EvidenceFormat#FORMAT}) offline, with nothing but the trust domain's root
 * certificate: no server, no network, no clock of its own (every record is checked as of its own issue time, so a
 * bundle still verifies after the keys that signed it were rotated or expired).
 *
 * <p>Order: the archive (size caps, unique allowed paths), the manifest (canonical JSON, format, every file listed
 * with its SHA-256 and nothing else), the trust domain, the log key (the public key of a certificate in the bundle that
 * chains to the anchor), the checkpoint signature, then per node: the envelope as of its {@code iat} (chain, OCSP
 * staple, signature, scope, through {@link SaeVerifier} without the replay check), the files that repeat it (OCSP
 * response, certificates) byte for byte, the approval binding, the parent links, inclusion under the checkpoint, and
 * the policy bundle against its signed statement; for a denial, {@link DenialVerifier} and the opening of its
 * commitment.
 *
 * <p>Structural failures throw {@link EvidenceException} at once ({@code evidence.zip}, {@code evidence.layout},
 * {@code evidence.manifest}, {@code evidence.file_missing}, {@code evidence.file_unlisted}, {@code evidence.file_hash},
 * {@code evidence.domain}, {@code evidence.log_key}, {@code evidence.checkpoint}, {@code evidence.subject},
 * {@code evidence.unlogged}); node checks are recorded in the {@link EvidenceReport} by {@link #inspect} and thrown by
 * {@link #verify} ({@code sae.*}, {@code denial.*}, {@code approval.*}, {@code evidence.inclusion},
 * {@code evidence.inconsistent}, {@code evidence.certificate_missing}, {@code evidence.binding},
 * {@code evidence.parent_missing}, {@code evidence.policy_missing}, {@code evidence.policy}). Thread-safe.
 */
public final class EvidenceBundleVerifier {
    /** Largest archive accepted. */
    public static final long MAX_BUNDLE = 256L << 20;

    private static final int MAX_FILES = 20_000;
    private static final long MAX_FILE = 16L << 20;

    private final List<X509Certificate> anchors;
    private final Set<TrustAnchor> trustAnchors;

    private EvidenceBundleVerifier(List<X509Certificate> anchors) {
        this.anchors = List.copyOf(anchors);
        Set<TrustAnchor> set = new HashSet<>();
        anchors.forEach(a -> set.add(new TrustAnchor(a, null)));
        this.trustAnchors = Set.copyOf(set);
    }

    /**
     * A verifier trusting {@code anchors}: the trust domain's root certificate (intermediates given here are ignored:
     * every other certificate must come from the bundle and chain to a self-signed anchor).
     */
    public static EvidenceBundleVerifier trusting(Collection<X509Certificate> anchors) {
        Objects.requireNonNull(anchors, "anchors");
        List<X509Certificate> roots = new ArrayList<>();
        for (X509Certificate c : anchors) {
            if (c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                roots.add(c);
            }
        }
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("a root (self-signed) certificate is required as trust anchor");
        }
        return new EvidenceBundleVerifier(roots);
    }

    /**
     * Verifies a bundle completely.
     *
     * @throws EvidenceException with the code (and file, when one is concerned) of the first failure
     */
    public VerifiedEvidence verify(byte[] zip) throws EvidenceException {
        EvidenceReport r = inspect(zip);
        for (EvidenceReport.Node n : r.nodes()) {
            var f = n.firstFailure();
            if (f.isPresent()) {
                throw new EvidenceException(
                        f.get().code(),
                        n.kind().equals("sae") ? EvidenceFormat.envelope(n.jti()) : EvidenceFormat.denial(n.jti()),
                        f.get().name() + " check failed for " + n.kind() + " " + n.jti() + ": "
                                + f.get().message());
            }
        }
        return new VerifiedEvidence(r);
    }

    /**
     * Checks the archive, manifest, trust domain, log key and checkpoint (throwing on failure), then every node,
     * recording each node check in the report.
     *
     * @throws EvidenceException for a structural failure
     */
    public EvidenceReport inspect(byte[] zip) throws EvidenceException {
        try {
            return doInspect(zip);
        } catch (EvidenceException e) {
            throw e;
        } catch (RuntimeException e) {
            // Anything unexpected is a rejection, never a pass.
            throw new EvidenceException("evidence.invalid", null, "the bundle could not be verified", e);
        }
    }

    // ---- archive and manifest ---------------------------------------------------------------------------------

    static Map<String, byte[]> unzip(byte[] zip) throws EvidenceException {
        if (zip == null || zip.length > MAX_BUNDLE) {
            throw new EvidenceException("evidence.zip", "the bundle is missing or larger than " + MAX_BUNDLE);
        }
        Map<String, byte[]> files = new TreeMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip), StandardCharsets.UTF_8)) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                String name = e.getName();
                // A strict layout: no directories, no unknown or traversing paths, each path once.
                if (e.isDirectory() || !EvidenceFormat.isAllowed(name)) {
                    throw new EvidenceException("evidence.layout", name, "not a file an evidence bundle holds");
                }
                if (files.size() >= MAX_FILES) {
                    throw new EvidenceException("evidence.zip", "the bundle holds too many files");
                }
                byte[] b = in.readNBytes((int) MAX_FILE + 1);
                if (b.length > MAX_FILE) {
                    throw new EvidenceException("evidence.zip", name, "file too large");
                }
                if (files.put(name, b) != null) {
                    throw new EvidenceException("evidence.layout", name, "the file appears twice in the archive");
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new EvidenceException("evidence.zip", null, "the bundle is not a readable ZIP archive", e);
        }
        if (files.isEmpty()) {
            throw new EvidenceException("evidence.zip", "the bundle is empty or not a ZIP archive");
        }
        return files;
    }

    private static ObjectNode manifest(Map<String, byte[]> files) throws EvidenceException {
        byte[] bytes = files.get(EvidenceFormat.MANIFEST);
        if (bytes == null) {
            throw new EvidenceException("evidence.file_missing", EvidenceFormat.MANIFEST, "the manifest is missing");
        }
        ObjectNode m;
        try {
            m = SignedJws.object(bytes, "evidence");
            // One spelling per manifest, so outside tools hash and compare the same bytes.
            if (!MessageDigest.isEqual(CanonicalJson.encode(m), bytes)) {
                throw new EvidenceException(
                        "evidence.manifest", EvidenceFormat.MANIFEST, "not RFC 8785 canonical JSON");
            }
        } catch (EvidenceException e) {
            if (e.code().equals("evidence.manifest")) {
                throw e;
            }
            throw new EvidenceException("evidence.manifest", EvidenceFormat.MANIFEST, "not a JSON object");
        } catch (IllegalArgumentException e) {
            throw new EvidenceException("evidence.manifest", EvidenceFormat.MANIFEST, "not RFC 8785 canonical JSON");
        }
        if (!EvidenceFormat.FORMAT.equals(m.path("format").asText(null))) {
            throw new EvidenceException(
                    "evidence.manifest", EvidenceFormat.MANIFEST, "format is not " + EvidenceFormat.FORMAT);
        }
        for (String f : List.of("trust_domain", "subject")) {
            if (!m.path(f).isTextual() || m.path(f).textValue().isEmpty()) {
                throw new EvidenceException("evidence.manifest", EvidenceFormat.MANIFEST, f + " is missing");
            }
        }
        if (!m.path("created_at").canConvertToLong() || !m.path("files").isObject()) {
            throw new EvidenceException("evidence.manifest", EvidenceFormat.MANIFEST, "created_at or files is missing");
        }
        JsonNode listed = m.get("files");
        // Every file is listed with its hash, and nothing is listed that is not there.
        for (Iterator<String> it = listed.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!files.containsKey(name) || name.equals(EvidenceFormat.MANIFEST)) {
                throw new EvidenceException("evidence.file_missing", name, "listed in the manifest, absent");
            }
        }
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            if (f.getKey().equals(EvidenceFormat.MANIFEST)) {
                continue;
            }
            JsonNode h = listed.get(f.getKey());
            if (h == null) {
                throw new EvidenceException("evidence.file_unlisted", f.getKey(), "not listed in the manifest");
            }
            String actual = "sha256:" + SignedJws.sha256Hex(f.getValue());
            if (!MessageDigest.isEqual(
                    actual.getBytes(StandardCharsets.US_ASCII), h.asText("").getBytes(StandardCharsets.US_ASCII))) {
                throw new EvidenceException(
                        "evidence.file_hash", f.getKey(), "the SHA-256 differs from the manifest's (altered file)");
            }
        }
        return m;
    }

    /** The trust domain an anchor speaks for: Writ roots carry {@code O=Writ <domain>}. */
    static String domainOf(X509Certificate root) {
        try {
            for (Rdn rdn : new LdapName(root.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("O")) {
                    String o = rdn.getValue().toString();
                    return o.startsWith("Writ ") ? o.substring(5) : o;
                }
            }
        } catch (javax.naming.InvalidNameException e) {
            return null;
        }
        return null;
    }

    // ---- the whole inspection ----------------------------------------------------------------------------------

    private EvidenceReport doInspect(byte[] zip) throws EvidenceException {
        Map<String, byte[]> files = unzip(zip);
        ObjectNode manifest = manifest(files);
        String domain = manifest.get("trust_domain").textValue();
        String subject = manifest.get("subject").textValue();
        Instant createdAt = Instant.ofEpochSecond(manifest.get("created_at").longValue());

        // The bundle must be about the domain the auditor trusts: say which two domains differ.
        Set<String> anchorDomains = new HashSet<>();
        for (X509Certificate a : anchors) {
            String d = domainOf(a);
            if (d != null) {
                anchorDomains.add(d);
            }
        }
        if (!anchorDomains.isEmpty() && !anchorDomains.contains(domain)) {
            throw new EvidenceException(
                    "evidence.domain",
                    EvidenceFormat.MANIFEST,
                    "the bundle is from trust domain " + domain + " but the trust bundle is for trust domain "
                            + String.join(", ", anchorDomains));
        }

        Map<String, X509Certificate> certs = certificates(files);
        NoteVerifier logKey = logKey(files, certs, createdAt);
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.verify(required(files, EvidenceFormat.CHECKPOINT), logKey)
                    .checkpoint();
        } catch (LogVerificationException e) {
            throw new EvidenceException(
                    "evidence.checkpoint",
                    EvidenceFormat.CHECKPOINT,
                    "the checkpoint does not verify: " + e.getMessage());
        }

        // The log entries, by index, with their inclusion under the checkpoint.
        Map<Long, JsonNode> entries = new TreeMap<>();
        Map<Long, EvidenceReport.Check> inclusion = new HashMap<>();
        Map<String, Long> entryByJws = new HashMap<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            if (!f.getKey().startsWith("log/entries/")) {
                continue;
            }
            String name = f.getKey();
            long index = Long.parseLong(name.substring("log/entries/".length(), name.length() - ".json".length()));
            ObjectNode e;
            try {
                e = SignedJws.object(f.getValue(), "evidence");
            } catch (EvidenceException x) {
                throw new EvidenceException("evidence.inconsistent", name, "the log entry is not a JSON object");
            }
            entries.put(index, e);
            inclusion.put(index, inclusion(files, index, f.getValue(), files.get(EvidenceFormat.CHECKPOINT), logKey));
            if (e.path("jws").isTextual()) {
                entryByJws.put(e.get("jws").textValue(), index);
            }
        }

        // Every record in the bundle must be one the log holds.
        for (String name : files.keySet()) {
            if (name.startsWith("envelopes/")
                    || (name.startsWith("denials/") && name.endsWith(".jws"))
                    || name.startsWith("approvals/")) {
                String jws = new String(files.get(name), StandardCharsets.US_ASCII);
                if (!entryByJws.containsKey(jws)) {
                    throw new EvidenceException("evidence.unlogged", name, "no log entry in the bundle holds it");
                }
            }
        }

        Map<String, String> envelopeByHash = new HashMap<>();
        for (JsonNode e : entries.values()) {
            if ("sae".equals(e.path("type").asText()) && e.path("jws").isTextual()) {
                envelopeByHash.put(
                        Envelopes.hash(e.get("jws").textValue()), e.path("jti").asText());
            }
        }

        List<EvidenceReport.Node> nodes = new ArrayList<>();
        for (Map.Entry<Long, JsonNode> e : entries.entrySet()) {
            String type = e.getValue().path("type").asText();
            if (type.equals("sae")) {
                nodes.add(envelopeNode(
                        files,
                        certs,
                        entries,
                        envelopeByHash,
                        e.getKey(),
                        e.getValue(),
                        domain,
                        inclusion.get(e.getKey())));
            } else if (type.equals("denial")) {
                nodes.add(denialNode(files, e.getKey(), e.getValue(), inclusion.get(e.getKey())));
            }
        }
        if (nodes.stream().noneMatch(n -> n.jti().equals(subject))) {
            throw new EvidenceException(
                    "evidence.subject", EvidenceFormat.MANIFEST, "the subject " + subject + " is not in the bundle");
        }
        return new EvidenceReport(domain, subject, checkpoint, order(nodes, subject, envelopeByHash));
    }

    /** The subject first, then its ancestors breadth first, then the rest in log order. */
    private static List<EvidenceReport.Node> order(
            List<EvidenceReport.Node> nodes, String subject, Map<String, String> jtiByHash) {
        Map<String, EvidenceReport.Node> byJti = new LinkedHashMap<>();
        nodes.forEach(n -> byJti.put(n.jti(), n));
        List<EvidenceReport.Node> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        java.util.ArrayDeque<String> queue = new java.util.ArrayDeque<>(List.of(subject));
        while (!queue.isEmpty()) {
            String jti = queue.poll();
            EvidenceReport.Node n = byJti.get(jti);
            if (n == null || !seen.add(jti)) {
                continue;
            }
            out.add(n);
            for (String p : n.parents()) {
                String pj = jtiByHash.get(p);
                if (pj != null) {
                    queue.add(pj);
                }
            }
        }
        for (EvidenceReport.Node n : nodes) {
            if (seen.add(n.jti())) {
                out.add(n);
            }
        }
        return out;
    }

    private static byte[] required(Map<String, byte[]> files, String name) throws EvidenceException {
        byte[] b = files.get(name);
        if (b == null) {
            throw new EvidenceException("evidence.file_missing", name, "the bundle lacks this file");
        }
        return b;
    }

    private static Map<String, X509Certificate> certificates(Map<String, byte[]> files) throws EvidenceException {
        Map<String, X509Certificate> out = new HashMap<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                if (f.getKey().startsWith("certificates/")) {
                    try {
                        X509Certificate c =
                                (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(f.getValue()));
                        if (!Objects.equals(
                                f.getKey(), EvidenceFormat.certificate(SignedJws.sha256Hex(c.getEncoded())))) {
                            throw new EvidenceException(
                                    "evidence.inconsistent", f.getKey(), "not named by the SHA-256 of its DER");
                        }
                        out.put(f.getKey(), c);
                    } catch (java.security.cert.CertificateException e) {
                        throw new EvidenceException("evidence.inconsistent", f.getKey(), "not a DER certificate");
                    }
                }
            }
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** The log key, trusted because it is the key of a bundle certificate that chains to the anchor. */
    private NoteVerifier logKey(Map<String, byte[]> files, Map<String, X509Certificate> certs, Instant at)
            throws EvidenceException {
        NoteVerifier key;
        byte[] file = required(files, EvidenceFormat.LOG_KEY);
        try {
            key = NoteVerifier.parse(new String(file, StandardCharsets.UTF_8).strip());
        } catch (LogVerificationException e) {
            throw new EvidenceException("evidence.log_key", EvidenceFormat.LOG_KEY, "not a verifier key");
        }
        // One spelling: the key and a newline.
        if (!MessageDigest.isEqual(file, (key.keyString() + "\n").getBytes(StandardCharsets.UTF_8))) {
            throw new EvidenceException(
                    "evidence.log_key", EvidenceFormat.LOG_KEY, "not exactly one verifier key and a newline");
        }
        for (X509Certificate c : certs.values()) {
            SubjectPublicKeyInfo spki =
                    SubjectPublicKeyInfo.getInstance(c.getPublicKey().getEncoded());
            if (!spki.getAlgorithm().getAlgorithm().equals(EdECObjectIdentifiers.id_Ed25519)
                    || !MessageDigest.isEqual(spki.getPublicKeyData().getBytes(), key.publicKey())
                    || SignedJws.isAgentCertificate(c)) {
                continue;
            }
            // The log signer's certificate must be issued under the anchor (its issuer is in the bundle too).
            List<X509Certificate> chain = new ArrayList<>(List.of(c));
            X509Certificate cur = c;
            for (int i = 0; i < 4 && !isRoot(cur); i++) {
                X509Certificate issuer = null;
                for (X509Certificate x : certs.values()) {
                    if (x.getSubjectX500Principal().equals(cur.getIssuerX500Principal()) && !x.equals(cur)) {
                        issuer = x;
                    }
                }
                if (issuer == null) {
                    break;
                }
                chain.add(issuer);
                cur = issuer;
            }
            try {
                SignedJws.validate(chain, trustAnchors, at, "evidence");
                return key;
            } catch (EvidenceException e) {
                throw new EvidenceException(
                        "evidence.log_key",
                        EvidenceFormat.LOG_KEY,
                        "the log key's certificate does not chain to the trust anchor");
            }
        }
        throw new EvidenceException(
                "evidence.log_key", EvidenceFormat.LOG_KEY, "no certificate in the bundle holds the log key");
    }

    private static boolean isRoot(X509Certificate c) {
        return c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
    }

    /**
     * The entry's receipt ({@link LogReceipt} JSON: index, proof, checkpoint) must carry the bundle's checkpoint and
     * prove the exact entry bytes under it.
     */
    private static EvidenceReport.Check inclusion(
            Map<String, byte[]> files, long index, byte[] entry, byte[] checkpoint, NoteVerifier key) {
        String name = EvidenceFormat.receipt(index);
        byte[] r = files.get(name);
        if (r == null) {
            return EvidenceReport.Check.failed("inclusion", "evidence.inclusion", name + " is missing");
        }
        try {
            LogReceipt receipt = LogReceipt.fromJson(SignedJws.JSON.readTree(r));
            // One checkpoint for the whole bundle: the latest one, which every receipt is against.
            if (receipt.index() != index || !MessageDigest.isEqual(receipt.checkpoint(), checkpoint)) {
                return EvidenceReport.Check.failed(
                        "inclusion",
                        "evidence.inclusion",
                        name + " is not a receipt of this entry under log/checkpoint");
            }
            receipt.verify(entry, key);
            return EvidenceReport.Check.ok("inclusion");
        } catch (LogVerificationException | IOException | RuntimeException e) {
            return EvidenceReport.Check.failed(
                    "inclusion", "evidence.inclusion", "log entry " + index + " is not included under the checkpoint");
        }
    }

    // ---- envelopes ---------------------------------------------------------------------------------------------

    private EvidenceReport.Node envelopeNode(
            Map<String, byte[]> files,
            Map<String, X509Certificate> certs,
            Map<Long, JsonNode> entries,
            Map<String, String> envelopeByHash,
            long index,
            JsonNode entry,
            String domain,
            EvidenceReport.Check inclusion) {
        String compact = entry.path("jws").asText("");
        String jti = entry.path("jti").asText("");
        JsonNode claims = payload(compact);
        JsonNode header = header(compact);
        List<String> parents = new ArrayList<>();
        for (JsonNode p : claims.path("ctx").path("parent_chain")) {
            parents.add(p.asText());
        }
        String approval = claims.path("ctx").path("approval").asText(null);
        String pol = claims.path("pol").asText("");
        String agentId = null;
        List<EvidenceReport.Check> checks = new ArrayList<>();

        // The envelope as of its issue time: the historical view of the PEP's checks 1 to 6 (no replay: its nonce was
        // used; no local revocation set: the staple says what was known when it was signed).
        String sig = "signature", chain = "chain", ocsp = "ocsp", scope = "scope";
        VerifiedAction verified = null;
        String fileName = EvidenceFormat.envelope(jti);
        byte[] file = files.get(fileName);
        if (file == null || !new String(file, StandardCharsets.US_ASCII).equals(compact)) {
            checks.add(EvidenceReport.Check.failed(
                    sig, "evidence.inconsistent", fileName + " is missing or differs from the log entry"));
            checks.add(EvidenceReport.Check.notChecked(chain));
            checks.add(EvidenceReport.Check.notChecked(ocsp));
            checks.add(EvidenceReport.Check.notChecked(scope));
        } else {
            try {
                long iat = claims.path("iat").asLong();
                SaeVerifier v = SaeVerifier.builder()
                        .trustAnchors(anchors)
                        .clock(InstantSource.fixed(Instant.ofEpochSecond(iat)))
                        .revocationSource(new InMemoryRevocationSource())
                        .withoutReplayCheck()
                        .build();
                verified = v.verify(compact);
                for (String c : List.of(sig, chain, ocsp, scope)) {
                    checks.add(EvidenceReport.Check.ok(c));
                }
                agentId = verified.agentId();
            } catch (SaeVerificationException e) {
                // SaeVerifier stops at the first failure: the stages before it passed, those after it did not run.
                String code = e.reason();
                int failed = stage(code);
                String failedCheck = failed == 1 ? chain : failed == 2 ? ocsp : failed == 4 ? scope : sig;
                for (String c : List.of(sig, chain, ocsp, scope)) {
                    int at = c.equals(chain) ? 1 : c.equals(ocsp) ? 2 : c.equals(sig) ? 3 : 4;
                    if (c.equals(failedCheck)) {
                        checks.add(EvidenceReport.Check.failed(c, code, e.getMessage()));
                    } else if (at < failed) {
                        checks.add(EvidenceReport.Check.ok(c));
                    } else {
                        checks.add(EvidenceReport.Check.notChecked(c));
                    }
                }
            }
        }
        if (verified != null) {
            // Files that repeat what the envelope carries must be byte-identical to it.
            EvidenceReport.Check repeat = repeated(files, certs, jti, header);
            if (repeat != null) {
                checks.set(2, repeat);
            }
            if (!domain.equals(verified.agent().trustDomain())) {
                checks.set(
                        1,
                        EvidenceReport.Check.failed(
                                chain,
                                "evidence.domain",
                                "the agent is in trust domain "
                                        + verified.agent().trustDomain() + ", the bundle says " + domain));
            }
        }

        // Binding: the approval the envelope names was given for exactly this request, by this agent.
        checks.add(binding(files, entries, verified, approval));

        // Parents: every link of ctx.parent_chain resolves to an envelope in the bundle.
        List<String> missing = new ArrayList<>();
        for (String p : parents) {
            if (!envelopeByHash.containsKey(p)) {
                missing.add(p);
            }
        }
        checks.add(
                missing.isEmpty()
                        ? EvidenceReport.Check.ok("parents")
                        : EvidenceReport.Check.failed(
                                "parents",
                                "evidence.parent_missing",
                                "envelope " + jti + " names parent " + String.join(", ", missing)
                                        + " which is not in the audit log"));
        checks.add(inclusion);
        PolicyResult policy = policy(files, pol);
        checks.add(policy.check);
        return new EvidenceReport.Node(
                jti,
                "sae",
                index,
                Envelopes.hash(compact),
                agentId != null ? agentId : claims.path("iss").asText(null),
                claims.path("act").path("name").asText(null),
                Instant.ofEpochSecond(claims.path("iat").asLong()),
                parents,
                approval,
                policy.policy,
                List.of(),
                checks);
    }

    /**
     * The stage of {@link SaeVerifier} a code comes from: 0 parse, 1 chain, 2 revocation (the staple), 3 signature,
     * 4 time and scope (a historical check runs at {@code iat}, so time fails only for an impossible lifetime).
     */
    private static int stage(String code) {
        return switch (code) {
            case "sae.chain",
                    "sae.cert_expired",
                    "sae.cert_profile",
                    "sae.kid",
                    "sae.iss",
                    "sae.alg",
                    "sae.scope.malformed" -> 1;
            case "sae.ocsp_invalid", "sae.ocsp_stale", "sae.revoked", "sae.revocation_unavailable" -> 2;
            case "sae.signature" -> 3;
            case "sae.lifetime", "sae.not_yet_valid", "sae.expired", "sae.audience" -> 4;
            default -> code.startsWith("sae.scope.") ? 4 : 0;
        };
    }

    /** The OCSP file and the certificate files must repeat the envelope's header byte for byte. */
    private static EvidenceReport.Check repeated(
            Map<String, byte[]> files, Map<String, X509Certificate> certs, String jti, JsonNode header) {
        byte[] staple = Base64.getDecoder().decode(header.path("ocsp").asText(""));
        byte[] file = files.get(EvidenceFormat.ocsp(jti));
        if (file == null || !MessageDigest.isEqual(file, staple)) {
            return EvidenceReport.Check.failed(
                    "ocsp",
                    "evidence.inconsistent",
                    EvidenceFormat.ocsp(jti) + " is missing or differs from the envelope's staple");
        }
        for (JsonNode c : header.path("x5c")) {
            String name = EvidenceFormat.certificate(
                    SignedJws.sha256Hex(Base64.getDecoder().decode(c.asText())));
            if (!certs.containsKey(name)) {
                return EvidenceReport.Check.failed(
                        "ocsp", "evidence.certificate_missing", name + " (a certificate of the envelope) is missing");
            }
        }
        return null;
    }

    private EvidenceReport.Check binding(
            Map<String, byte[]> files, Map<Long, JsonNode> entries, VerifiedAction verified, String approval) {
        if (approval == null) {
            return EvidenceReport.Check.ok("binding");
        }
        if (verified == null) {
            return EvidenceReport.Check.notChecked("binding");
        }
        if (!approval.matches("sha256:[0-9a-f]{64}")) {
            return EvidenceReport.Check.failed("binding", "evidence.binding", "ctx.approval is not a sha256 hash");
        }
        String name = EvidenceFormat.approval(approval.substring(7));
        byte[] b = files.get(name);
        if (b == null) {
            return EvidenceReport.Check.failed("binding", "evidence.binding", name + " (the approval) is missing");
        }
        String jws = new String(b, StandardCharsets.US_ASCII);
        if (!Envelopes.hash(jws).equals(approval)) {
            return EvidenceReport.Check.failed("binding", "evidence.binding", name + " is not the approval named");
        }
        try {
            SignedJws a = SignedJws.verify(jws, "writ-approval+jwt", trustAnchors, null, "approval");
            JsonNode c = a.claims;
            // Only an approved decision lifts a human-approval guard.
            if (!"approved".equals(c.path("event").asText())) {
                return EvidenceReport.Check.failed(
                        "binding", "evidence.binding", "the approval record is not approved");
            }
            if (!verified.agentId().equals(c.path("sub").asText())) {
                return EvidenceReport.Check.failed(
                        "binding", "evidence.binding", "the approval was given to another agent");
            }
            // The approval is bound to the request hash: recompute it from what the envelope authorised.
            String expected = requestHash(verified, c.path("agent_id").asText());
            if (!expected.equals(c.path("request").asText())) {
                return EvidenceReport.Check.failed(
                        "binding", "evidence.binding", "the approval was given for another request");
            }
            boolean logged = entries.values().stream()
                    .anyMatch(e -> "approval".equals(e.path("type").asText())
                            && jws.equals(e.path("jws").asText()));
            if (!logged) {
                return EvidenceReport.Check.failed(
                        "binding", "evidence.unlogged", "the approval's log entry is not in the bundle");
            }
            return EvidenceReport.Check.ok("binding");
        } catch (EvidenceException e) {
            return EvidenceReport.Check.failed("binding", e.code(), name + ": " + e.getMessage());
        }
    }

    /**
     * The approval request hash: {@code sha256:} + hex SHA-256 of the RFC 8785 encoding of {@code {"action":{name,
     * params, classification[, http]},"agent":<agent id>,"target":<sub>}}.
     */
    static String requestHash(VerifiedAction v, String agentId) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ObjectNode act = o.putObject("action");
        act.put("name", v.action().name());
        act.set("params", v.action().params());
        act.put("classification", v.action().classification().wireName());
        HttpBinding http = v.action().http();
        if (http != null) {
            ObjectNode h = act.putObject("http");
            h.put("method", http.method());
            h.put("url", http.url());
            h.put("body", http.bodyDigest());
        }
        o.put("target", v.action().target());
        o.put("agent", agentId);
        return "sha256:" + SignedJws.sha256Hex(CanonicalJson.encode(o));
    }

    // ---- denials -----------------------------------------------------------------------------------------------

    private EvidenceReport.Node denialNode(
            Map<String, byte[]> files, long index, JsonNode entry, EvidenceReport.Check inclusion) {
        String compact = entry.path("jws").asText("");
        String jti = entry.path("jti").asText("");
        JsonNode claims = payload(compact);
        List<EvidenceReport.Check> checks = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        claims.path("reasons").forEach(r -> reasons.add(r.asText()));
        String name = EvidenceFormat.denial(jti);
        byte[] file = files.get(name);
        DenialVerifier dv = DenialVerifier.trusting(anchors);
        VerifiedDenial verified = null;
        if (file == null || !new String(file, StandardCharsets.US_ASCII).equals(compact)) {
            checks.add(EvidenceReport.Check.failed(
                    "signature", "evidence.inconsistent", name + " is missing or differs from the log entry"));
        } else {
            try {
                verified = dv.verify(compact);
                checks.add(EvidenceReport.Check.ok("signature"));
            } catch (EvidenceException e) {
                checks.add(EvidenceReport.Check.failed("signature", e.code(), e.getMessage()));
            }
        }
        // The detail: present for auditors, and it must open the record's commitment.
        byte[] detail = files.get(EvidenceFormat.denialDetail(jti));
        if (verified == null) {
            checks.add(EvidenceReport.Check.notChecked("detail"));
        } else if (detail == null) {
            checks.add(
                    verified.detailCommitment().isPresent()
                            ? EvidenceReport.Check.failed(
                                    "detail",
                                    "evidence.file_missing",
                                    EvidenceFormat.denialDetail(jti) + " (the opening of the commitment) is missing")
                            : EvidenceReport.Check.ok("detail"));
        } else {
            try {
                JsonNode o = SignedJws.object(detail, "evidence");
                VerifiedDenial opened = dv.open(
                        verified, o.path("detail").asText(null), o.path("salt").asText(null));
                reasons.clear();
                reasons.addAll(opened.detailedReasons().orElse(List.of()));
                checks.add(EvidenceReport.Check.ok("detail"));
            } catch (EvidenceException e) {
                checks.add(EvidenceReport.Check.failed(
                        "detail", e.code(), EvidenceFormat.denialDetail(jti) + ": " + e.getMessage()));
            }
        }
        checks.add(inclusion);
        String pol = claims.path("pol").asText("");
        PolicyResult policy = pol.equals("none")
                ? new PolicyResult(EvidenceReport.Check.ok("policy"), new EvidenceReport.Policy(pol, null, null))
                : policy(files, pol);
        checks.add(policy.check);
        return new EvidenceReport.Node(
                jti,
                "denial",
                index,
                Envelopes.hash(compact),
                claims.path("agent").path("id").asText(null),
                claims.path("act").path("name").asText(null),
                Instant.ofEpochSecond(claims.path("iat").asLong()),
                List.of(),
                null,
                policy.policy,
                reasons,
                checks);
    }

    // ---- policies ----------------------------------------------------------------------------------------------

    private record PolicyResult(EvidenceReport.Check check, EvidenceReport.Policy policy) {}

    /**
     * The evaluated policy bundle: its canonical encoding hashes to {@code pol}, and its signed statement names that
     * hash and chains to the anchor (through the policy CA) as of its signing time.
     */
    private PolicyResult policy(Map<String, byte[]> files, String pol) {
        EvidenceReport.Policy unnamed = new EvidenceReport.Policy(pol, null, null);
        if (!pol.matches("sha256:[0-9a-f]{64}")) {
            return new PolicyResult(
                    EvidenceReport.Check.failed("policy", "evidence.policy", "pol is not a bundle hash"), unnamed);
        }
        String hex = pol.substring(7);
        byte[] bundle = files.get(EvidenceFormat.policyBundle(hex));
        byte[] statement = files.get(EvidenceFormat.policyStatement(hex));
        if (bundle == null || statement == null) {
            return new PolicyResult(
                    EvidenceReport.Check.failed(
                            "policy",
                            "evidence.policy_missing",
                            EvidenceFormat.policyBundle(hex) + " or its statement is missing"),
                    unnamed);
        }
        // The bundle hash is SHA-256 over the canonical encoding, which is what the file holds.
        if (!("sha256:" + SignedJws.sha256Hex(bundle)).equals(pol)) {
            return new PolicyResult(
                    EvidenceReport.Check.failed(
                            "policy", "evidence.policy", EvidenceFormat.policyBundle(hex) + " does not hash to pol"),
                    unnamed);
        }
        try {
            SignedJws s = SignedJws.verify(
                    new String(statement, StandardCharsets.US_ASCII), "writ-policy+jws", trustAnchors, null, "policy");
            if (!pol.equals(s.claims.path("hash").asText())) {
                return new PolicyResult(
                        EvidenceReport.Check.failed(
                                "policy", "evidence.policy", "the statement signs another bundle hash"),
                        unnamed);
            }
            JsonNode b = s.claims.path("bundle");
            return new PolicyResult(
                    EvidenceReport.Check.ok("policy"),
                    new EvidenceReport.Policy(
                            pol, b.path("name").asText(null), b.path("version").asText(null)));
        } catch (EvidenceException e) {
            return new PolicyResult(
                    EvidenceReport.Check.failed(
                            "policy", e.code(), EvidenceFormat.policyStatement(hex) + ": " + e.getMessage()),
                    unnamed);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static JsonNode payload(String compact) {
        return part(compact, 1);
    }

    private static JsonNode header(String compact) {
        return part(compact, 0);
    }

    private static JsonNode part(String compact, int i) {
        try {
            String[] parts = compact.split("\\.", -1);
            if (parts.length != 3) {
                return JsonNodeFactory.instance.objectNode();
            }
            JsonNode n = SignedJws.JSON.readTree(Base64.getUrlDecoder().decode(parts[i]));
            return n == null ? JsonNodeFactory.instance.objectNode() : n;
        } catch (IOException | IllegalArgumentException e) {
            return JsonNodeFactory.instance.objectNode();
        }
    }
}
