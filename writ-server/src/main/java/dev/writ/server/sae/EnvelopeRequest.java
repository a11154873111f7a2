package dev.writ.server.sae;

import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.cert.ModelInfo;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The content of an envelope to sign, after the policy decision allowed the action.
 *
 * @param action the allowed action ({@code act}; its target becomes {@code sub})
 * @param policyHash {@code sha256:} + hex of the evaluated policy bundle ({@code pol})
 * @param model the model the agent runs ({@code mod}), from its certificate, when known
 * @param session the agent's session id ({@code ctx.session})
 * @param parentChain {@code sha256:} + hex of parent envelopes ({@code ctx.parent_chain}); see
 *     {@link dev.writ.core.sae.Envelopes#hash}
 * @param risk the risk score the decision saw ({@code ctx.risk}), an integer
 * @param contextClassification the data classification of the session ({@code ctx.classification})
 * @param approval hash of the approval record when one was needed ({@code ctx.approval})
 * @param lifetime {@code exp − iat}, 30 to 300 seconds
 * @param ocspResponse DER OCSP response for the agent certificate, fresh now ({@code ocsp} header); copied
 */
public record EnvelopeRequest(
        ActionRequest action,
        String policyHash,
        Optional<ModelInfo> model,
        String session,
        List<String> parentChain,
        int risk,
        Classification contextClassification,
        Optional<String> approval,
        Duration lifetime,
        byte[] ocspResponse) {

    /** The default envelope lifetime. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(120);

    public EnvelopeRequest {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(policyHash, "policyHash");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(contextClassification, "contextClassification");
        Objects.requireNonNull(approval, "approval");
        Objects.requireNonNull(lifetime, "lifetime");
        Objects.requireNonNull(ocspResponse, "ocspResponse");
        parentChain = List.copyOf(parentChain);
        if (!policyHash.matches("sha256:[0-9a-f]{64}")) {
            throw new IllegalArgumentException("policy hash must be sha256: and 64 lower-case hex digits");
        }
        for (String p : parentChain) {
            if (!p.matches("sha256:[0-9a-f]{64}")) {
                throw new IllegalArgumentException("parent chain entries must be sha256: and 64 lower-case hex digits");
            }
        }
        if (lifetime.toSeconds() < 30 || lifetime.toSeconds() > 300 || lifetime.toNanosPart() != 0) {
            throw new IllegalArgumentException("lifetime must be whole seconds between 30 and 300");
        }
        if (ocspResponse.length == 0) {
            throw new IllegalArgumentException("an OCSP response is required");
        }
        ocspResponse = ocspResponse.clone();
    }

    @Override
    public byte[] ocspResponse() {
        return ocspResponse.clone();
    }

    /** A request with the defaults: no model, no parents, risk 0, the action's classification, 120 s. */
    public static EnvelopeRequest of(ActionRequest action, String policyHash, String session, byte[] ocspResponse) {
        return new EnvelopeRequest(
                action,
                policyHash,
                Optional.empty(),
                session,
                List.of(),
                0,
                action.classification(),
                Optional.empty(),
                DEFAULT_LIFETIME,
                ocspResponse);
    }
}
