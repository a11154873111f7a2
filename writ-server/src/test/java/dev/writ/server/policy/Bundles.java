package dev.writ.server.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Bundle fixtures. */
final class Bundles {
    private Bundles() {}

    static final List<String> PROCUREMENT_FILES = List.of(
            "manifest.json", "schema.cedarschema", "procurement.cedar", "guardrails.cedar", "tests/procurement.json");

    /** The default procurement bundle's files, from the classpath. */
    static Map<String, byte[]> procurement() {
        Map<String, byte[]> m = new HashMap<>();
        for (String f : PROCUREMENT_FILES) {
            try (InputStream in = Bundles.class.getResourceAsStream("/bundles/procurement/" + f)) {
                m.put(f, in.readAllBytes());
            } catch (IOException | NullPointerException e) {
                throw new IllegalStateException("missing bundle resource " + f, e);
            }
        }
        return m;
    }

    static BundleFiles procurementFiles() {
        try {
            return BundleFiles.of(procurement());
        } catch (PolicyException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The procurement bundle with one file replaced or added. */
    static Map<String, byte[]> procurementWith(String path, String content) {
        Map<String, byte[]> m = procurement();
        m.put(path, content.getBytes(StandardCharsets.UTF_8));
        return m;
    }

    static Path write(Path dir, Map<String, byte[]> files) throws IOException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path p = dir.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, e.getValue());
        }
        return dir;
    }
}
