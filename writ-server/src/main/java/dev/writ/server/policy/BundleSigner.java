package dev.writ.server.policy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.json.CanonicalJson;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeySpec;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;

/**
 * Signs a bundle statement: a JWS (RFC 7515, compact serialization) whose payload is the RFC 8785 canonical JSON
 * {@code {"bundle":{"description","name","version"},"hash":"sha256:<hex>","iat":<seconds>}} and whose protected header
 * is {@code {"alg":"EdDSA"|"ES256","typ":"writ-policy+jws","x5c":[signing certificate, issuers...]}}. The signature
 * comes from key custody; this class never holds a private key.
 */
public final class BundleSigner {
    static final String TYP = "writ-policy+jws";

    private BundleSigner() {}

    /**
     * Signs the statement for a compiled bundle.
     *
     * @throws PolicyException {@code policy.signature} when custody refuses to sign or the chain cannot be encoded
     */
    public static String sign(CompiledBundle bundle, PolicySigningIdentity identity, Instant at)
            throws PolicyException {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode header = f.objectNode();
        header.put("alg", identity.handle().spec() == KeySpec.ED25519 ? "EdDSA" : "ES256");
        header.put("typ", TYP);
        ArrayNode x5c = header.putArray("x5c");
        try {
            for (X509Certificate c : identity.chain()) {
                x5c.add(Base64.getEncoder().encodeToString(c.getEncoded()));
            }
        } catch (CertificateEncodingException e) {
            throw new PolicyException("policy.signature", "cannot encode the policy-signing chain", e);
        }
        ObjectNode payload = f.objectNode();
        payload.set("bundle", bundle.manifest().toJson());
        payload.put("hash", bundle.hash());
        payload.put("iat", at.getEpochSecond());
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String signingInput = b64.encodeToString(CanonicalJson.encode(header)) + "."
                + b64.encodeToString(CanonicalJson.encode(payload));
        byte[] sig;
        try {
            sig = identity.custody().sign(identity.handle(), signingInput.getBytes(StandardCharsets.US_ASCII));
        } catch (CustodyException e) {
            throw new PolicyException("policy.signature", "key custody could not sign the bundle", e);
        }
        return signingInput + "." + b64.encodeToString(sig);
    }
}
