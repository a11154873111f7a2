package dev.writ.server.ca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * A trust domain's public description, persisted as {@code domain.json} in the data directory: its name, public URL,
 * custody configuration, CA certificates and the custody handles of the online keys. Holds no secrets.
 *
 * <p>Layout in the data directory: {@code domain.json}, {@code ca/<name>.crt} (PEM), {@code ca/<name>-ocsp.crt},
 * {@code ca/policy-signing.crt}, {@code ca/audit-signing.crt}, {@code ca/root.crl}, {@code root/root-key.p8} (the
 * sealed root key, opened only by ceremonies).
 */
public record TrustDomain(
        String name,
        String publicUrl,
        ObjectNode custody,
        KeySpec rootAlgorithm,
        Map<CaName, IssuingCa> cas,
        SigningLeaf policySigning,
        SigningLeaf auditSigning) {

    public static final String FILE = "domain.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public TrustDomain {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(publicUrl, "publicUrl");
        Objects.requireNonNull(custody, "custody");
        Objects.requireNonNull(rootAlgorithm, "rootAlgorithm");
        cas = Map.copyOf(cas);
        for (CaName c : CaName.values()) {
            if (!cas.containsKey(c)) {
                throw new IllegalArgumentException("missing CA " + c.id());
            }
        }
        custody = custody.deepCopy();
    }

    @Override
    public ObjectNode custody() {
        return custody.deepCopy();
    }

    public IssuingCa ca(CaName name) {
        return cas.get(name);
    }

    public X509CertificateHolder root() {
        return cas.get(CaName.ROOT).certificate();
    }

    /** Whether a data directory already holds a trust domain. */
    public static boolean exists(Path dataDir) {
        return Files.exists(dataDir.resolve(FILE));
    }

    /** The path of the sealed root key inside a data directory. */
    public static Path sealedRootPath(Path dataDir) {
        return dataDir.resolve("root").resolve("root-key.p8");
    }

    /** The path of the root's CRL (signed at ceremonies, served as a file). */
    public static Path rootCrlPath(Path dataDir) {
        return dataDir.resolve("ca").resolve("root.crl");
    }

    /** PEM bundle of the four CA certificates: root first. */
    public String trustBundlePem() {
        StringBuilder sb = new StringBuilder();
        for (CaName c : List.of(CaName.ROOT, CaName.AGENTS, CaName.POLICY, CaName.AUDIT)) {
            sb.append(Pem.certificate(cas.get(c).certificate()));
        }
        return sb.toString();
    }

    /** A copy with one CA replaced (after a re-issue ceremony). */
    public TrustDomain withCa(IssuingCa ca) {
        Map<CaName, IssuingCa> m = new EnumMap<>(cas);
        m.put(ca.name(), ca);
        return new TrustDomain(name, publicUrl, custody, rootAlgorithm, m, policySigning, auditSigning);
    }

    /** A copy with new signing leaves. */
    public TrustDomain withLeaves(SigningLeaf policy, SigningLeaf audit) {
        return new TrustDomain(name, publicUrl, custody, rootAlgorithm, cas, policy, audit);
    }

    /** Writes {@code domain.json} and the certificate files, replacing existing ones atomically per file. */
    public void save(Path dataDir) throws IOException {
        Path caDir = dataDir.resolve("ca");
        Files.createDirectories(caDir);
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 1);
        root.put("trustDomain", name);
        root.put("publicUrl", publicUrl);
        root.set("custody", custody.deepCopy());
        root.put("rootAlgorithm", rootAlgorithm.name());
        ObjectNode casNode = root.putObject("cas");
        for (IssuingCa ca : cas.values()) {
            ObjectNode n = casNode.putObject(ca.name().id());
            String certFile = "ca/" + ca.name().id() + ".crt";
            String ocspFile = "ca/" + ca.name().id() + "-ocsp.crt";
            write(dataDir.resolve(certFile), Pem.certificate(ca.certificate()));
            write(dataDir.resolve(ocspFile), Pem.certificate(ca.responderCertificate()));
            n.put("certificate", certFile);
            if (ca.key() != null) {
                n.set("key", handle(ca.key()));
            } else {
                n.put("sealedKey", "root/root-key.p8");
            }
            ObjectNode o = n.putObject("ocsp");
            o.put("certificate", ocspFile);
            o.set("key", handle(ca.responderKey()));
        }
        ObjectNode leaves = root.putObject("leaves");
        leaf(dataDir, leaves, "policySigning", "ca/policy-signing.crt", policySigning);
        leaf(dataDir, leaves, "auditSigning", "ca/audit-signing.crt", auditSigning);
        write(dataDir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    private static void leaf(Path dataDir, ObjectNode leaves, String key, String file, SigningLeaf leaf)
            throws IOException {
        write(dataDir.resolve(file), Pem.certificate(leaf.certificate()));
        ObjectNode n = leaves.putObject(key);
        n.put("certificate", file);
        n.put("issuer", leaf.issuer().id());
        n.set("key", handle(leaf.key()));
    }

    private static ObjectNode handle(KeyHandle h) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", h.id());
        n.put("spec", h.spec().name());
        return n;
    }

    private static void write(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(
                tmp,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Loads the trust domain of a data directory.
     *
     * @throws CaException {@code domain.missing} when there is none, {@code domain.invalid} when it cannot be read
     */
    public static TrustDomain load(Path dataDir) throws CaException {
        try {
            JsonNode root = JSON.readTree(Files.readString(dataDir.resolve(FILE)));
            if (root.path("format").asInt() != 1) {
                throw CaException.invalid("domain.invalid", "unsupported domain.json format");
            }
            Map<CaName, IssuingCa> cas = new EnumMap<>(CaName.class);
            for (CaName c : CaName.values()) {
                JsonNode n = root.path("cas").path(c.id());
                if (n.isMissingNode()) {
                    throw CaException.invalid("domain.invalid", "domain.json lacks CA " + c.id());
                }
                cas.put(
                        c,
                        new IssuingCa(
                                c,
                                cert(dataDir, n.path("certificate").asText()),
                                n.has("key") ? handle(n.path("key")) : null,
                                cert(dataDir, n.path("ocsp").path("certificate").asText()),
                                handle(n.path("ocsp").path("key"))));
            }
            JsonNode leaves = root.path("leaves");
            return new TrustDomain(
                    text(root, "trustDomain"),
                    text(root, "publicUrl"),
                    (ObjectNode) root.path("custody"),
                    KeySpec.valueOf(text(root, "rootAlgorithm")),
                    cas,
                    leaf(dataDir, leaves.path("policySigning")),
                    leaf(dataDir, leaves.path("auditSigning")));
        } catch (NoSuchFileException e) {
            throw CaException.notFound("domain.missing", "no trust domain in " + dataDir + " (run writ init)");
        } catch (IOException | RuntimeException e) {
            throw new CaException(CaException.Kind.INVALID, "domain.invalid", "cannot read " + FILE, e);
        }
    }

    private static SigningLeaf leaf(Path dataDir, JsonNode n) throws IOException {
        return new SigningLeaf(
                cert(dataDir, n.path("certificate").asText()),
                handle(n.path("key")),
                CaName.parse(n.path("issuer").asText()).orElseThrow());
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("missing " + field);
        }
        return v.asText();
    }

    private static KeyHandle handle(JsonNode n) {
        return new KeyHandle(text(n, "id"), KeySpec.valueOf(text(n, "spec")));
    }

    private static X509CertificateHolder cert(Path dataDir, String file) throws IOException {
        List<byte[]> ders = Pem.decodeCertificates(Files.readString(dataDir.resolve(file)));
        if (ders.size() != 1) {
            throw new IOException("expected one certificate in " + file);
        }
        return new X509CertificateHolder(ders.get(0));
    }
}
