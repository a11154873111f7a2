package dev.writ.core.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.sae.Envelopes;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies signed denial records ({@code typ} {@code sae-denial+jwt}), the evidence that an action was refused, and
 * opens the commitment a released record carries to its detailed record.
 *
 * <p>{@link #verify}: strict parse, {@code typ}, no {@code crit}, the {@code x5c} chain to a trust anchor at the
 * record's {@code iat}, a trust-service signing certificate (end entity, digitalSignature, never an agent certificate),
 * {@code kid}, {@code iss} = the signer's subject, the signature, then the claims' shape ({@code sub}, {@code agent},
 * {@code act}, {@code pol}, {@code reasons}, {@code jti}, {@code iat}). {@link #open}: the detailed record verifies the
 * same way, {@link DenialCommitment#commit} of (detail, salt) equals the released record's {@code detail} claim, and both
 * records name the same agent, target, action and policy.
 *
 * <p>Failures throw {@link EvidenceException} with a {@code denial.*} code: {@code denial.malformed}, {@code
 * denial.typ}, {@code denial.crit}, {@code denial.chain}, {@code denial.kid}, {@code denial.iss}, {@code
 * denial.signature}, {@code denial.no_commitment}, {@code denial.commitment}, {@code denial.detail_mismatch}. Any
 * unexpected runtime failure is {@code denial.invalid}, never a pass. Thread-safe; no clock (time is the record's own).
 */
public final class DenialVerifier {
    private final Set<TrustAnchor> anchors;

    private DenialVerifier(Set<TrustAnchor> anchors) {
        this.anchors = anchors;
    }

    /** A verifier trusting {@code anchors} (typically the trust domain's root certificate). */
    public static DenialVerifier trusting(Collection<X509Certificate> anchors) {
        Objects.requireNonNull(anchors, "anchors");
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("at least one trust anchor is required");
        }
        Set<TrustAnchor> set = new HashSet<>();
        anchors.forEach(a -> set.add(new TrustAnchor(a, null)));
        return new DenialVerifier(Set.copyOf(set));
    }

    /**
     * Verifies a denial record.
     *
     * @throws EvidenceException with the {@code denial.*} code of the first check that failed
     */
    public VerifiedDenial verify(String compact) throws EvidenceException {
        try {
            return doVerify(compact, true);
        } catch (EvidenceException e) {
            throw e;
        } catch (RuntimeException e) {
            // Anything unexpected is a rejection, never a crash or a pass.
            throw new EvidenceException("denial.invalid", null, "the denial record could not be verified", e);
        }
    }

    /**
     * Opens a released record's commitment with its detailed record and salt.
     *
     * @return the released record, now carrying the detailed reasons
     * @throws EvidenceException {@code denial.no_commitment} when the record carries none, {@code denial.commitment}
     *     when (detail, salt) is not what it committed to, {@code denial.detail_mismatch} when the detail is about
     *     another request, or any code of {@link #verify} for the detailed record
     */
    public VerifiedDenial open(VerifiedDenial released, String detail, String salt) throws EvidenceException {
        Objects.requireNonNull(released, "released");
        try {
            String commitment = released.detailCommitment()
                    .orElseThrow(() -> new EvidenceException(
                            "denial.no_commitment", "the denial record carries no commitment to a detail"));
            if (detail == null || salt == null) {
                throw new EvidenceException("denial.commitment", "the opening lacks the detail or the salt");
            }
            // The commitment binds exactly one (detail, salt): anything else is another detail.
            if (!MessageDigest.isEqual(
                    DenialCommitment.commit(detail, salt).getBytes(StandardCharsets.US_ASCII),
                    commitment.getBytes(StandardCharsets.US_ASCII))) {
                throw new EvidenceException("denial.commitment", "the detail does not open the record's commitment");
            }
            VerifiedDenial d = doVerify(detail, false);
            ObjectNode a = released.claims();
            ObjectNode b = d.claims();
            // The detail must be about the very request the released record refused.
            for (String field : List.of("sub", "agent", "act", "pol")) {
                if (!a.path(field).equals(b.path(field))) {
                    throw new EvidenceException(
                            "denial.detail_mismatch", "the detail names another " + field + " than the record");
                }
            }
            return new VerifiedDenial(
                    released.compact(), a, released.signer(), released.reasons(), commitment, detail, d.reasons());
        } catch (EvidenceException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new EvidenceException("denial.invalid", null, "the denial detail could not be verified", e);
        }
    }

    private VerifiedDenial doVerify(String compact, boolean released) throws EvidenceException {
        SignedJws jws = SignedJws.verify(compact, Envelopes.DENIAL_TYP, anchors, null, "denial");
        ObjectNode c = jws.claims;
        X509Certificate signer = jws.signer();
        String iss = text(c, "iss");
        // iss names the signer; it must be the certificate's subject.
        if (!SignedJws.sameDn(iss, signer.getSubjectX500Principal())) {
            throw new EvidenceException("denial.iss", "iss is not the signing certificate's subject");
        }
        text(c, "sub");
        text(c, "jti");
        JsonNode agent = c.get("agent");
        if (agent == null || !agent.isObject()) {
            throw malformed("agent must be an object");
        }
        text(agent, "id");
        text(agent, "kid");
        JsonNode act = c.get("act");
        if (act == null || !act.isObject()) {
            throw malformed("act must be an object");
        }
        text(act, "name");
        String pol = text(c, "pol");
        if (!pol.equals("none") && !pol.matches("sha256:[0-9a-f]{64}")) {
            throw malformed("pol must be sha256: and 64 hex digits, or none");
        }
        JsonNode rs = c.get("reasons");
        if (rs == null || !rs.isArray() || rs.isEmpty()) {
            throw malformed("reasons must be a non-empty array");
        }
        List<String> reasons = new ArrayList<>();
        for (JsonNode r : rs) {
            if (!r.isTextual()) {
                throw malformed("reasons are strings");
            }
            reasons.add(r.textValue());
        }
        String commitment = null;
        JsonNode d = c.get("detail");
        if (d != null) {
            if (!d.isTextual() || !d.textValue().matches("sha256:[0-9a-f]{64}")) {
                throw malformed("detail must be sha256: and 64 hex digits");
            }
            commitment = d.textValue();
        }
        return new VerifiedDenial(compact, c, signer, reasons, released ? commitment : null, null, null);
    }

    private static String text(JsonNode n, String field) throws EvidenceException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
            throw malformed(field + " is missing or not a string");
        }
        return v.textValue();
    }

    private static EvidenceException malformed(String message) {
        return new EvidenceException("denial.malformed", message);
    }
}
