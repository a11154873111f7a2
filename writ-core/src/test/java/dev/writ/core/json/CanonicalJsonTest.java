package dev.writ.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void escapesLikeJsonStringify() {
        // RFC 8785 §3.2.2.2: the two-character escapes, \\u00XX for other controls, everything else as is.
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("s", "a\"b\\c\b\f\n\r\t\u0001\u001f\u007f€😀/<");
        assertThat(CanonicalJson.encodeToString(n))
                .isEqualTo("{\"s\":\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\u007f€😀/<\"}");
    }

    @Test
    void sortsMembersByUtf16CodeUnits() throws Exception {
        // The RFC 8785 §3.2.3 sorting example.
        String in =
                "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\","
                        + "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
                        + "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
        assertThat(CanonicalJson.encodeToString(JSON.readTree(in)))
                .isEqualTo("{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
                        + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
                        + "\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}");
    }

    @Test
    void refusesLoneSurrogates() {
        for (String bad : new String[] {"x\ud800", "\udc00x", "a\ud800b"}) {
            ObjectNode n = JsonNodeFactory.instance.objectNode().put("s", bad);
            assertThatThrownBy(() -> CanonicalJson.encode(n)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Property(tries = 500)
    void anyStringMatchesTheCharacterByCharacterDefinition(@ForAll String s) {
        ObjectNode n = JsonNodeFactory.instance.objectNode().put("k", s);
        String expected;
        try {
            expected = "{\"k\":" + reference(s) + "}";
        } catch (IllegalArgumentException e) {
            assertThatThrownBy(() -> CanonicalJson.encodeToString(n)).isInstanceOf(IllegalArgumentException.class);
            return;
        }
        assertThat(CanonicalJson.encodeToString(n)).isEqualTo(expected);
    }

    /** RFC 8785 string serialisation, one character at a time (the definition the fast path must match). */
    private static String reference(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
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
                        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                            throw new IllegalArgumentException("lone surrogate");
                        }
                        sb.append(c).append(s.charAt(++i));
                    } else if (Character.isLowSurrogate(c)) {
                        throw new IllegalArgumentException("lone surrogate");
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
