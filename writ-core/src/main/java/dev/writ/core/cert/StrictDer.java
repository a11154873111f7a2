package dev.writ.core.cert;

import java.io.IOException;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;

/**
 * A strict front end to Bouncy Castle's ASN.1 parser for Writ's extension codecs.
 *
 * <p>Before Bouncy Castle sees the bytes, {@link #parse} walks every tag-length-value and rejects what DER forbids or
 * what Writ never uses: indefinite lengths, non-minimal lengths, high tag numbers, nesting deeper than the caller's
 * schema allows, and anything after the single top-level value. The nesting bound also keeps hostile input from
 * driving a recursive parser into a stack overflow. Callers still compare their own re-encoding with the input, which
 * catches the remaining non-canonical forms (unsorted sets, non-zero unused bits, and so on).
 */
public final class StrictDer {
    private StrictDer() {}

    /**
     * Parses exactly one DER value.
     *
     * @param der the encoding; not modified
     * @param maxDepth the deepest nesting of constructed values the schema allows (1: a flat SEQUENCE)
     * @throws IOException when the bytes break one of the rules above or do not parse
     */
    public static ASN1Primitive parse(byte[] der, int maxDepth) throws IOException {
        if (der == null || der.length == 0) {
            throw new IOException("empty encoding");
        }
        int end = scan(der, 0, der.length, 1, maxDepth);
        if (end != der.length) {
            throw new IOException("trailing bytes after the value");
        }
        try {
            return ASN1Primitive.fromByteArray(der);
        } catch (RuntimeException e) {
            // Bouncy Castle reports some malformed input with unchecked exceptions; here it is just malformed.
            throw new IOException("malformed encoding", e);
        }
    }

    /** True when {@code value} re-encodes in DER to exactly {@code der}. */
    public static boolean isCanonical(ASN1Primitive value, byte[] der) {
        try {
            return Arrays.equals(value.getEncoded(ASN1Encoding.DER), der);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Scans one TLV at {@code pos} (and its children); returns the offset just after it. */
    private static int scan(byte[] b, int pos, int limit, int depth, int maxDepth) throws IOException {
        if (pos >= limit) {
            throw new IOException("truncated tag");
        }
        int tag = b[pos++] & 0xff;
        if ((tag & 0x1f) == 0x1f) {
            throw new IOException("high tag numbers are not used");
        }
        if (pos >= limit) {
            throw new IOException("truncated length");
        }
        int first = b[pos++] & 0xff;
        long len;
        if (first < 0x80) {
            len = first;
        } else if (first == 0x80) {
            throw new IOException("indefinite length is not DER");
        } else {
            int n = first & 0x7f;
            if (n > 4 || pos + n > limit) {
                throw new IOException("length out of range");
            }
            if ((b[pos] & 0xff) == 0) {
                throw new IOException("non-minimal length");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (b[pos++] & 0xff);
            }
            if (len < 0x80) {
                throw new IOException("non-minimal length");
            }
        }
        if (len > limit - pos) {
            throw new IOException("length beyond the enclosing value");
        }
        int end = pos + (int) len;
        if ((tag & 0x20) != 0) {
            if (depth >= maxDepth) {
                throw new IOException("nested too deeply");
            }
            while (pos < end) {
                pos = scan(b, pos, end, depth + 1, maxDepth);
            }
        }
        return end;
    }
}
