package dev.writ.core.sae;

import java.util.Objects;

/**
 * An envelope failed verification. {@link #reason()} is a stable, dotted code naming the first check that failed;
 * the message is a short sentence for operators and never contains key material or the envelope itself.
 *
 * <p>Reason codes: {@code sae.malformed}, {@code sae.too_large}, {@code sae.alg}, {@code sae.typ}, {@code sae.crit},
 * {@code sae.kid}, {@code sae.chain}, {@code sae.cert_expired}, {@code sae.cert_profile}, {@code sae.iss},
 * {@code sae.revoked}, {@code sae.revocation_unavailable}, {@code sae.ocsp_invalid}, {@code sae.ocsp_stale},
 * {@code sae.signature}, {@code sae.expired}, {@code sae.not_yet_valid}, {@code sae.lifetime}, {@code sae.audience},
 * {@code sae.scope.<dimension>} (for example {@code sae.scope.amount}, {@code sae.scope.malformed}),
 * {@code sae.binding.missing}, {@code sae.binding.method}, {@code sae.binding.url}, {@code sae.binding.body},
 * {@code sae.replay}, {@code sae.nonce_store}, {@code sae.invalid} (an unexpected failure, treated as invalid).
 */
public final class SaeVerificationException extends Exception {
    public static final String MALFORMED = "sae.malformed";
    public static final String TOO_LARGE = "sae.too_large";
    public static final String ALG = "sae.alg";
    public static final String TYP = "sae.typ";
    public static final String CRIT = "sae.crit";
    public static final String KID = "sae.kid";
    public static final String CHAIN = "sae.chain";
    public static final String CERT_EXPIRED = "sae.cert_expired";
    public static final String CERT_PROFILE = "sae.cert_profile";
    public static final String ISS = "sae.iss";
    public static final String REVOKED = "sae.revoked";
    public static final String REVOCATION_UNAVAILABLE = "sae.revocation_unavailable";
    public static final String OCSP_INVALID = "sae.ocsp_invalid";
    public static final String OCSP_STALE = "sae.ocsp_stale";
    public static final String SIGNATURE = "sae.signature";
    public static final String EXPIRED = "sae.expired";
    public static final String NOT_YET_VALID = "sae.not_yet_valid";
    public static final String LIFETIME = "sae.lifetime";
    public static final String AUDIENCE = "sae.audience";
    public static final String SCOPE_MALFORMED = "sae.scope.malformed";
    public static final String BINDING_MISSING = "sae.binding.missing";
    public static final String BINDING_METHOD = "sae.binding.method";
    public static final String BINDING_URL = "sae.binding.url";
    public static final String BINDING_BODY = "sae.binding.body";
    public static final String REPLAY = "sae.replay";
    public static final String NONCE_STORE = "sae.nonce_store";
    public static final String INVALID = "sae.invalid";

    private final String reason;

    public SaeVerificationException(String reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public SaeVerificationException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The stable reason code. */
    public String reason() {
        return reason;
    }
}
