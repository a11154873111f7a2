package dev.writ.server.sae;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.evidence.DenialCommitment;
import dev.writ.core.sae.Envelopes;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.security.auth.x500.X500Principal;

/**
 * Signs denial records ({@code typ} {@code sae-denial+jwt}) with the trust service's decision key (audit anchoring
 * chain): evidence that an action was refused, naming the agent, the requested action, the policy hash and the
 * detailed reason codes. Denial records go to the audit log; the agent sees only a coarse code.
 *
 * <p>Claims: {@code iss} (the decision certificate's subject DN), {@code sub} (the target), {@code agent} ({@code dn},
 * {@code id} the SPIFFE ID, {@code kid} the agent certificate hash), {@code act}, {@code pol}, {@code reasons} (array
 * of codes), {@code iat}, {@code jti}, {@code ctx.session} when known, and on a released record {@code detail}: the
 * salted commitment to the detailed record ({@link #signCommitted}).
 */
public final class DenialSigner {
    private final KeyCustody custody;
    private final KeyHandle decisionKey;
    private final List<X509Certificate> decisionChain;
    private final InstantSource clock;
    private final SecureRandom random;

    /**
     * @param decisionChain the decision certificate, then its issuing intermediate
     */
    public DenialSigner(
            KeyCustody custody,
            KeyHandle decisionKey,
            List<X509Certificate> decisionChain,
            InstantSource clock,
            SecureRandom random) {
        this.custody = Objects.requireNonNull(custody, "custody");
        this.decisionKey = Objects.requireNonNull(decisionKey, "decisionKey");
        this.decisionChain = List.copyOf(decisionChain);
        if (this.decisionChain.isEmpty()) {
            throw new IllegalArgumentException("the decision certificate chain must not be empty");
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Signs a denial.
     *
     * @param agentCertificate the certificate of the agent that asked
     * @param agentId the agent's SPIFFE ID
     * @param action the requested action
     * @param policyHash {@code sha256:} + hex of the evaluated policy bundle
     * @param reasons the detailed reason codes, at least one
     * @param session the agent's session id, or {@code null}
     * @throws CustodyException when custody cannot sign
     */
    public SignedEnvelope sign(
            X509Certificate agentCertificate,
            String agentId,
            ActionRequest action,
            String policyHash,
            List<String> reasons,
            String session)
            throws CustodyException {
        return sign(agentCertificate, agentId, action, policyHash, reasons, session, null);
    }

    /**
     * A denial in two records: the released one, which names only {@code coarseCode} and carries in its {@code detail}
     * claim a salted commitment ({@link DenialCommitment}) to the detailed one, which names {@code reasons}. Only the
     * released record goes to the agent and to the public audit log; the detailed record and the salt are kept for
     * operators and auditors, who check them against the commitment.
     *
     * @param reasons the detailed reason codes, at least one
     * @param coarseCode the only reason the released record names
     * @throws CustodyException when custody cannot sign
     */
    public Committed signCommitted(
            X509Certificate agentCertificate,
            String agentId,
            ActionRequest action,
            String policyHash,
            List<String> reasons,
            String coarseCode,
            String session)
            throws CustodyException {
        Objects.requireNonNull(coarseCode, "coarseCode");
        SignedEnvelope detail = sign(agentCertificate, agentId, action, policyHash, reasons, session, null);
        byte[] s = new byte[DenialCommitment.SALT_BYTES];
        random.nextBytes(s);
        String salt = DenialCommitment.salt(s);
        String commitment = DenialCommitment.commit(detail.compact(), salt);
        SignedEnvelope released =
                sign(agentCertificate, agentId, action, policyHash, List.of(coarseCode), session, commitment);
        return new Committed(released, detail, salt, commitment);
    }

    /**
     * A released denial and the opening of its commitment.
     *
     * @param released the record for the agent and the log ({@code reasons} = the coarse code, {@code detail} = the
     *     commitment)
     * @param detail the detailed record: never for the agent or the public log
     * @param salt the commitment's salt (base64url): kept with the detail, never published on its own
     */
    public record Committed(SignedEnvelope released, SignedEnvelope detail, String salt, String commitment) {}

    private SignedEnvelope sign(
            X509Certificate agentCertificate,
            String agentId,
            ActionRequest action,
            String policyHash,
            List<String> reasons,
            String session,
            String commitment)
            throws CustodyException {
        Objects.requireNonNull(agentCertificate, "agentCertificate");
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(policyHash, "policyHash");
        if (reasons.isEmpty()) {
            throw new IllegalArgumentException("a denial names at least one reason");
        }
        ObjectNode header = Jws.header(decisionKey, Envelopes.DENIAL_TYP, decisionChain);
        long iat = clock.instant().getEpochSecond();
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        String jti = Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);

        ObjectNode claims = Jws.JSON.createObjectNode();
        claims.put("iss", decisionChain.get(0).getSubjectX500Principal().getName(X500Principal.RFC2253));
        claims.put("sub", action.target());
        ObjectNode agent = claims.putObject("agent");
        agent.put("dn", agentCertificate.getSubjectX500Principal().getName(X500Principal.RFC2253));
        agent.put("id", agentId);
        try {
            agent.put("kid", Envelopes.kid(agentCertificate.getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("the agent certificate cannot be encoded", e);
        }
        claims.set("act", SaeSigner.actionJson(action));
        claims.put("pol", policyHash);
        var rs = claims.putArray("reasons");
        reasons.forEach(rs::add);
        claims.put("iat", iat);
        claims.put("jti", jti);
        if (session != null) {
            claims.putObject("ctx").put("session", session);
        }
        if (commitment != null) {
            claims.put("detail", commitment);
        }
        String compact = Jws.sign(custody, decisionKey, header, claims);
        return new SignedEnvelope(
                compact, Envelopes.hash(compact), jti, Instant.ofEpochSecond(iat), Instant.ofEpochSecond(iat));
    }
}
