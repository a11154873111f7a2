package dev.writ.server.sae;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.sae.Envelopes;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;

/** Compact JWS assembly shared by the envelope and denial signers: Jackson for JSON, custody for the signature. */
final class Jws {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private Jws() {}

    /** The JOSE algorithm of a custody key: EdDSA (RFC 8037) or ES256 (raw r‖s). */
    static String alg(KeyHandle key) {
        return switch (key.spec()) {
            case ED25519 -> "EdDSA";
            case EC_P256 -> "ES256";
        };
    }

    /** The standard protected header: alg, typ, kid, x5c (leaf first), in that order. */
    static ObjectNode header(KeyHandle key, String typ, List<X509Certificate> chain) {
        ObjectNode h = JSON.createObjectNode();
        h.put("alg", alg(key));
        h.put("typ", typ);
        try {
            h.put("kid", Envelopes.kid(chain.get(0).getEncoded()));
            var x5c = h.putArray("x5c");
            for (X509Certificate c : chain) {
                x5c.add(Base64.getEncoder().encodeToString(c.getEncoded()));
            }
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("a certificate cannot be encoded", e);
        }
        return h;
    }

    /** Signs {@code header.payload} inside custody and returns the compact serialisation. */
    static String sign(KeyCustody custody, KeyHandle key, ObjectNode header, ObjectNode claims)
            throws CustodyException {
        return sign(custody, key, encode(header), claims);
    }

    /** The base64url encoding of a JSON object's bytes. */
    static String encode(ObjectNode node) {
        try {
            return B64URL.encodeToString(JSON.writeValueAsBytes(node));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("JSON cannot be serialised", e);
        }
    }

    /** Signs with an already encoded header (the signer caches it per agent and staple). */
    static String sign(KeyCustody custody, KeyHandle key, String encodedHeader, ObjectNode claims)
            throws CustodyException {
        String input = encodedHeader + "." + encode(claims);
        byte[] sig = custody.sign(key, input.getBytes(StandardCharsets.US_ASCII));
        if (sig.length != 64) {
            throw new CustodyException("custody returned a signature of unexpected length");
        }
        return input + "." + B64URL.encodeToString(sig);
    }

    /** Rejects floating-point numbers anywhere in {@code node}: amounts are integer minor units. */
    static void requireIntegers(JsonNode node, String where) {
        if (node.isFloatingPointNumber()) {
            throw new IllegalArgumentException(where + " must not contain floating-point numbers");
        }
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
            requireIntegers(it.next(), where);
        }
    }
}
