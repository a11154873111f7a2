package dev.writ.server.ca;

import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x509.CRLReason;

/** The RFC 5280 revocation reasons Writ accepts, by their RFC names. */
public final class RevocationReasons {
    private RevocationReasons() {}

    private static final Map<String, Integer> CODES = Map.of(
            "unspecified", CRLReason.unspecified,
            "keyCompromise", CRLReason.keyCompromise,
            "affiliationChanged", CRLReason.affiliationChanged,
            "superseded", CRLReason.superseded,
            "cessationOfOperation", CRLReason.cessationOfOperation,
            "privilegeWithdrawn", CRLReason.privilegeWithdrawn);

    /** The reason code of a name; empty for unknown names (rejected, not defaulted). */
    public static Optional<Integer> code(String name) {
        return Optional.ofNullable(CODES.get(name));
    }

    public static String name(int code) {
        return CODES.entrySet().stream()
                .filter(e -> e.getValue() == code)
                .map(Map.Entry::getKey)
                .findFirst()
                .orElse("unspecified");
    }
}
