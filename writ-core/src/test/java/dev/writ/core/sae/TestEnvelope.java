package dev.writ.core.sae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import javax.security.auth.x500.X500Principal;

/**
 * Mints envelopes for tests, independently of the production signer: a mutable header and claim set, signed with a
 * private key through the JDK. Lets tests build every malformed variant.
 */
public final class TestEnvelope {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    public final ObjectNode header = JSON.createObjectNode();
    public final ObjectNode claims = JSON.createObjectNode();

    /** A well-formed envelope for {@code agent} issued at {@code iat}, living 120 s, with {@code ocsp} stapled. */
    public static TestEnvelope standard(TestPki pki, TestPki.Issued agent, Instant iat, byte[] ocsp) {
        TestEnvelope e = new TestEnvelope();
        boolean ed = agent.publicKey().getAlgorithm().startsWith("Ed");
        e.header.put("alg", ed ? "EdDSA" : "ES256");
        e.header.put("typ", "sae+jwt");
        e.header.put("kid", Envelopes.kid(agent.der()));
        ArrayNode x5c = e.header.putArray("x5c");
        x5c.add(Base64.getEncoder().encodeToString(agent.der()));
        x5c.add(Base64.getEncoder().encodeToString(pki.intermediate.der()));
        e.header.put("ocsp", Base64.getEncoder().encodeToString(ocsp));
        e.claims.put("iss", agent.certificate().getSubjectX500Principal().getName(X500Principal.RFC2253));
        e.claims.put("sub", "https://api.bank.test/v1/transfers");
        ObjectNode act = e.claims.putObject("act");
        act.put("name", "payments.transfer");
        ObjectNode params = act.putObject("params");
        params.put("amount", 12500);
        params.put("currency", "EUR");
        params.put("counterparty", "vendor-y");
        params.put("region", "eu-west-1");
        act.put("classification", "internal");
        ObjectNode http = act.putObject("http");
        http.put("method", "POST");
        http.put("url", "https://api.bank.test/v1/transfers");
        http.put("body", dev.writ.core.action.HttpBinding.digestBody(body()));
        e.claims.put("pol", "sha256:" + "ab".repeat(32));
        ObjectNode mod = e.claims.putObject("mod");
        mod.put("digest", "sha256:" + "cd".repeat(32));
        mod.put("name", "test-model");
        mod.put("sbom", "urn:sbom:test");
        e.claims.put("iat", iat.getEpochSecond());
        e.claims.put("nbf", iat.getEpochSecond());
        e.claims.put("exp", iat.getEpochSecond() + 120);
        byte[] jti = new byte[16];
        new java.security.SecureRandom().nextBytes(jti);
        e.claims.put("jti", B64URL.encodeToString(jti));
        ObjectNode ctx = e.claims.putObject("ctx");
        ctx.put("session", "s-1");
        ctx.putArray("parent_chain");
        ctx.put("risk", 10);
        ctx.put("classification", "internal");
        return e;
    }

    /** The request body the standard envelope binds. */
    public static byte[] body() {
        return "{\"amount\":12500,\"currency\":\"EUR\",\"to\":\"vendor-y\"}".getBytes(StandardCharsets.UTF_8);
    }

    public String sign(PrivateKey key) {
        return signRaw(
                key,
                header.toString().getBytes(StandardCharsets.UTF_8),
                claims.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Signs arbitrary header and payload bytes (for malformed JSON tests). */
    public static String signRaw(PrivateKey key, byte[] headerBytes, byte[] payloadBytes) {
        String input = B64URL.encodeToString(headerBytes) + "." + B64URL.encodeToString(payloadBytes);
        return input + "." + B64URL.encodeToString(rawSign(key, input.getBytes(StandardCharsets.US_ASCII)));
    }

    static byte[] rawSign(PrivateKey key, byte[] data) {
        try {
            Signature s = key.getAlgorithm().startsWith("Ed")
                    ? Signature.getInstance("Ed25519")
                    : Signature.getInstance("SHA256withECDSAinP1363Format");
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
