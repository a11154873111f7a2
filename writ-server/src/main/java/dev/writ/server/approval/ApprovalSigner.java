package dev.writ.server.approval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.json.CanonicalJson;
import dev.writ.core.sae.Envelopes;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.security.auth.x500.X500Principal;

/**
 * Signs approval records ({@code typ} {@value #TYP}) with the trust service's decision key (audit anchoring chain), as
 * JWS compact serialisations: header {@code alg typ kid x5c}, claims in RFC 8785 canonical form. Holds only a key
 * handle; custody signs.
 */
public final class ApprovalSigner {
    /** The {@code typ} of an approval record. */
    public static final String TYP = "writ-approval+jwt";

    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private final KeyCustody custody;
    private final KeyHandle key;
    private final String header;
    private final String issuer;

    /**
     * @param chain the decision certificate, then its issuing intermediate
     */
    public ApprovalSigner(KeyCustody custody, KeyHandle key, List<X509Certificate> chain) {
        this.custody = Objects.requireNonNull(custody, "custody");
        this.key = Objects.requireNonNull(key, "key");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("the decision certificate chain must not be empty");
        }
        ObjectNode h = JsonNodeFactory.instance.objectNode();
        h.put(
                "alg",
                switch (key.spec()) {
                    case ED25519 -> "EdDSA";
                    case EC_P256 -> "ES256";
                });
        h.put("typ", TYP);
        try {
            h.put("kid", Envelopes.kid(chain.get(0).getEncoded()));
            var x5c = h.putArray("x5c");
            for (X509Certificate c : chain) {
                x5c.add(Base64.getEncoder().encodeToString(c.getEncoded()));
            }
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("the decision certificate cannot be encoded", e);
        }
        this.header = B64URL.encodeToString(CanonicalJson.encode(h));
        this.issuer = chain.get(0).getSubjectX500Principal().getName(X500Principal.RFC2253);
    }

    /**
     * Signs {@code claims} (an {@code iss} claim naming the decision certificate is added).
     *
     * @throws CustodyException when custody cannot sign
     */
    public String sign(ObjectNode claims) throws CustodyException {
        ObjectNode c = claims.deepCopy();
        c.put("iss", issuer);
        String signingInput = header + "." + B64URL.encodeToString(CanonicalJson.encode(c));
        byte[] sig = custody.sign(key, signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + B64URL.encodeToString(sig);
    }
}
