package dev.writ.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The transparency-dev Merkle vectors: every happy path verifies, every {@code wantErr} vector is rejected. */
class MerkleVectorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path vectors() {
        return Path.of(System.getProperty("writ.repo.root"), "writ-core/src/test/resources/testdata/merkle");
    }

    static Stream<Path> files(String dir) throws IOException {
        try (Stream<Path> s = Files.walk(vectors().resolve(dir))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
        }
    }

    static byte[] b64(JsonNode n) {
        return n == null || n.isNull() ? null : Base64.getDecoder().decode(n.asText());
    }

    static List<byte[]> proof(JsonNode n) {
        List<byte[]> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            n.forEach(h -> out.add(b64(h)));
        }
        return out;
    }

    @Test
    void vectorsArePresent() throws IOException {
        assertThat(files("inclusion").count()).isGreaterThan(50);
        assertThat(files("consistency").count()).isGreaterThan(50);
    }

    @TestFactory
    Stream<DynamicTest> inclusion() throws IOException {
        return files("inclusion")
                .map(p -> DynamicTest.dynamicTest(vectors().relativize(p).toString(), () -> {
                    JsonNode v = JSON.readTree(p.toFile());
                    long idx = v.get("leafIdx").asLong();
                    long size = v.get("treeSize").asLong();
                    byte[] root = b64(v.get("root"));
                    byte[] leaf = b64(v.get("leafHash"));
                    List<byte[]> proof = proof(v.get("proof"));
                    if (v.get("wantErr").asBoolean()) {
                        assertThatThrownBy(() -> Merkle.verifyInclusion(idx, size, leaf, proof, root))
                                .isInstanceOf(LogVerificationException.class);
                    } else {
                        Merkle.verifyInclusion(idx, size, leaf, proof, root);
                    }
                }));
    }

    @TestFactory
    Stream<DynamicTest> consistency() throws IOException {
        return files("consistency")
                .map(p -> DynamicTest.dynamicTest(vectors().relativize(p).toString(), () -> {
                    JsonNode v = JSON.readTree(p.toFile());
                    long s1 = v.get("size1").asLong();
                    long s2 = v.get("size2").asLong();
                    byte[] r1 = b64(v.get("root1"));
                    byte[] r2 = b64(v.get("root2"));
                    List<byte[]> proof = proof(v.get("proof"));
                    if (v.get("wantErr").asBoolean()) {
                        assertThatThrownBy(() -> Merkle.verifyConsistency(s1, s2, proof, r1, r2))
                                .isInstanceOf(LogVerificationException.class);
                    } else {
                        Merkle.verifyConsistency(s1, s2, proof, r1, r2);
                    }
                }));
    }

    @Test
    void emptyTreeRootIsSha256OfNothing() {
        assertThat(Base64.getEncoder().encodeToString(Merkle.emptyRoot()))
                .isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }
}
