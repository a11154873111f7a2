package dev.writ.core.sae;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/** Small, pure helpers for envelope identifiers shared by signers and verifiers. */
public final class Envelopes {
    private Envelopes() {}

    /** The media type an envelope's {@code typ} header carries, in its short form. */
    public static final String TYP = "sae+jwt";

    /** The {@code typ} of a signed denial record. */
    public static final String DENIAL_TYP = "sae-denial+jwt";

    /**
     * The {@code sha256:} + lower-case hex SHA-256 of an envelope's compact serialisation (its ASCII bytes): the form
     * used in {@code ctx.parent_chain} and for looking envelopes up.
     */
    public static String hash(String compact) {
        return "sha256:" + HexFormat.of().formatHex(sha256(compact.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The {@code kid} of a certificate: the unpadded base64url SHA-256 of its DER (equal to {@code x5t#S256}). */
    public static String kid(byte[] certificateDer) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(certificateDer));
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
