package dev.writ.core.evidence;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.json.CanonicalJson;
import java.util.Base64;
import java.util.Objects;

/**
 * The commitment a released denial record carries to its detailed record (claim {@code detail}): {@code sha256:} +
 * lower-case hex SHA-256 of the RFC 8785 encoding of {@code {"detail":"<detailed denial, compact JWS>",
 * "salt":"<base64url, 32 random bytes>"}}. The audit log is public; the salt keeps anyone who reads it from confirming
 * a guessed detail (the set of policy ids is small), and the opening (detail and salt) is kept for operators and
 * auditors and travels in evidence bundles.
 */
public final class DenialCommitment {
    /** Length of the salt in bytes. */
    public static final int SALT_BYTES = 32;

    private DenialCommitment() {}

    /** The commitment to {@code detail} under {@code salt} (base64url, unpadded). */
    public static String commit(String detail, String salt) {
        return "sha256:" + SignedJws.sha256Hex(opening(detail, salt));
    }

    /** The canonical bytes of the opening: {@code {"detail":…,"salt":…}} (RFC 8785). */
    public static byte[] opening(String detail, String salt) {
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(salt, "salt");
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("detail", detail);
        o.put("salt", salt);
        return CanonicalJson.encode(o);
    }

    /** A salt from {@code random} bytes: base64url of {@link #SALT_BYTES} bytes. */
    public static String salt(byte[] random) {
        if (random.length != SALT_BYTES) {
            throw new IllegalArgumentException("a salt is " + SALT_BYTES + " bytes");
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }
}
