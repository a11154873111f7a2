package dev.writ.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.cert.AgentExtensions;
import dev.writ.core.cert.SpiffeId;
import dev.writ.core.sae.Envelopes;
import dev.writ.core.scope.Scope;
import dev.writ.server.api.TrustRuntime;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.DomainCeremony;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.policy.BundleFiles;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyDatabase;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicySigningIdentity;
import dev.writ.server.store.SqliteStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/** What the scenarios set up before a run: a fresh trust domain with the procurement policy, agents, envelopes. */
final class Fixtures {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A purchase order the procurement policy allows (below the human-approval threshold, a listed supplier). */
    static final byte[] ORDER = "{\"amount\":50000,\"currency\":\"EUR\",\"vendor\":{\"id\":\"acme-supplies\"}}"
            .getBytes(StandardCharsets.UTF_8);

    /** The authorize request for {@link #ORDER}. */
    static final byte[] AUTHORIZE = ("{\"action\":{\"name\":\"erp.purchase_order.create\","
                    + "\"params\":{\"amount\":50000,\"currency\":\"EUR\",\"counterparty\":\"acme-supplies\"},"
                    + "\"classification\":\"internal\"},\"target\":\"https://erp.example\"}")
            .getBytes(StandardCharsets.UTF_8);

    static final String ROUTES =
            """
            routes:
              - method: POST
                path: /orders
                action: erp.purchase_order.create
                target: https://erp.example
                classification: internal
                params:
                  amount: /amount
                  currency: /currency
                  counterparty: /vendor/id
            """;

    static final String AGENT_SCOPE = "{\"actions\":[\"erp.*\"],\"limits\":{\"EUR\":100000000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"confidential\","
            + "\"delegation\":0}";

    private Fixtures() {}

    /**
     * Creates a trust domain in {@code dir} and activates the procurement policy bundle shipped with the server.
     *
     * @return the bootstrap admin token
     */
    static String initDomain(Path dir) throws Exception {
        SecureRandom random = new SecureRandom();
        var custody = CustodyConfig.software();
        String bootstrap;
        try (KeyCustody keys = CustodyConfig.create(dir, custody, Map.of(), random);
                SqliteStore store = SqliteStore.open(dir.resolve("writ.db"))) {
            bootstrap = DomainCeremony.init(
                            dir,
                            "writ.local",
                            "http://127.0.0.1:7070",
                            keys,
                            custody,
                            store,
                            "bench passphrase, not a secret".toCharArray(),
                            "acme",
                            InstantSource.system(),
                            random)
                    .bootstrapToken();
        }
        try (TrustRuntime rt =
                TrustRuntime.open(dir, TrustRuntime.Options.defaults().withEnv(Map.of()))) {
            TrustDomain domain = rt.domain();
            X509Certificate policyCa =
                    Pem.x509(domain.ca(CaName.POLICY).certificate().getEncoded());
            X509Certificate signing =
                    Pem.x509(domain.policySigning().certificate().getEncoded());
            PolicyService service = new PolicyService(
                    new JdbcPolicyStore(PolicyDatabase.openSqlite(dir)),
                    new BundleVerifier(policyCa, InstantSource.system()),
                    PolicySigningIdentity.of(
                            rt.custody(), domain.policySigning().key(), List.of(signing, policyCa)),
                    (type, body) -> {},
                    InstantSource.system());
            Map<String, byte[]> files = new HashMap<>();
            for (String f : List.of(
                    "manifest.json",
                    "schema.cedarschema",
                    "procurement.cedar",
                    "guardrails.cedar",
                    "tests/procurement.json")) {
                try (InputStream in = Fixtures.class.getResourceAsStream("/bundles/procurement/" + f)) {
                    files.put(f, in.readAllBytes());
                }
            }
            service.activate(service.push(BundleFiles.of(files)).version());
        }
        return bootstrap;
    }

    /** Registers a procurement agent on a running server; returns its credential. */
    static String registerAgent(String base, String adminToken, String name) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/v1/agents"))
                        .header("Authorization", "Bearer " + adminToken)
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"tenant\":\"acme\",\"name\":\"" + name + "\",\"scope\":" + AGENT_SCOPE + "}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("agent registration failed: HTTP " + r.statusCode() + " " + r.body());
        }
        JsonNode b = JSON.readTree(r.body());
        return b.path("credential").asText();
    }

    /**
     * A throwaway PKI for enforce mode (root, agents intermediate, delegated OCSP responder, one agent whose key the
     * generator holds), valid around now, so a real {@code writ gateway} with the system clock accepts its envelopes.
     * Signs with Bouncy Castle's Ed25519, so minting envelopes ahead of a run is quick.
     */
    static final class Pki {
        private static final Provider BC = new BouncyCastleProvider();
        private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
        final Instant t0 = Instant.now();
        final X509Certificate root;
        final X509Certificate intermediate;
        final X509Certificate agent;
        final PrivateKey agentKey;
        final byte[] ocsp;
        final SecureRandom random = new SecureRandom();
        private final String headerB64;
        private final String iss;

        Pki() throws Exception {
            KeyPair rk = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
            KeyPair ik = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
            KeyPair ok = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
            KeyPair ak = KeyPairGenerator.getInstance("Ed25519", BC).generateKeyPair();
            X500Name rootName = new X500Name("CN=Load Root");
            X500Name intName = new X500Name("CN=Load Agents CA");
            root = cert(
                    rootName,
                    rootName,
                    rk.getPublic(),
                    rk.getPrivate(),
                    List.of(
                            new Extension(Extension.basicConstraints, true, new BasicConstraints(true).getEncoded()),
                            new Extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign).getEncoded())));
            intermediate = cert(
                    intName,
                    rootName,
                    ik.getPublic(),
                    rk.getPrivate(),
                    List.of(
                            new Extension(Extension.basicConstraints, true, new BasicConstraints(0).getEncoded()),
                            new Extension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign).getEncoded())));
            X509Certificate responder = cert(
                    new X500Name("CN=Load OCSP"),
                    intName,
                    ok.getPublic(),
                    ik.getPrivate(),
                    List.of(new Extension(
                            Extension.extendedKeyUsage,
                            false,
                            new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning).getEncoded())));
            Scope scope = Scope.parseJson("{\"actions\":[\"payments.*\"],\"limits\":{\"EUR\":100000000},"
                    + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"restricted\","
                    + "\"delegation\":0}");
            agent = cert(
                    AgentExtensions.subject("load-bot", "acme"),
                    intName,
                    ak.getPublic(),
                    ik.getPrivate(),
                    AgentExtensions.forAgent(
                            SpiffeId.parse("spiffe://load.test/tenant/acme/agent/l-1"), scope, Optional.empty()));
            agentKey = ak.getPrivate();
            CertificateID id = new CertificateID(
                    new JcaDigestCalculatorProviderBuilder()
                            .setProvider(BC)
                            .build()
                            .get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(intermediate),
                    agent.getSerialNumber());
            BasicOCSPRespBuilder b =
                    new BasicOCSPRespBuilder(new RespID(new JcaX509CertificateHolder(responder).getSubject()));
            b.addResponse(
                    id,
                    CertificateStatus.GOOD,
                    Date.from(t0.minusSeconds(60)),
                    Date.from(t0.plus(Duration.ofHours(1))));
            ocsp = new OCSPRespBuilder()
                    .build(
                            OCSPRespBuilder.SUCCESSFUL,
                            b.build(
                                    new JcaContentSignerBuilder("Ed25519")
                                            .setProvider(BC)
                                            .build(ok.getPrivate()),
                                    new X509CertificateHolder[] {new JcaX509CertificateHolder(responder)},
                                    Date.from(t0.minusSeconds(60))))
                    .getEncoded();
            ObjectNode header = JSON.createObjectNode();
            header.put("alg", "EdDSA");
            header.put("typ", "sae+jwt");
            header.put("kid", Envelopes.kid(agent.getEncoded()));
            header.putArray("x5c")
                    .add(Base64.getEncoder().encodeToString(agent.getEncoded()))
                    .add(Base64.getEncoder().encodeToString(intermediate.getEncoded()));
            header.put("ocsp", Base64.getEncoder().encodeToString(ocsp));
            headerB64 = B64URL.encodeToString(header.toString().getBytes(StandardCharsets.UTF_8));
            iss = agent.getSubjectX500Principal().getName(X500Principal.RFC2253);
        }

        String rootPem() throws Exception {
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(root.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        }

        /** {@code n} envelopes for {@code POST url} with {@code body}, issued now, each with its own {@code jti}. */
        String[] envelopes(int n, String url, byte[] body) throws Exception {
            String[] out = new String[n];
            long iat = Instant.now().getEpochSecond();
            String digest = HttpBinding.digestBody(body);
            Signature s = Signature.getInstance("Ed25519", BC);
            byte[] jti = new byte[16];
            for (int i = 0; i < n; i++) {
                ObjectNode claims = JSON.createObjectNode();
                claims.put("iss", iss);
                claims.put("sub", url);
                ObjectNode act = claims.putObject("act");
                act.put("name", "payments.transfer");
                ObjectNode params = act.putObject("params");
                params.put("amount", 12500);
                params.put("currency", "EUR");
                params.put("counterparty", "vendor-y");
                act.put("classification", "internal");
                ObjectNode http = act.putObject("http");
                http.put("method", "POST");
                http.put("url", url);
                http.put("body", digest);
                claims.put("pol", "sha256:" + "ab".repeat(32));
                claims.put("iat", iat);
                claims.put("nbf", iat);
                claims.put("exp", iat + 300);
                random.nextBytes(jti);
                claims.put("jti", B64URL.encodeToString(jti));
                String input = headerB64 + "." + B64URL.encodeToString(JSON.writeValueAsBytes(claims));
                s.initSign(agentKey);
                s.update(input.getBytes(StandardCharsets.US_ASCII));
                out[i] = input + "." + B64URL.encodeToString(s.sign());
            }
            return out;
        }

        private X509Certificate cert(
                X500Name subject, X500Name issuer, PublicKey key, PrivateKey signer, List<Extension> exts)
                throws Exception {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    issuer,
                    new BigInteger(128, new SecureRandom()).setBit(127),
                    Date.from(t0.minus(Duration.ofHours(1))),
                    Date.from(t0.plus(Duration.ofHours(24))),
                    subject,
                    key);
            for (Extension e : exts) {
                b.addExtension(e);
            }
            byte[] der = b.build(new JcaContentSignerBuilder("Ed25519")
                            .setProvider(BC)
                            .build(signer))
                    .getEncoded();
            return (X509Certificate)
                    CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        }
    }

    static Path write(Path file, String content) throws Exception {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }
}
