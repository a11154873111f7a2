package dev.writ.server.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleFilesTest {

    @Test
    void hashIsIndependentOfHowTheFilesWereGathered(@TempDir Path dir) throws Exception {
        Map<String, byte[]> m = Bundles.procurement();
        Map<String, byte[]> reversed = new LinkedHashMap<>();
        List<String> keys = new java.util.ArrayList<>(m.keySet());
        java.util.Collections.reverse(keys);
        keys.forEach(k -> reversed.put(k, m.get(k)));
        BundleFiles a = BundleFiles.of(m);
        BundleFiles b = BundleFiles.of(reversed);
        BundleFiles c = BundleFiles.read(Bundles.write(dir, m));
        assertThat(a.hash()).matches("sha256:[0-9a-f]{64}").isEqualTo(b.hash()).isEqualTo(c.hash());
        assertThat(a.paths())
                .containsExactly(
                        "guardrails.cedar",
                        "manifest.json",
                        "procurement.cedar",
                        "schema.cedarschema",
                        "tests/procurement.json");
    }

    @Test
    void anyChangedByteChangesTheHash() throws Exception {
        BundleFiles a = Bundles.procurementFiles();
        Map<String, byte[]> m = Bundles.procurement();
        byte[] g = m.get("guardrails.cedar");
        g[g.length - 2] ^= 1;
        assertThat(BundleFiles.of(m).hash()).isNotEqualTo(a.hash());
        // Moving bytes between files (same concatenation) also changes it: lengths are part of the encoding.
        Map<String, byte[]> x = new HashMap<>(Bundles.procurement());
        x.put("a.cedar", "ab".getBytes(StandardCharsets.UTF_8));
        x.put("b.cedar", "c".getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> y = new HashMap<>(Bundles.procurement());
        y.put("a.cedar", "a".getBytes(StandardCharsets.UTF_8));
        y.put("b.cedar", "bc".getBytes(StandardCharsets.UTF_8));
        assertThat(BundleFiles.of(x).hash()).isNotEqualTo(BundleFiles.of(y).hash());
    }

    @Test
    void encodingRoundTripsAndRefusesNonCanonicalInput() throws Exception {
        BundleFiles a = Bundles.procurementFiles();
        BundleFiles b = BundleFiles.decode(a.encoded());
        assertThat(b.hash()).isEqualTo(a.hash());
        byte[] truncated = java.util.Arrays.copyOf(a.encoded(), a.encoded().length - 1);
        assertThatThrownBy(() -> BundleFiles.decode(truncated))
                .isInstanceOfSatisfying(
                        PolicyException.class, e -> assertThat(e.code()).isEqualTo("policy.invalid_bundle"));
        byte[] extra = java.util.Arrays.copyOf(a.encoded(), a.encoded().length + 1);
        assertThatThrownBy(() -> BundleFiles.decode(extra)).isInstanceOf(PolicyException.class);
    }

    @Test
    void anOutsideToolRecomputesTheDocumentedHash(@TempDir Path dir) throws Exception {
        // The algorithm of docs/policy.md, written independently in Python.
        Path bundle = Bundles.write(dir.resolve("b"), Bundles.procurement());
        String script = String.join(
                "\n",
                "import hashlib, os, struct, sys",
                "root = sys.argv[1]",
                "files = []",
                "for d, _, names in os.walk(root):",
                "    for n in names:",
                "        p = os.path.join(d, n)",
                "        files.append((os.path.relpath(p, root).replace(os.sep, '/').encode('utf-8'), p))",
                "files.sort()",
                "h = hashlib.sha256(b'writ-policy-bundle/v1\\n' + struct.pack('>I', len(files)))",
                "for rel, p in files:",
                "    data = open(p, 'rb').read()",
                "    h.update(struct.pack('>I', len(rel)) + rel + struct.pack('>Q', len(data)) + data)",
                "print('sha256:' + h.hexdigest())");
        Path py = Files.writeString(dir.resolve("hash.py"), script);
        Process p = new ProcessBuilder("python3", py.toString(), bundle.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo(BundleFiles.read(bundle).hash());
    }

    @Test
    void refusesFilesThatAreNotPartOfABundle(@TempDir Path dir) throws Exception {
        for (String bad : List.of("README.md", ".hidden.cedar", "tests/deep/x.json", "../x.cedar", "a//b.cedar")) {
            assertThatThrownBy(() -> BundleFiles.of(Bundles.procurementWith(bad, "x")))
                    .as(bad)
                    .isInstanceOfSatisfying(
                            PolicyException.class, e -> assertThat(e.code()).isEqualTo("policy.invalid_bundle"));
        }
        Map<String, byte[]> noSchema = Bundles.procurement();
        noSchema.remove("schema.cedarschema");
        assertThatThrownBy(() -> BundleFiles.of(noSchema)).hasMessageContaining("schema.cedarschema");
        Path b = Bundles.write(dir.resolve("b"), Bundles.procurement());
        Files.createSymbolicLink(b.resolve("link.cedar"), b.resolve("guardrails.cedar"));
        assertThatThrownBy(() -> BundleFiles.read(b)).hasMessageContaining("links");
    }
}
