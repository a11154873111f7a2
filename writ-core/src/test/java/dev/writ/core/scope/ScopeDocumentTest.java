package dev.writ.core.scope;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Keeps {@code docs/certificate-profile.md} and {@code docs/asn1/WritExtensions.asn1} in step with the code. */
class ScopeDocumentTest {
    static Path repo() {
        String root = System.getProperty("writ.repo.root");
        assertThat(root).as("system property writ.repo.root").isNotNull();
        return Path.of(root);
    }

    static String block(String doc, String marker) {
        Matcher m = Pattern.compile("<!-- " + Pattern.quote(marker) + " -->\\s*```\\w*\\n(.*?)```", Pattern.DOTALL)
                .matcher(doc);
        assertThat(m.find()).as("block " + marker).isTrue();
        return m.group(1);
    }

    @Test
    void workedExampleDecodesToItsJsonAndReencodesIdentically() throws Exception {
        String doc = Files.readString(repo().resolve("docs/certificate-profile.md"));
        String json = block(doc, "example:scope-json").strip();
        byte[] der = HexFormat.of().parseHex(block(doc, "example:scope-der").replaceAll("\\s", ""));

        Scope fromDer = Scope.fromDer(der);
        assertThat(fromDer.toJson()).isEqualTo(json);
        assertThat(fromDer.toDer()).isEqualTo(der);
        assertThat(Scope.parseJson(json)).isEqualTo(fromDer);
        // The example is the javadoc's scope.
        assertThat(fromDer).isEqualTo(Scope.parseJson(ScopeJsonTest.EXAMPLE));
    }

    @Test
    void asn1ModuleNamesTheOidsAndTypesTheCodecUses() throws Exception {
        String asn1 = Files.readString(repo().resolve("docs/asn1/WritExtensions.asn1"));
        assertThat(asn1)
                .contains("246553221630226637593243269684017702020")
                .contains("id-writ-ce-scope        OBJECT IDENTIFIER ::= { id-writ 1 }")
                .contains("id-writ-ce-model        OBJECT IDENTIFIER ::= { id-writ 2 }")
                .contains("id-writ-kp-agentAction  OBJECT IDENTIFIER ::= { id-writ 3 }")
                .contains("DEFINITIONS IMPLICIT TAGS")
                .contains("delegation      INTEGER (0..255)")
                .contains("maximum   INTEGER (0..9007199254740991)")
                .contains("Classification ::= ENUMERATED { public(0), internal(1), confidential(2), restricted(3) }");
        assertThat(dev.writ.core.cert.WritOids.SCOPE.getId())
                .isEqualTo("2.25.246553221630226637593243269684017702020.1");
        assertThat(Scope.MAX_DELEGATION).isEqualTo(255);
        assertThat(Scope.MAX_LIMIT).isEqualTo(9007199254740991L);
    }
}
