package dev.writ.core.cert;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Keeps the model example of {@code docs/certificate-profile.md} in step with the codec. */
class ModelDocumentTest {
    static String block(String doc, String marker) {
        Matcher m = Pattern.compile("<!-- " + Pattern.quote(marker) + " -->\\s*```\\w*\\n(.*?)```", Pattern.DOTALL)
                .matcher(doc);
        assertThat(m.find()).as("block " + marker).isTrue();
        return m.group(1);
    }

    @Test
    void workedExampleDecodesAndReencodesIdentically() throws Exception {
        String root = System.getProperty("writ.repo.root");
        assertThat(root).as("system property writ.repo.root").isNotNull();
        String doc = Files.readString(Path.of(root, "docs/certificate-profile.md"));
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : block(doc, "example:model").strip().split("\n")) {
            String[] kv = line.split("\\s+", 2);
            fields.put(kv[0], kv[1]);
        }
        byte[] der = HexFormat.of().parseHex(block(doc, "example:model-der").replaceAll("\\s", ""));

        ModelInfo m = ModelInfo.fromDer(der);
        assertThat(m.digestString()).isEqualTo(fields.get("digest"));
        assertThat(m.name()).isEqualTo(fields.get("name"));
        assertThat(m.version()).isEqualTo(fields.get("version"));
        assertThat(m.sbom()).contains(fields.get("sbom"));
        assertThat(m.toDer()).isEqualTo(der);
    }
}
