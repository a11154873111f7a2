package dev.writ.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Verifies bundle statements (see {@link BundleSigner}) against the policy-signing CA certificate.
 *
 * <p>Order: strict JWS parse (size cap, three parts, known header fields only, {@code typ}), certificate chain to the
 * policy CA at the current time (PKIX, no revocation here: the policy CA's CRL is the trust domain's concern), the
 * signing certificate's key usage, the algorithm against the key type, the signature, then the statement's hash against
 * the recomputed content hash and the schema validation of the content. Any failure throws; nothing returns a
 * boolean.
 */
public final class BundleVerifier {
    private static final int MAX_STATEMENT = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> HEADER_FIELDS = Set.of("alg", "typ", "x5c");
    private static final Set<String> PAYLOAD_FIELDS = Set.of("bundle", "hash", "iat");

    private final X509Certificate policyCa;
    private final InstantSource clock;

    /**
     * @param policyCa the policy-signing CA certificate: the only trust anchor for bundles
     * @param clock the time at which certificates must be valid
     */
    public BundleVerifier(X509Certificate policyCa, InstantSource clock) {
        this.policyCa = Objects.requireNonNull(policyCa, "policyCa");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Verifies a statement over a bundle and compiles the bundle.
     *
     * @throws PolicyException {@code policy.signature} (malformed statement, untrusted chain, wrong key usage, bad
     *     signature), {@code policy.hash_mismatch} (the content is not what was signed), or a compile error
     *     ({@code policy.syntax}, {@code policy.schema}, {@code policy.invalid_bundle})
     */
    public VerifiedBundle verify(BundleFiles files, String statement) throws PolicyException {
        Statement s = verifyStatement(statement);
        // The signature covers a hash; the content must be exactly what that hash names.
        if (!s.hash().equals(files.hash())) {
            throw new PolicyException(
                    "policy.hash_mismatch",
                    "the bundle content (" + files.hash() + ") is not what was signed (" + s.hash() + ")");
        }
        CompiledBundle compiled = CompiledBundle.compile(files);
        if (!compiled.manifest().toJson().equals(s.manifest())) {
            throw new PolicyException("policy.signature", "the signed manifest differs from the bundle's manifest");
        }
        return new VerifiedBundle(compiled, statement, s.signer(), s.signedAt());
    }

    record Statement(String hash, JsonNode manifest, X509Certificate signer, Instant signedAt) {}

    Statement verifyStatement(String statement) throws PolicyException {
        if (statement == null || statement.length() > MAX_STATEMENT) {
            throw sig("the bundle statement is missing or too large");
        }
        String[] parts = statement.split("\\.", -1);
        if (parts.length != 3) {
            throw sig("the bundle statement is not a compact JWS");
        }
        JsonNode header = json(parts[0], "header");
        JsonNode payload = json(parts[1], "payload");
        byte[] signature = b64(parts[2], "signature");
        onlyFields(header, HEADER_FIELDS, "header");
        onlyFields(payload, PAYLOAD_FIELDS, "payload");
        if (!BundleSigner.TYP.equals(header.path("typ").asText(null))) {
            throw sig("the statement type is not " + BundleSigner.TYP);
        }
        List<X509Certificate> chain = certificates(header.get("x5c"));
        X509Certificate leaf = chain.get(0);
        validateChain(chain);
        // The signing certificate must be meant for signatures (keyUsage digitalSignature), not a CA.
        boolean[] ku = leaf.getKeyUsage();
        if (ku == null || !ku[0] || leaf.getBasicConstraints() >= 0) {
            throw sig("the signing certificate is not a signature (end-entity) certificate");
        }
        String alg = header.path("alg").asText("");
        byte[] input = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        checkSignature(alg, leaf.getPublicKey(), input, signature);
        JsonNode hash = payload.get("hash");
        JsonNode manifest = payload.get("bundle");
        JsonNode iat = payload.get("iat");
        if (hash == null
                || !hash.isTextual()
                || !hash.textValue().matches("sha256:[0-9a-f]{64}")
                || manifest == null
                || !manifest.isObject()
                || iat == null
                || !iat.canConvertToLong()) {
            throw sig("the statement payload is malformed");
        }
        return new Statement(hash.textValue(), manifest, leaf, Instant.ofEpochSecond(iat.longValue()));
    }

    private void validateChain(List<X509Certificate> chain) throws PolicyException {
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate c : chain) {
            // The anchor itself is not part of the path; carrying it in x5c is allowed.
            if (!c.equals(policyCa)) {
                path.add(c);
            }
        }
        if (path.isEmpty()) {
            throw sig("the statement is signed by the CA certificate itself, not a policy-signing certificate");
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            CertPath cp = cf.generateCertPath(path);
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(policyCa, null)));
            params.setRevocationEnabled(false);
            params.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(cp, params);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new PolicyException(
                    "policy.signature", "the signing certificate does not chain to the policy-signing CA", e);
        }
    }

    private static void checkSignature(String alg, PublicKey key, byte[] input, byte[] signature)
            throws PolicyException {
        boolean ok;
        try {
            switch (alg) {
                case "EdDSA" -> {
                    // Algorithm must match the key type: no algorithm confusion.
                    if (!key.getAlgorithm().equals("EdDSA")
                            && !key.getAlgorithm().equals("Ed25519")) {
                        throw sig("alg EdDSA does not match the signing key");
                    }
                    byte[] raw = SubjectPublicKeyInfo.getInstance(key.getEncoded())
                            .getPublicKeyData()
                            .getOctets();
                    Ed25519Signer v = new Ed25519Signer();
                    v.init(false, new Ed25519PublicKeyParameters(raw, 0));
                    v.update(input, 0, input.length);
                    ok = signature.length == 64 && v.verifySignature(signature);
                }
                case "ES256" -> {
                    if (!(key instanceof ECPublicKey)) {
                        throw sig("alg ES256 does not match the signing key");
                    }
                    Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
                    v.initVerify(key);
                    v.update(input);
                    ok = signature.length == 64 && v.verify(signature);
                }
                default -> throw sig("unsupported statement algorithm");
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            // A provider exception during verification counts as an invalid signature, never as a pass.
            ok = false;
        }
        if (!ok) {
            throw sig("the bundle statement signature is invalid");
        }
    }

    private static List<X509Certificate> certificates(JsonNode x5c) throws PolicyException {
        if (x5c == null || !x5c.isArray() || x5c.isEmpty() || x5c.size() > 5) {
            throw sig("the statement carries no certificate chain");
        }
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (JsonNode n : x5c) {
                if (!n.isTextual()) {
                    throw sig("x5c entries must be strings");
                }
                byte[] der = Base64.getDecoder().decode(n.textValue());
                out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new PolicyException("policy.signature", "the statement's certificate chain does not parse", e);
        }
        return out;
    }

    private static void onlyFields(JsonNode node, Set<String> allowed, String what) throws PolicyException {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            // Unknown fields (including crit) are refused rather than ignored.
            if (!allowed.contains(f)) {
                throw sig("the statement " + what + " has an unknown field: " + f);
            }
        }
    }

    private static JsonNode json(String part, String what) throws PolicyException {
        try {
            JsonNode n = JSON.readTree(b64(part, what));
            if (n == null || !n.isObject()) {
                throw sig("the statement " + what + " is not a JSON object");
            }
            return n;
        } catch (java.io.IOException e) {
            throw sig("the statement " + what + " is not JSON");
        }
    }

    private static byte[] b64(String part, String what) throws PolicyException {
        try {
            if (part.contains("=")) {
                throw new IllegalArgumentException("padding");
            }
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw sig("the statement " + what + " is not base64url");
        }
    }

    private static PolicyException sig(String message) {
        return new PolicyException("policy.signature", message);
    }
}
