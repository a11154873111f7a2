package dev.writ.server.sae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.cert.ModelInfo;
import dev.writ.core.nonce.InMemoryNonceStore;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.Envelopes;
import dev.writ.core.sae.MutableClock;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.core.sae.TestPki;
import dev.writ.core.sae.VerifiedAction;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import dev.writ.server.custody.MasterKey;
import dev.writ.server.custody.SoftwareCustody;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SaeSignerTest {
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final TestPki PKI = new TestPki(T0);
    static final ObjectMapper JSON = new ObjectMapper();
    static final byte[] BODY = "{\"amount\":12500}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;

    static SoftwareCustody custody;
    static SigningAgent edAgent;
    static SigningAgent p256Agent;

    final MutableClock clock = new MutableClock(T0);

    @BeforeAll
    static void setUp() throws Exception {
        SecureRandom random = new SecureRandom();
        custody = SoftwareCustody.create(dir.resolve("custody"), MasterKey.generate(random), random);
        edAgent = agent(KeySpec.ED25519);
        p256Agent = agent(KeySpec.EC_P256);
    }

    @AfterAll
    static void tearDown() throws Exception {
        custody.close();
    }

    static SigningAgent agent(KeySpec spec) throws CustodyException {
        KeyHandle h = custody.generate(spec, "test agent");
        TestPki.Issued cert = PKI.agent().publicKey(custody.publicKey(h)).issue();
        return new SigningAgent(h, cert.certificate(), PKI.intermediate.certificate());
    }

    static ActionRequest action() {
        ObjectNode params = JSON.createObjectNode();
        params.put("amount", 12500);
        params.put("currency", "EUR");
        params.put("counterparty", "vendor-y");
        return new ActionRequest(
                "payments.transfer",
                "https://api.bank.test/v1/transfers",
                params,
                Classification.INTERNAL,
                new HttpBinding("POST", "https://api.bank.test/v1/transfers", HttpBinding.digestBody(BODY)));
    }

    static EnvelopeRequest request(SigningAgent agent, List<String> parents) {
        return new EnvelopeRequest(
                action(),
                "sha256:" + "ab".repeat(32),
                Optional.of(new ModelInfo(new byte[32], "test-model", "1.0", Optional.of("urn:sbom:1"))),
                "session-7",
                parents,
                12,
                Classification.CONFIDENTIAL,
                Optional.empty(),
                Duration.ofSeconds(120),
                PKI.ocspGood(PKI.agent().issue(), T0)); // replaced below for verification
    }

    SignedEnvelope sign(SigningAgent agent) throws Exception {
        return sign(agent, List.of());
    }

    SignedEnvelope sign(SigningAgent agent, List<String> parents) throws Exception {
        EnvelopeRequest r = request(agent, parents);
        EnvelopeRequest withStaple = new EnvelopeRequest(
                r.action(),
                r.policyHash(),
                r.model(),
                r.session(),
                r.parentChain(),
                r.risk(),
                r.contextClassification(),
                r.approval(),
                r.lifetime(),
                PKI.ocspGood(new TestPki.Issued(agent.certificate(), null), T0));
        return new SaeSigner(custody, clock, new SecureRandom()).sign(agent, withStaple);
    }

    SaeVerifier verifier() {
        return SaeVerifier.builder()
                .trustAnchors(List.of(PKI.root.certificate()))
                .clock(clock)
                .revocationSource(new InMemoryRevocationSource())
                .nonceStore(new InMemoryNonceStore(clock))
                .build();
    }

    static JsonNode part(String compact, int i) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(compact.split("\\.")[i]));
    }

    @ParameterizedTest
    @EnumSource(KeySpec.class)
    void envelopeHasExactlyThePinnedShapeAndVerifies(KeySpec spec) throws Exception {
        SigningAgent agent = spec == KeySpec.ED25519 ? edAgent : p256Agent;
        SignedEnvelope env = sign(agent);
        JsonNode h = part(env.compact(), 0);
        assertThat(h.fieldNames()).toIterable().containsExactly("alg", "typ", "kid", "x5c", "ocsp");
        assertThat(h.get("alg").textValue()).isEqualTo(spec == KeySpec.ED25519 ? "EdDSA" : "ES256");
        assertThat(h.get("typ").textValue()).isEqualTo("sae+jwt");
        assertThat(h.get("kid").textValue())
                .isEqualTo(Envelopes.kid(agent.certificate().getEncoded()));
        assertThat(Base64.getDecoder().decode(h.get("x5c").get(0).textValue()))
                .isEqualTo(agent.certificate().getEncoded());
        assertThat(Base64.getDecoder().decode(h.get("x5c").get(1).textValue()))
                .isEqualTo(agent.issuer().getEncoded());
        JsonNode c = part(env.compact(), 1);
        assertThat(c.fieldNames())
                .toIterable()
                .containsExactly("iss", "sub", "act", "pol", "mod", "iat", "nbf", "exp", "jti", "ctx");
        assertThat(c.get("act").get("params").get("amount").isIntegralNumber()).isTrue();
        assertThat(c.get("act").get("http").get("body").textValue()).isEqualTo(HttpBinding.digestBody(BODY));
        assertThat(c.get("exp").longValue() - c.get("iat").longValue()).isEqualTo(120);
        assertThat(Base64.getUrlDecoder().decode(c.get("jti").textValue())).hasSize(16);
        assertThat(c.get("mod").get("digest").textValue()).isEqualTo("sha256:" + "00".repeat(32));
        assertThat(c.get("ctx").get("session").textValue()).isEqualTo("session-7");
        assertThat(c.get("ctx").get("risk").intValue()).isEqualTo(12);
        assertThat(c.get("ctx").get("classification").textValue()).isEqualTo("confidential");
        assertThat(env.hash()).isEqualTo(Envelopes.hash(env.compact()));
        assertThat(env.jti()).isEqualTo(c.get("jti").textValue());

        clock.advance(Duration.ofSeconds(2));
        VerifiedAction v = verifier()
                .verify(
                        env.compact(),
                        new HttpBinding("POST", "https://api.bank.test/v1/transfers", HttpBinding.digestBody(BODY)));
        assertThat(v.jti()).isEqualTo(env.jti());
        assertThat(v.agentCertificate()).isEqualTo(agent.certificate());
    }

    @Test
    void parentChainCarriesTheHashesOfParentEnvelopes() throws Exception {
        SignedEnvelope parent = sign(edAgent);
        String expected = "sha256:"
                + HexFormat.of()
                        .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                .digest(parent.compact().getBytes(StandardCharsets.US_ASCII)));
        assertThat(parent.hash()).isEqualTo(expected);
        SignedEnvelope child = sign(edAgent, List.of(parent.hash()));
        assertThat(part(child.compact(), 1)
                        .get("ctx")
                        .get("parent_chain")
                        .get(0)
                        .textValue())
                .isEqualTo(expected);
    }

    @Test
    void floatingPointAmountsAreRefused() {
        ObjectNode params = JSON.createObjectNode();
        params.put("amount", 125.5);
        ActionRequest a = new ActionRequest("payments.transfer", "t", params, Classification.PUBLIC, null);
        EnvelopeRequest r = EnvelopeRequest.of(a, "sha256:" + "ab".repeat(32), "s", new byte[] {1});
        assertThatThrownBy(() -> new SaeSigner(custody, clock, new SecureRandom()).sign(edAgent, r))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCertificateForAnotherKeyIsRefused() {
        SigningAgent wrong = new SigningAgent(edAgent.key(), p256Agent.certificate(), edAgent.issuer());
        assertThatThrownBy(() -> sign(wrong)).isInstanceOf(CustodyException.class);
    }

    @Test
    void lifetimeIsBounded() {
        EnvelopeRequest r = request(edAgent, List.of());
        assertThatThrownBy(() -> new EnvelopeRequest(
                        r.action(),
                        r.policyHash(),
                        r.model(),
                        r.session(),
                        r.parentChain(),
                        r.risk(),
                        r.contextClassification(),
                        r.approval(),
                        Duration.ofSeconds(301),
                        r.ocspResponse()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---- independent JOSE implementations ----

    @ParameterizedTest
    @EnumSource(KeySpec.class)
    void pythonJwcryptoVerifiesEnvelopes(KeySpec spec) throws Exception {
        String python = Tools.require("/usr/bin/python3");
        Path script = Path.of(getClass().getResource("verify_jwcrypto.py").toURI());
        SigningAgent agent = spec == KeySpec.ED25519 ? edAgent : p256Agent;
        SignedEnvelope env = sign(agent);
        String key = publicKeyPem(agent.certificate());
        Tools.Result ok = Tools.run(List.of(python, script.toString(), key), env.compact());
        assertThat(ok.out()).startsWith("OK " + (spec == KeySpec.ED25519 ? "EdDSA" : "ES256"));
        assertThat(ok.exit()).isZero();
        assertThat(ok.out()).contains(env.jti());
        Tools.Result bad = Tools.run(List.of(python, script.toString(), key), tamper(env.compact()));
        assertThat(bad.exit()).as(bad.out()).isNotZero();
    }

    @ParameterizedTest
    @EnumSource(KeySpec.class)
    void javascriptJoseVerifiesEnvelopes(KeySpec spec) throws Exception {
        String node = Tools.require("node");
        Path jose = Path.of("/usr/share/nodejs/jose");
        if (!jose.toFile().isDirectory()) {
            Tools.run(
                    List.of(Tools.repoRoot()
                            .resolve("scripts/install-test-tools")
                            .toString()),
                    "");
        }
        Path script = Path.of(getClass().getResource("verify_jose.js").toURI());
        SignedEnvelope env = sign(spec == KeySpec.ED25519 ? edAgent : p256Agent);
        Tools.Result ok = Tools.run(List.of(node, script.toString(), jose.toString()), env.compact());
        assertThat(ok.out()).startsWith("OK " + (spec == KeySpec.ED25519 ? "EdDSA" : "ES256"));
        assertThat(ok.exit()).isZero();
        assertThat(ok.out()).contains(env.jti());
        Tools.Result bad = Tools.run(List.of(node, script.toString(), jose.toString()), tamper(env.compact()));
        assertThat(bad.exit()).as(bad.out()).isNotZero();
    }

    /** Writes the certificate's public key as a PEM file and returns its path. */
    static String publicKeyPem(java.security.cert.X509Certificate cert) throws Exception {
        Path f = java.nio.file.Files.createTempFile(dir, "key", ".pem");
        java.nio.file.Files.writeString(
                f,
                "-----BEGIN PUBLIC KEY-----\n"
                        + Base64.getMimeEncoder(64, "\n".getBytes())
                                .encodeToString(cert.getPublicKey().getEncoded())
                        + "\n-----END PUBLIC KEY-----\n");
        return f.toString();
    }

    /** Changes the amount in the payload, keeping the signature. */
    static String tamper(String compact) throws Exception {
        String[] p = compact.split("\\.");
        ObjectNode c = (ObjectNode) part(compact, 1);
        ((ObjectNode) c.get("act").get("params")).put("amount", 99999);
        return p[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(c)) + "."
                + p[2];
    }

    // ---- denial records ----

    @Test
    void denialRecordsAreSignedWithTheDecisionKey() throws Exception {
        KeyHandle decisionKey = custody.generate(KeySpec.ED25519, "decision");
        TestPki.Issued decisionCert =
                PKI.agent().publicKey(custody.publicKey(decisionKey)).issue();
        DenialSigner signer = new DenialSigner(
                custody,
                decisionKey,
                List.of(decisionCert.certificate(), PKI.intermediate.certificate()),
                clock,
                new SecureRandom());
        SignedEnvelope d = signer.sign(
                edAgent.certificate(),
                "spiffe://writ.test/tenant/acme/agent/a-1",
                action(),
                "sha256:" + "ab".repeat(32),
                List.of("scope.amount", "policy.p7"),
                "session-7");
        JsonNode h = part(d.compact(), 0);
        assertThat(h.get("typ").textValue()).isEqualTo("sae-denial+jwt");
        assertThat(h.get("kid").textValue()).isEqualTo(Envelopes.kid(decisionCert.der()));
        JsonNode c = part(d.compact(), 1);
        assertThat(c.get("agent").get("kid").textValue())
                .isEqualTo(Envelopes.kid(edAgent.certificate().getEncoded()));
        assertThat(c.get("agent").get("id").textValue()).isEqualTo("spiffe://writ.test/tenant/acme/agent/a-1");
        assertThat(c.get("act").get("name").textValue()).isEqualTo("payments.transfer");
        assertThat(c.get("pol").textValue()).isEqualTo("sha256:" + "ab".repeat(32));
        assertThat(c.get("reasons")).hasSize(2);
        String[] p = d.compact().split("\\.");
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(decisionCert.certificate().getPublicKey());
        s.update((p[0] + "." + p[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(s.verify(Base64.getUrlDecoder().decode(p[2]))).isTrue();
        // A denial is never an envelope.
        assertThatThrownBy(() -> verifier().verify(d.compact()))
                .isInstanceOf(dev.writ.core.sae.SaeVerificationException.class)
                .extracting(e -> ((dev.writ.core.sae.SaeVerificationException) e).reason())
                .isEqualTo("sae.typ");
        Tools.Result py = Tools.run(
                List.of(
                        "/usr/bin/python3",
                        Path.of(getClass().getResource("verify_jwcrypto.py").toURI())
                                .toString(),
                        publicKeyPem(decisionCert.certificate())),
                d.compact());
        assertThat(py.exit()).as(py.out()).isZero();
    }
}
