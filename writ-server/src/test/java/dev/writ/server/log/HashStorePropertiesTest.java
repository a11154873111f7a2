package dev.writ.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.core.log.Merkle;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Roots and proofs read from stored hashes equal the literal RFC 6962 definitions, for random sizes and batchings. */
class HashStorePropertiesTest {

    static byte[] leaf(int i) {
        return Merkle.leafHash(ByteBuffer.allocate(4).putInt(i).array());
    }

    static byte[] mth(List<byte[]> l, int lo, int hi) {
        if (hi - lo == 1) {
            return l.get(lo);
        }
        int k = Integer.highestOneBit(hi - lo - 1);
        return Merkle.nodeHash(mth(l, lo, lo + k), mth(l, lo + k, hi));
    }

    static List<byte[]> path(List<byte[]> l, int m, int lo, int hi) {
        List<byte[]> out = new ArrayList<>();
        if (hi - lo <= 1) {
            return out;
        }
        int k = Integer.highestOneBit(hi - lo - 1);
        if (m - lo < k) {
            out.addAll(path(l, m, lo, lo + k));
            out.add(mth(l, lo + k, hi));
        } else {
            out.addAll(path(l, m, lo + k, hi));
            out.add(mth(l, lo, lo + k));
        }
        return out;
    }

    @Property(tries = 60)
    void storedProofsEqualTheDefinition(
            @ForAll @IntRange(min = 1, max = 1200) int size,
            @ForAll @IntRange(min = 1, max = 300) int batch,
            @ForAll @IntRange(min = 0, max = 1199) int rawIndex,
            @ForAll @IntRange(min = 1, max = 1200) int rawOld)
            throws Exception {
        Path dir = Files.createTempDirectory("hashstore");
        try {
            List<byte[]> leaves = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                leaves.add(leaf(i));
            }
            try (HashStore s = new HashStore(dir)) {
                for (int i = 0; i < size; i += batch) {
                    s.appendLeaves(leaves.subList(i, Math.min(size, i + batch)));
                }
                int index = rawIndex % size;
                int old = 1 + (rawOld - 1) % size;
                assertThat(s.rootHash(size)).isEqualTo(mth(leaves, 0, size));
                assertThat(s.inclusionProof(index, size))
                        .usingElementComparator(Comparator.comparing(java.util.HexFormat.of()::formatHex))
                        .containsExactlyElementsOf(path(leaves, index, 0, size));
                if (index < old) {
                    Merkle.verifyInclusion(
                            index, old, leaves.get(index), s.inclusionProof(index, old), mth(leaves, 0, old));
                }
                Merkle.verifyConsistency(
                        old, size, s.consistencyProof(old, size), mth(leaves, 0, old), mth(leaves, 0, size));
                assertThat(s.firstCorruptLevel()).isEqualTo(-1);
            }
            // Reopening reads the same tree from disk.
            try (HashStore s = new HashStore(dir)) {
                assertThat(s.size()).isEqualTo(size);
                assertThat(s.rootHash(size)).isEqualTo(mth(leaves, 0, size));
            }
        } finally {
            try (Stream<Path> w = Files.walk(dir)) {
                for (Path p : w.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
