package dev.writ.server.forensic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.evidence.EvidenceBundleVerifier;
import dev.writ.core.evidence.EvidenceException;
import dev.writ.core.evidence.EvidenceFormat;
import dev.writ.core.evidence.EvidenceReport;
import dev.writ.core.json.CanonicalJson;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.LogVerificationException;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.sae.Envelopes;
import dev.writ.server.log.LogException;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.policy.PolicyStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPResp;

/**
 * Chain-of-custody reconstruction from the audit log, and evidence bundles.
 *
 * <p>{@link #investigate}: the log entry of a {@code jti} (an envelope or a denial), then its ancestors through
 * {@code ctx.parent_chain} (a DAG, walked breadth first), the approval records the envelopes name, and the denials of
 * the same sessions; every one with its inclusion proof under the latest checkpoint, the certificates and OCSP
 * responses it used, the policy bundles that were evaluated (canonical encoding and signed statement), and for each
 * denial the opening of its commitment. These files form the evidence bundle ({@value EvidenceFormat#FORMAT}); the
 * report is what {@link EvidenceBundleVerifier} finds in it, so the tree an operator reads and the verdict an auditor
 * reaches offline come from the same checks.
 *
 * <p>The log has no index by envelope hash, so the service keeps one in memory (hash, approval hash and session per
 * entry), brought up to date on each call by reading the entries appended since. Thread-safe.
 */
public final class ForensicService {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NF = JsonNodeFactory.instance;
    private static final String JTI = "[A-Za-z0-9_-]{22,128}";

    private final LogSource log;
    private final String trustDomain;
    private final List<X509Certificate> logSignerChain;
    private final PolicyStore policies;
    private final DenialDetailStore details;
    private final EvidenceBundleVerifier verifier;
    private final InstantSource clock;
    private final Index index = new Index();

    /**
     * @param trustDomain the trust domain's name, written into bundles
     * @param anchors the trust domain's root certificate (the report checks the bundle against it)
     * @param logSignerChain the certificate of the log's checkpoint key, then its issuing CA
     */
    public ForensicService(
            LogSource log,
            String trustDomain,
            List<X509Certificate> anchors,
            List<X509Certificate> logSignerChain,
            PolicyStore policies,
            DenialDetailStore details,
            InstantSource clock) {
        this.log = Objects.requireNonNull(log, "log");
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        this.logSignerChain = List.copyOf(logSignerChain);
        this.policies = Objects.requireNonNull(policies, "policies");
        this.details = Objects.requireNonNull(details, "details");
        this.verifier = EvidenceBundleVerifier.trusting(anchors);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The outcome of an investigation: the report, the evidence bundle it was read from, and policy versions. */
    public record Investigation(EvidenceReport report, byte[] bundle, Map<String, Long> policyVersions) {
        public Investigation {
            bundle = bundle.clone();
            policyVersions = Map.copyOf(policyVersions);
        }

        @Override
        public byte[] bundle() {
            return bundle.clone();
        }

        /** The report as JSON: every node with its checks, and the chain as a tree from the subject to its roots. */
        public ObjectNode toJson() {
            return ForensicService.toJson(report, policyVersions);
        }
    }

    /**
     * Reconstructs the chain of custody of {@code jti}, exports its evidence and verifies it.
     *
     * @throws ForensicException {@code forensic.malformed_jti}, {@code forensic.unknown_jti},
     *     {@code forensic.not_an_action}, {@code forensic.unavailable}
     */
    public Investigation investigate(String jti) throws ForensicException {
        if (jti == null || !jti.matches(JTI)) {
            throw new ForensicException(400, "forensic.malformed_jti", "a jti is 22 to 128 base64url characters");
        }
        try {
            return doInvestigate(jti);
        } catch (LogException | SQLException | PolicyException | IOException e) {
            throw new ForensicException(503, "forensic.unavailable", "the audit log or the database cannot be read", e);
        } catch (EvidenceException e) {
            throw new ForensicException(
                    500, "forensic.unavailable", "the evidence cannot be checked: " + e.getMessage(), e);
        }
    }

    private Investigation doInvestigate(String jti)
            throws ForensicException, LogException, SQLException, PolicyException, IOException, EvidenceException {
        byte[] note = log.checkpoint();
        NoteVerifier key;
        Checkpoint cp;
        try {
            key = NoteVerifier.parse(log.key());
            cp = Checkpoint.verify(note, key).checkpoint();
        } catch (LogVerificationException e) {
            throw new ForensicException(503, "forensic.unavailable", "the log's checkpoint does not verify", e);
        }
        long size = cp.size();
        OptionalLong start = log.indexOfJti(jti);
        if (start.isEmpty() || start.getAsLong() >= size) {
            throw new ForensicException(
                    404, "forensic.unknown_jti", "no envelope or denial with jti " + jti + " is in the audit log");
        }
        index.catchUp(size);
        JsonNode first = JSON.readTree(log.entry(start.getAsLong()));
        String type = first.path("type").asText();
        if (!type.equals("sae") && !type.equals("denial")) {
            throw new ForensicException(
                    400, "forensic.not_an_action", "log entry " + start.getAsLong() + " is a " + type + " event");
        }

        // The DAG: the subject, then its ancestors through ctx.parent_chain, breadth first.
        Set<Long> entries = new TreeSet<>();
        Set<String> sessions = new LinkedHashSet<>();
        ArrayDeque<Long> queue = new ArrayDeque<>(List.of(start.getAsLong()));
        while (!queue.isEmpty()) {
            long i = queue.poll();
            if (!entries.add(i)) {
                continue;
            }
            JsonNode e = JSON.readTree(log.entry(i));
            if (!"sae".equals(e.path("type").asText())) {
                continue;
            }
            JsonNode ctx = payload(e.path("jws").asText()).path("ctx");
            if (!ctx.path("session").asText("").isEmpty()) {
                sessions.add(ctx.path("session").asText());
            }
            for (JsonNode p : ctx.path("parent_chain")) {
                Long pi = index.byHash.get(p.asText());
                // A parent that is not in the log stays missing: the verifier names it (evidence.parent_missing).
                if (pi != null && pi < size) {
                    queue.add(pi);
                }
            }
            String approval = ctx.path("approval").asText(null);
            if (approval != null && index.byHash.containsKey(approval)) {
                entries.add(index.byHash.get(approval));
            }
        }
        // Related refusals: the denials of the sessions the chain ran in.
        for (String s : sessions) {
            for (long d : index.denialsBySession.getOrDefault(s, List.of())) {
                if (d < size) {
                    entries.add(d);
                }
            }
        }

        Map<String, byte[]> files = new TreeMap<>();
        Map<String, Long> versions = new HashMap<>();
        Set<String> policyHashes = new TreeSet<>();
        for (long i : entries) {
            byte[] entry = log.entry(i);
            files.put(EvidenceFormat.entry(i), entry);
            // A receipt in the log's own JSON form, so `writ log verify RECEIPT --entry FILE` checks it too.
            LogReceipt receipt = new LogReceipt(i, log.inclusionProof(i, size), note);
            files.put(EvidenceFormat.receipt(i), CanonicalJson.encode(receipt.toJson()));
            JsonNode e = JSON.readTree(entry);
            String jws = e.path("jws").asText();
            String entryJti = e.path("jti").asText();
            switch (e.path("type").asText()) {
                case "sae" -> {
                    files.put(EvidenceFormat.envelope(entryJti), ascii(jws));
                    JsonNode header = header(jws);
                    byte[] ocsp = Base64.getDecoder().decode(header.path("ocsp").asText(""));
                    files.put(EvidenceFormat.ocsp(entryJti), ocsp);
                    addCertificates(files, header);
                    addOcspCertificates(files, ocsp);
                    policyHashes.add(payload(jws).path("pol").asText());
                }
                case "denial" -> {
                    files.put(EvidenceFormat.denial(entryJti), ascii(jws));
                    addCertificates(files, header(jws));
                    policyHashes.add(payload(jws).path("pol").asText());
                    Optional<DenialDetailStore.Detail> d = details.find(entryJti);
                    if (d.isPresent()) {
                        ObjectNode opening = NF.objectNode();
                        opening.put("detail", d.get().detailJws());
                        opening.put("salt", d.get().salt());
                        files.put(EvidenceFormat.denialDetail(entryJti), CanonicalJson.encode(opening));
                    }
                }
                case "approval" -> {
                    files.put(EvidenceFormat.approval(Envelopes.hash(jws).substring(7)), ascii(jws));
                    addCertificates(files, header(jws));
                }
                default -> {}
            }
        }
        for (PolicyStore.PolicyVersion v : policies.list()) {
            if (policyHashes.contains(v.hash()) && !versions.containsKey(v.hash())) {
                Optional<PolicyStore.StoredBundle> b = policies.get(v.version());
                if (b.isPresent()) {
                    String hex = v.hash().substring(7);
                    files.put(EvidenceFormat.policyBundle(hex), b.get().content());
                    files.put(EvidenceFormat.policyStatement(hex), ascii(b.get().statement()));
                    addCertificates(files, header(b.get().statement()));
                    versions.put(v.hash(), v.version());
                }
            }
        }
        files.put(EvidenceFormat.CHECKPOINT, note);
        files.put(EvidenceFormat.LOG_KEY, ascii(log.key() + "\n"));
        for (X509Certificate c : logSignerChain) {
            addCertificate(files, der(c));
        }

        ObjectNode manifest = NF.objectNode();
        manifest.put("format", EvidenceFormat.FORMAT);
        manifest.put("trust_domain", trustDomain);
        manifest.put("subject", jti);
        manifest.put("created_at", clock.instant().getEpochSecond());
        ObjectNode listed = manifest.putObject("files");
        files.forEach((name, bytes) -> listed.put(name, "sha256:" + sha256Hex(bytes)));
        byte[] zip = zip(CanonicalJson.encode(manifest), files);
        EvidenceReport report = verifier.inspect(zip);
        return new Investigation(report, zip, versions);
    }

    /** The archive: the manifest first, then every file in path order (deterministic apart from the manifest's time). */
    static byte[] zip(byte[] manifest, Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out, StandardCharsets.UTF_8)) {
            put(z, EvidenceFormat.MANIFEST, manifest);
            for (Map.Entry<String, byte[]> f : new TreeMap<>(files).entrySet()) {
                put(z, f.getKey(), f.getValue());
            }
        }
        return out.toByteArray();
    }

    private static void put(ZipOutputStream z, String name, byte[] bytes) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setTime(0); // no wall-clock metadata: the manifest says when
        z.putNextEntry(e);
        z.write(bytes);
        z.closeEntry();
    }

    private static void addCertificates(Map<String, byte[]> files, JsonNode header) {
        for (JsonNode c : header.path("x5c")) {
            addCertificate(files, Base64.getDecoder().decode(c.asText()));
        }
    }

    /** The delegated responder certificates an OCSP response carries, as files of their own for outside tools. */
    private static void addOcspCertificates(Map<String, byte[]> files, byte[] ocsp) {
        try {
            if (new OCSPResp(ocsp).getResponseObject() instanceof BasicOCSPResp basic) {
                for (X509CertificateHolder h : basic.getCerts()) {
                    addCertificate(files, h.getEncoded());
                }
            }
        } catch (Exception e) {
            // An unreadable staple is reported by the verifier (sae.ocsp_invalid); nothing to extract.
        }
    }

    private static void addCertificate(Map<String, byte[]> files, byte[] der) {
        files.put(EvidenceFormat.certificate(sha256Hex(der)), der);
    }

    private static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("a certificate cannot be encoded", e);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static String sha256Hex(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode payload(String compact) {
        return part(compact, 1);
    }

    static JsonNode header(String compact) {
        return part(compact, 0);
    }

    private static JsonNode part(String compact, int i) {
        try {
            String[] parts = compact.split("\\.", -1);
            if (parts.length != 3) {
                return NF.objectNode();
            }
            JsonNode n = JSON.readTree(Base64.getUrlDecoder().decode(parts[i]));
            return n == null ? NF.objectNode() : n;
        } catch (IOException | IllegalArgumentException e) {
            return NF.objectNode();
        }
    }

    /** Envelope and approval hashes and denial sessions of the log, read once and kept up to date. */
    private final class Index {
        final Map<String, Long> byHash = new java.util.concurrent.ConcurrentHashMap<>();
        final Map<String, List<Long>> denialsBySession = new java.util.concurrent.ConcurrentHashMap<>();
        private long indexed;

        synchronized void catchUp(long size) throws LogException, IOException {
            for (long i = indexed; i < size; i++) {
                JsonNode e;
                try {
                    e = JSON.readTree(log.entry(i));
                } catch (IOException ex) {
                    continue; // not JSON: not an event forensics follows
                }
                String type = e.path("type").asText();
                String jws = e.path("jws").asText(null);
                if (jws == null) {
                    continue;
                }
                switch (type) {
                    case "sae" -> byHash.putIfAbsent(Envelopes.hash(jws), i);
                    case "approval" -> byHash.putIfAbsent(Envelopes.hash(jws), i);
                    case "denial" -> {
                        String s = payload(jws).path("ctx").path("session").asText("");
                        if (!s.isEmpty()) {
                            denialsBySession
                                    .computeIfAbsent(s, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                                    .add(i);
                        }
                    }
                    default -> {}
                }
            }
            indexed = Math.max(indexed, size);
        }
    }

    // ---- JSON --------------------------------------------------------------------------------------------------

    static ObjectNode toJson(EvidenceReport r, Map<String, Long> versions) {
        ObjectNode o = NF.objectNode();
        o.put("subject", r.subject());
        o.put("trust_domain", r.trustDomain());
        o.put("ok", r.ok());
        ObjectNode cp = o.putObject("checkpoint");
        cp.put("origin", r.checkpoint().origin());
        cp.put("size", r.checkpoint().size());
        cp.put("root", Base64.getEncoder().encodeToString(r.checkpoint().rootHash()));
        Map<String, String> jtiByHash = new HashMap<>();
        r.nodes().forEach(n -> jtiByHash.put(n.hash(), n.jti()));
        ArrayNode nodes = o.putArray("nodes");
        for (EvidenceReport.Node n : r.nodes()) {
            nodes.add(node(n, versions, jtiByHash));
        }
        Map<String, EvidenceReport.Node> byJti = new HashMap<>();
        r.nodes().forEach(n -> byJti.put(n.jti(), n));
        o.set("tree", tree(byJti.get(r.subject()), byJti, jtiByHash, new java.util.HashSet<>()));
        ArrayNode related = o.putArray("related_denials");
        for (EvidenceReport.Node n : r.nodes()) {
            if (n.kind().equals("denial") && !n.jti().equals(r.subject())) {
                related.add(n.jti());
            }
        }
        return o;
    }

    private static ObjectNode tree(
            EvidenceReport.Node n,
            Map<String, EvidenceReport.Node> byJti,
            Map<String, String> jtiByHash,
            Set<String> path) {
        ObjectNode t = NF.objectNode();
        t.put("jti", n.jti());
        t.put("ok", n.ok());
        ArrayNode parents = t.putArray("parents");
        path.add(n.jti());
        for (String h : n.parents()) {
            String pj = jtiByHash.get(h);
            if (pj == null) {
                parents.addObject().put("hash", h).put("missing", true);
            } else if (!path.contains(pj)) {
                parents.add(tree(byJti.get(pj), byJti, jtiByHash, path));
            }
        }
        path.remove(n.jti());
        return t;
    }

    private static ObjectNode node(EvidenceReport.Node n, Map<String, Long> versions, Map<String, String> jtiByHash) {
        ObjectNode o = NF.objectNode();
        o.put("jti", n.jti());
        o.put("kind", n.kind());
        o.put("ok", n.ok());
        o.put("log_index", n.index());
        o.put("hash", n.hash());
        o.put("agent", n.agentId());
        o.put("action", n.action());
        o.put("issued_at", n.issuedAt().toString());
        ArrayNode parents = o.putArray("parents");
        for (String h : n.parents()) {
            ObjectNode p = parents.addObject().put("hash", h);
            p.put("jti", jtiByHash.get(h));
        }
        if (n.approval() != null) {
            o.put("approval", n.approval());
        }
        ObjectNode pol = o.putObject("policy");
        pol.put("hash", n.policy().hash());
        if (n.policy().name() != null) {
            pol.put("name", n.policy().name());
            pol.put("label", n.policy().version());
        }
        Long v = versions.get(n.policy().hash());
        if (v != null) {
            pol.put("version", v);
        }
        if (n.kind().equals("denial")) {
            ArrayNode rs = o.putArray("reasons");
            n.reasons().forEach(rs::add);
        }
        ArrayNode checks = o.putArray("checks");
        for (EvidenceReport.Check c : n.checks()) {
            ObjectNode x = checks.addObject();
            x.put("check", c.name());
            x.put("status", c.status().name().toLowerCase(java.util.Locale.ROOT));
            if (c.code() != null) {
                x.put("code", c.code());
                x.put("message", c.message());
            }
        }
        return o;
    }
}
