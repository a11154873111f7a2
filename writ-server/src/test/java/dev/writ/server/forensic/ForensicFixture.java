package dev.writ.server.forensic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.sae.Envelopes;
import dev.writ.server.api.TestDomain;
import dev.writ.server.authz.AuthzRuntime;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.DomainCeremony;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.Tokens;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.cli.ServerWiring;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.policy.BundleFiles;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyDatabase;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicySigningIdentity;
import dev.writ.server.store.SqliteStore;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A trust domain served as {@code writ serve} serves it (trust API, authorize path, policies, forensics), with the
 * procurement policy active, an agent, an auditor token, and a small chain of custody: SAE1 (budget lookup), SAE2 (a
 * purchase order whose parent is SAE1) and a denial in the same session.
 */
final class ForensicFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SCOPE = "{\"actions\":[\"erp.*\",\"budget.lookup\"],\"limits\":{\"EUR\":100000000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"confidential\","
            + "\"delegation\":2}";

    final TestDomain d;
    final ServerWiring wiring;
    final String auditor;
    final String agentId;
    final String credential;
    final String sae1;
    final String sae2;
    final String denial;
    private final HttpClient http = HttpClient.newHttpClient();

    ForensicFixture(Path dir) throws Exception {
        d = TestDomain.start(dir);
        try {
            activateProcurement(d);
            wiring = ServerWiring.open(d.runtime, AuthzRuntime.Options.defaults());
            wiring.mountOn(d.server);
            auditor = operatorToken("auditor");
            TestDomain.Resp a = d.call(
                    "POST",
                    "/api/v1/agents",
                    d.adminToken,
                    "{\"tenant\":\"acme\",\"name\":\"buyer\",\"scope\":" + SCOPE + "}");
            agentId = a.body().path("agent_id").asText();
            credential = a.body().path("credential").asText();
            sae1 = allow(budget("s-1", List.of()));
            sae2 = allow(purchaseOrder(500_000, "globex", "s-1", List.of(Envelopes.hash(sae1))));
            TestDomain.Resp denied = authorize(purchaseOrder(500_000, "northwind-offshore", "s-1", List.of()));
            if (denied.status() != 403) {
                throw new IllegalStateException("expected a denial: " + denied.body());
            }
            denial = denied.body().path("denial").asText();
        } catch (Exception e) {
            d.close();
            throw e;
        }
    }

    static void activateProcurement(TestDomain d) throws Exception {
        TrustDomain domain = d.runtime.domain();
        X509Certificate policyCa =
                Pem.x509(domain.ca(CaName.POLICY).certificate().getEncoded());
        X509Certificate signing = Pem.x509(domain.policySigning().certificate().getEncoded());
        PolicyService service = new PolicyService(
                new JdbcPolicyStore(PolicyDatabase.openSqlite(d.dir)),
                new BundleVerifier(policyCa, InstantSource.system()),
                PolicySigningIdentity.of(
                        d.runtime.custody(), domain.policySigning().key(), List.of(signing, policyCa)),
                (type, body) -> {},
                InstantSource.system());
        Map<String, byte[]> files = new HashMap<>();
        for (String f : List.of(
                "manifest.json",
                "schema.cedarschema",
                "procurement.cedar",
                "guardrails.cedar",
                "tests/procurement.json")) {
            try (InputStream in = ForensicFixture.class.getResourceAsStream("/bundles/procurement/" + f)) {
                files.put(f, in.readAllBytes());
            }
        }
        service.activate(service.push(BundleFiles.of(files)).version());
    }

    /** A domain with another name, whose trust bundle must refuse this domain's evidence. */
    static Path otherDomain(Path dir, String name) throws Exception {
        Files.createDirectories(dir);
        ObjectNode custody = CustodyConfig.software();
        SecureRandom random = new SecureRandom();
        try (KeyCustody keys = CustodyConfig.create(dir, custody, Map.of(), random);
                SqliteStore store = SqliteStore.open(dir.resolve("writ.db"))) {
            DomainCeremony.init(
                    dir,
                    name,
                    "http://127.0.0.1:7071",
                    keys,
                    custody,
                    store,
                    TestDomain.PASSPHRASE.toCharArray(),
                    "acme",
                    InstantSource.system(),
                    random);
        }
        Path pem = dir.resolve("trust-bundle.pem");
        Files.writeString(pem, TrustDomain.load(dir).trustBundlePem());
        return pem;
    }

    String operatorToken(String role) throws Exception {
        String token = Tokens.newOperatorToken(new SecureRandom());
        d.runtime.store().inTransaction(tx -> {
            tx.operatorTokens()
                    .insert(Tokens.newId(new SecureRandom()), Tokens.hash(token), role, role + "-test", Instant.now());
            return null;
        });
        return token;
    }

    static String budget(String session, List<String> parents) {
        return "{\"action\":{\"name\":\"budget.lookup\",\"params\":{\"amount\":500000,\"currency\":\"EUR\"},"
                + "\"classification\":\"internal\"},\"target\":\"finance\",\"context\":{\"session\":\"" + session
                + "\",\"parent_chain\":" + array(parents) + ",\"risk\":0}}";
    }

    static String purchaseOrder(long amount, String counterparty, String session, List<String> parents) {
        return "{\"action\":{\"name\":\"erp.purchase_order.create\",\"params\":{\"amount\":" + amount
                + ",\"currency\":\"EUR\",\"counterparty\":\"" + counterparty + "\"},\"classification\":\"internal\","
                + "\"http\":{\"method\":\"POST\",\"url\":\"https://erp.example/orders\",\"body\":\"sha256:"
                + "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\"}},\"target\":\"https://erp.example\","
                + "\"context\":{\"session\":\"" + session + "\",\"parent_chain\":" + array(parents)
                + ",\"risk\":0}}";
    }

    private static String array(List<String> items) {
        return JSON.valueToTree(items).toString();
    }

    TestDomain.Resp authorize(String body) throws Exception {
        return d.call("POST", "/v1/authorize", credential, body);
    }

    String allow(String body) throws Exception {
        TestDomain.Resp r = authorize(body);
        if (r.status() != 200) {
            throw new IllegalStateException("expected an allow: " + r.body());
        }
        return r.body().path("sae").asText();
    }

    /** GET with a bearer, as bytes. */
    HttpResponse<byte[]> get(String path, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.base + path));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    byte[] bundle(String jti) throws Exception {
        HttpResponse<byte[]> r = get("/api/v1/forensics/" + jti + "/bundle", auditor);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("bundle: HTTP " + r.statusCode() + " " + new String(r.body()));
        }
        return r.body();
    }

    X509Certificate root() throws Exception {
        return Pem.x509(d.runtime.domain().root().getEncoded());
    }

    Path trustBundle(Path dir) throws Exception {
        Path pem = dir.resolve("trust-bundle-" + System.nanoTime() + ".pem");
        Files.write(pem, d.getBytes("/trust-bundle.pem"));
        return pem;
    }

    static String jti(String compact) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(compact.split("\\.")[1]))
                .path("jti")
                .asText();
    }

    static JsonNode header(String compact) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(compact.split("\\.")[0]));
    }

    static JsonNode claims(String compact) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(compact.split("\\.")[1]));
    }

    @Override
    public void close() throws Exception {
        try {
            d.server.stop();
            wiring.close();
        } finally {
            d.runtime.close();
        }
    }
}
