package dev.writ.core.evidence;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.cert.WritOids;
import dev.writ.core.sae.Envelopes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.util.PublicKeyFactory;

/**
 * A compact JWS signed by a trust-domain certificate (denial records, approval records, policy statements): strict
 * parsing, the {@code x5c} chain validated to the anchors at a given time, and the signature checked with the leaf's
 * key. Failures carry {@code <prefix>.*} codes.
 */
final class SignedJws {
    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    // Two values for one name would make the record ambiguous between implementations.
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final int MAX_SIZE = 64 * 1024;

    final String compact;
    final ObjectNode header;
    final ObjectNode claims;
    final List<X509Certificate> chain;

    private SignedJws(String compact, ObjectNode header, ObjectNode claims, List<X509Certificate> chain) {
        this.compact = compact;
        this.header = header;
        this.claims = claims;
        this.chain = chain;
    }

    X509Certificate signer() {
        return chain.get(0);
    }

    /**
     * Parses {@code compact}, checks {@code typ}, validates {@code x5c} to {@code anchors} at {@code at} (or, when
     * {@code at} is null, at the record's {@code iat}) and verifies the signature.
     */
    static SignedJws verify(String compact, String typ, Set<TrustAnchor> anchors, Instant at, String prefix)
            throws EvidenceException {
        if (compact == null || compact.length() > MAX_SIZE) {
            throw new EvidenceException(prefix + ".malformed", "the record is missing or too large");
        }
        String[] parts = compact.split("\\.", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            throw new EvidenceException(prefix + ".malformed", "the record is not a compact JWS");
        }
        ObjectNode header = object(b64url(parts[0], prefix), prefix);
        ObjectNode claims = object(b64url(parts[1], prefix), prefix);
        byte[] signature = b64url(parts[2], prefix);
        // Explicit typing keeps one kind of signed record from passing as another.
        if (!typ.equals(header.path("typ").asText(null))) {
            throw new EvidenceException(prefix + ".typ", "typ must be " + typ);
        }
        // Writ defines no JWS extensions: a critical one is one we do not understand.
        if (header.has("crit")) {
            throw new EvidenceException(prefix + ".crit", "unsupported critical header parameter");
        }
        List<X509Certificate> chain = certificates(header.get("x5c"), prefix);
        Instant when = at;
        if (when == null) {
            JsonNode iat = claims.get("iat");
            if (iat == null || !iat.isIntegralNumber() || !iat.canConvertToLong() || iat.longValue() < 0) {
                throw new EvidenceException(prefix + ".malformed", "iat must be a NumericDate");
            }
            when = Instant.ofEpochSecond(iat.longValue());
        }
        validate(chain, anchors, when, prefix);
        X509Certificate leaf = chain.get(0);
        // A signing certificate signs records; a CA or an agent certificate does not sign trust-service records.
        boolean[] ku = leaf.getKeyUsage();
        if (ku == null || !ku[0] || leaf.getBasicConstraints() >= 0 || isAgentCertificate(leaf)) {
            throw new EvidenceException(prefix + ".chain", "the signing certificate is not a trust-service signer");
        }
        JsonNode kid = header.get("kid");
        // kid, when present, names the signing certificate: a mismatch means the header was assembled inconsistently.
        if (kid != null && !kid.asText("").equals(kidOf(leaf))) {
            throw new EvidenceException(prefix + ".kid", "kid does not match the signing certificate");
        }
        String alg = header.path("alg").asText("");
        byte[] input = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        if (!verifySignature(alg, leaf, input, signature)) {
            throw new EvidenceException(prefix + ".signature", "the signature does not verify");
        }
        return new SignedJws(compact, header, claims, chain);
    }

    static boolean isAgentCertificate(X509Certificate c) {
        try {
            List<String> eku = c.getExtendedKeyUsage();
            return (eku != null && eku.contains(WritOids.KP_AGENT_ACTION.getId()))
                    || c.getExtensionValue(WritOids.SCOPE.getId()) != null;
        } catch (java.security.cert.CertificateParsingException e) {
            return true; // unreadable: treat as not a trust-service signer
        }
    }

    static String kidOf(X509Certificate c) {
        try {
            return Envelopes.kid(c.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            return "";
        }
    }

    /** PKIX path validation of {@code chain} (leaf first; a trailing anchor copy is dropped) at {@code at}. */
    static void validate(List<X509Certificate> chain, Set<TrustAnchor> anchors, Instant at, String prefix)
            throws EvidenceException {
        List<X509Certificate> path = new ArrayList<>(chain);
        while (path.size() > 1 && isAnchor(path.get(path.size() - 1), anchors)) {
            path.remove(path.size() - 1);
        }
        try {
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false); // revocation at the time is the OCSP staple's job
            params.setDate(Date.from(at));
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new EvidenceException(
                    prefix + ".chain", "the certificate chain does not lead to the trust anchor at " + at);
        }
    }

    private static boolean isAnchor(X509Certificate c, Set<TrustAnchor> anchors) {
        for (TrustAnchor a : anchors) {
            if (c.equals(a.getTrustedCert())) {
                return true;
            }
        }
        return false;
    }

    static List<X509Certificate> certificates(JsonNode x5c, String prefix) throws EvidenceException {
        if (x5c == null || !x5c.isArray() || x5c.isEmpty() || x5c.size() > 5) {
            throw new EvidenceException(prefix + ".malformed", "x5c must hold 1 to 5 certificates");
        }
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (JsonNode n : x5c) {
                if (!n.isTextual()) {
                    throw new EvidenceException(prefix + ".malformed", "x5c entries are strings");
                }
                out.add((X509Certificate) cf.generateCertificate(
                        new ByteArrayInputStream(Base64.getDecoder().decode(n.textValue()))));
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new EvidenceException(prefix + ".malformed", "x5c holds an undecodable certificate");
        }
        return List.copyOf(out);
    }

    static boolean verifySignature(String alg, X509Certificate cert, byte[] input, byte[] signature) {
        try {
            SubjectPublicKeyInfo spki =
                    SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded());
            var algId = spki.getAlgorithm().getAlgorithm();
            // The algorithm must match the key type: no algorithm confusion.
            if ((alg.equals("EdDSA") || alg.equals("Ed25519")) && algId.equals(EdECObjectIdentifiers.id_Ed25519)) {
                if (signature.length != 64) {
                    return false;
                }
                Ed25519Signer s = new Ed25519Signer();
                s.init(
                        false,
                        new Ed25519PublicKeyParameters(spki.getPublicKeyData().getBytes()));
                s.update(input, 0, input.length);
                return s.verifySignature(signature);
            }
            if (alg.equals("ES256")
                    && algId.equals(X9ObjectIdentifiers.id_ecPublicKey)
                    && SECObjectIdentifiers.secp256r1.equals(spki.getAlgorithm().getParameters())) {
                if (signature.length != 64) {
                    return false;
                }
                SHA256Digest d = new SHA256Digest();
                d.update(input, 0, input.length);
                byte[] hash = new byte[32];
                d.doFinal(hash, 0);
                ECDSASigner s = new ECDSASigner();
                s.init(false, (ECPublicKeyParameters) PublicKeyFactory.createKey(spki));
                return s.verifySignature(
                        hash,
                        new BigInteger(1, Arrays.copyOfRange(signature, 0, 32)),
                        new BigInteger(1, Arrays.copyOfRange(signature, 32, 64)));
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false; // a provider failure is never a pass
        }
    }

    static boolean sameDn(String dn, X500Principal subject) {
        try {
            return dn.equals(subject.getName(X500Principal.RFC2253)) || new X500Principal(dn).equals(subject);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static ObjectNode object(byte[] bytes, String prefix) throws EvidenceException {
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw new EvidenceException(prefix + ".malformed", "not a JSON object");
            }
            return (ObjectNode) n;
        } catch (IOException e) {
            throw new EvidenceException(prefix + ".malformed", "not valid JSON");
        }
    }

    static byte[] b64url(String s, String prefix) throws EvidenceException {
        if (s.contains("=") || s.contains("+") || s.contains("/")) {
            throw new EvidenceException(prefix + ".malformed", "a part is not unpadded base64url");
        }
        try {
            byte[] out = Base64.getUrlDecoder().decode(s);
            // Only the canonical spelling: one signature, one encoding.
            if (!Base64.getUrlEncoder().withoutPadding().encodeToString(out).equals(s)) {
                throw new EvidenceException(prefix + ".malformed", "a part is not canonical base64url");
            }
            return out;
        } catch (IllegalArgumentException e) {
            throw new EvidenceException(prefix + ".malformed", "a part is not base64url");
        }
    }

    static String sha256Hex(byte[] data) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
