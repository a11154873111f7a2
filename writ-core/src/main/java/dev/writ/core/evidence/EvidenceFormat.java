package dev.writ.core.evidence;

import java.util.regex.Pattern;

/**
 * The layout of an evidence bundle, version 1 ({@value #FORMAT}): a ZIP archive of plain files, each listed with its
 * SHA-256 in {@code manifest.json} (RFC 8785 canonical JSON). See {@code docs/forensics.md}.
 */
public final class EvidenceFormat {
    private EvidenceFormat() {}

    /** The {@code format} member of the manifest. */
    public static final String FORMAT = "writ-evidence/v1";

    public static final String MANIFEST = "manifest.json";
    public static final String CHECKPOINT = "log/checkpoint";
    public static final String LOG_KEY = "log/key";

    static final String JTI = "[A-Za-z0-9_-]{22,128}";
    static final String HEX = "[0-9a-f]{64}";

    /** Every path a bundle may hold; anything else is refused. */
    static final Pattern PATHS = Pattern.compile("manifest\\.json|log/checkpoint|log/key"
            + "|log/entries/(0|[1-9][0-9]{0,17})\\.json|log/receipts/(0|[1-9][0-9]{0,17})\\.json"
            + "|envelopes/" + JTI + "\\.jws|ocsp/" + JTI + "\\.der"
            + "|denials/" + JTI + "\\.jws|denials/" + JTI + "\\.detail\\.json"
            + "|approvals/" + HEX + "\\.jws|certificates/" + HEX + "\\.der"
            + "|policies/" + HEX + "\\.bundle|policies/" + HEX + "\\.statement\\.jws");

    public static String envelope(String jti) {
        return "envelopes/" + jti + ".jws";
    }

    public static String ocsp(String jti) {
        return "ocsp/" + jti + ".der";
    }

    public static String denial(String jti) {
        return "denials/" + jti + ".jws";
    }

    public static String denialDetail(String jti) {
        return "denials/" + jti + ".detail.json";
    }

    /** An approval record, named by the hex of its {@code sha256:} hash (the envelope's {@code ctx.approval}). */
    public static String approval(String hashHex) {
        return "approvals/" + hashHex + ".jws";
    }

    /** A certificate, named by the hex SHA-256 of its DER. */
    public static String certificate(String derSha256Hex) {
        return "certificates/" + derSha256Hex + ".der";
    }

    /** A policy bundle's canonical encoding, named by the hex of its bundle hash. */
    public static String policyBundle(String hashHex) {
        return "policies/" + hashHex + ".bundle";
    }

    /** A policy bundle's signed statement. */
    public static String policyStatement(String hashHex) {
        return "policies/" + hashHex + ".statement.jws";
    }

    public static String entry(long index) {
        return "log/entries/" + index + ".json";
    }

    /** The log receipt of entry {@code index} ({@code LogReceipt} JSON), under the bundle's checkpoint. */
    public static String receipt(long index) {
        return "log/receipts/" + index + ".json";
    }

    /** Whether {@code path} is one a bundle may hold. */
    public static boolean isAllowed(String path) {
        return PATHS.matcher(path).matches();
    }
}
