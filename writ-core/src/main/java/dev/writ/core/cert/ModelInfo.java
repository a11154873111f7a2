package dev.writ.core.cert;

import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.ASN1UTF8String;
import org.bouncycastle.asn1.BERTags;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;

/**
 * The model an agent runs, carried in the non-critical {@code id-writ-ce-model} extension ({@code WritModel} in
 * {@code docs/asn1/WritExtensions.asn1}).
 *
 * <p>Immutable; the digest is copied in and out.
 *
 * @param sha256 SHA-256 digest of the model artifact (32 bytes)
 * @param name model name, 1..256 characters, no control characters
 * @param version model version, 1..256 characters, no control characters
 * @param sbom reference (a URI, 1..2048 visible ASCII characters) to the model's SBOM, when there is one
 */
public record ModelInfo(byte[] sha256, String name, String version, Optional<String> sbom) {
    private static final int MAX_DER_BYTES = 8 * 1024;

    /** @throws IllegalArgumentException when a field is out of the ranges above */
    public ModelInfo {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(sbom, "sbom");
        if (sha256.length != 32) {
            throw new IllegalArgumentException("the model digest must be 32 bytes (SHA-256)");
        }
        if (!isText(name) || !isText(version)) {
            throw new IllegalArgumentException("model name and version must be 1 to 256 characters without controls");
        }
        if (sbom.isPresent() && !isUri(sbom.get())) {
            throw new IllegalArgumentException("the SBOM reference must be 1 to 2048 visible ASCII characters");
        }
        sha256 = sha256.clone();
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    /** The digest as carried in an envelope's {@code mod.digest}: {@code sha256:} followed by lower-case hex. */
    public String digestString() {
        return "sha256:" + HexFormat.of().formatHex(sha256);
    }

    /** The DER encoding of the extension value; deterministic. */
    public byte[] toDer() {
        ASN1EncodableVector v = new ASN1EncodableVector(4);
        v.add(new DEROctetString(sha256));
        v.add(new DERUTF8String(name));
        v.add(new DERUTF8String(version));
        sbom.ifPresent(s -> v.add(new DERTaggedObject(false, 0, new DERIA5String(s))));
        try {
            return new DERSequence(v).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding failed", e);
        }
    }

    /**
     * Decodes the extension value, strictly: DER only, no trailing bytes, no unknown fields, values in range.
     *
     * @throws CertificateProfileException with code {@code cert.profile.model}
     */
    public static ModelInfo fromDer(byte[] der) throws CertificateProfileException {
        if (der == null || der.length == 0 || der.length > MAX_DER_BYTES) {
            throw invalid(null);
        }
        ModelInfo m;
        try {
            ASN1Primitive p = StrictDer.parse(der, 2);
            if (!(p instanceof ASN1Sequence seq) || seq.size() < 3 || seq.size() > 4) {
                throw invalid(null);
            }
            if (!(seq.getObjectAt(0) instanceof ASN1OctetString digest)
                    || !(seq.getObjectAt(1) instanceof ASN1UTF8String name)
                    || !(seq.getObjectAt(2) instanceof ASN1UTF8String version)) {
                throw invalid(null);
            }
            Optional<String> sbom = Optional.empty();
            if (seq.size() == 4) {
                if (!(seq.getObjectAt(3) instanceof ASN1TaggedObject t)
                        || t.getTagClass() != BERTags.CONTEXT_SPECIFIC
                        || t.getTagNo() != 0) {
                    throw invalid(null);
                }
                sbom = Optional.of(ASN1IA5String.getInstance(t, false).getString());
            }
            m = new ModelInfo(digest.getOctets(), name.getString(), version.getString(), sbom);
        } catch (IOException | RuntimeException e) {
            // Malformed input is a rejected extension, never a crash.
            throw invalid(e);
        }
        // Only the one canonical encoding is accepted.
        if (!Arrays.equals(m.toDer(), der)) {
            throw invalid(null);
        }
        return m;
    }

    private static CertificateProfileException invalid(Throwable cause) {
        return new CertificateProfileException(
                "cert.profile.model", "the model extension is not valid DER of WritModel", cause);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelInfo m
                && Arrays.equals(sha256, m.sha256)
                && name.equals(m.name)
                && version.equals(m.version)
                && sbom.equals(m.sbom);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(sha256), name, version, sbom);
    }

    @Override
    public String toString() {
        return "ModelInfo[" + digestString() + ", " + name + ", " + version + ", " + sbom.orElse("-") + "]";
    }

    private static boolean isText(String s) {
        // Characters as ASN.1 counts them for UTF8String: code points, not UTF-16 units.
        if (s == null || s.isEmpty() || s.codePointCount(0, s.length()) > 256) {
            return false;
        }
        return s.codePoints().noneMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.SURROGATE);
    }

    private static boolean isUri(String s) {
        if (s.isEmpty() || s.length() > 2048) {
            return false;
        }
        return s.chars().allMatch(c -> c >= 0x21 && c <= 0x7e);
    }
}
