package dev.writ.core.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation of a Jackson tree: object members sorted by UTF-16 code
 * units, no insignificant whitespace, strings escaped as ECMAScript's {@code JSON.stringify} does.
 *
 * <p>Writ never hashes or signs floating-point numbers (amounts are integer minor units), so numbers are restricted to
 * integers within ±(2^53 − 1), the range in which RFC 8785 and every JSON implementation agree exactly. Anything else
 * is rejected rather than encoded in a way another tool might not reproduce.
 */
public final class CanonicalJson {
    private static final BigInteger MAX_SAFE = BigInteger.valueOf((1L << 53) - 1);

    private CanonicalJson() {}

    /** The canonical UTF-8 bytes of {@code node}. */
    public static byte[] encode(JsonNode node) {
        return encodeToString(node).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The canonical form of {@code node} as a string.
     *
     * @throws IllegalArgumentException for non-integral or out-of-range numbers, or lone surrogates in strings
     */
    public static String encodeToString(JsonNode node) {
        StringBuilder sb = new StringBuilder(sizeHint(node));
        write(node, sb);
        return sb.toString();
    }

    /** A first guess at the encoded length, so that large entries (a whole envelope) are not copied while growing. */
    private static int sizeHint(JsonNode node) {
        int n = 64;
        if (node.isObject() || node.isArray()) {
            for (JsonNode child : node) {
                n += child.isTextual() ? child.textValue().length() + 16 : 32;
            }
        }
        return Math.min(n, 1 << 20);
    }

    private static void write(JsonNode node, StringBuilder sb) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                ObjectNode obj = (ObjectNode) node;
                List<String> names = new ArrayList<>(obj.size());
                for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
                    names.add(it.next());
                }
                names.sort(String::compareTo); // String order is UTF-16 code-unit order, as RFC 8785 requires
                sb.append('{');
                boolean first = true;
                for (String name : names) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    writeString(name, sb);
                    sb.append(':');
                    write(obj.get(name), sb);
                }
                sb.append('}');
            }
            case ARRAY -> {
                sb.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    write(node.get(i), sb);
                }
                sb.append(']');
            }
            case STRING -> writeString(node.textValue(), sb);
            case NUMBER -> {
                if (!node.isIntegralNumber()) {
                    throw new IllegalArgumentException(
                            "canonical JSON accepts integers only, not " + node.numberType());
                }
                BigInteger v = node.bigIntegerValue();
                if (v.abs().compareTo(MAX_SAFE) > 0) {
                    throw new IllegalArgumentException("integer outside the exactly representable range ±(2^53 − 1)");
                }
                sb.append(v);
            }
            case BOOLEAN -> sb.append(node.booleanValue() ? "true" : "false");
            case NULL -> sb.append("null");
            default -> throw new IllegalArgumentException("cannot canonicalise a " + node.getNodeType() + " node");
        }
    }

    private static void writeString(String s, StringBuilder sb) {
        sb.append('"');
        int n = s.length();
        int run = 0; // start of the current run of characters copied as they are
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            // Printable ASCII other than '"' and '\\' is copied verbatim: the common case (base64url, names) in bulk.
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                continue;
            }
            if (c >= 0x7f && !Character.isSurrogate(c)) {
                continue;
            }
            sb.append(s, run, i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c)) {
                        if (i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
                            throw new IllegalArgumentException("lone surrogate in string");
                        }
                        sb.append(c).append(s.charAt(++i));
                    } else {
                        throw new IllegalArgumentException("lone surrogate in string");
                    }
                }
            }
            run = i + 1;
        }
        sb.append(s, run, n);
        sb.append('"');
    }
}
