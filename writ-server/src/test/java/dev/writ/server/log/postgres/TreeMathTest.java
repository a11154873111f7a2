package dev.writ.server.log.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.core.log.Merkle;
import dev.writ.server.log.postgres.TreeMath.Frontier;
import dev.writ.server.log.postgres.TreeMath.Node;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The right-edge arithmetic the sequencer relies on, against the RFC 6962 definition. */
class TreeMathTest {
    static byte[] leaf(int i) {
        return Merkle.leafHash(ByteBuffer.allocate(4).putInt(i).array());
    }

    static byte[] mth(List<byte[]> leaves, int lo, int hi) {
        if (hi - lo == 1) {
            return leaves.get(lo);
        }
        int k = Integer.highestOneBit(hi - lo - 1);
        return Merkle.nodeHash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
    }

    @Property(tries = 60)
    void appendingInBatchesGivesTheTreeAndEveryPerfectNode(
            @ForAll @IntRange(min = 1, max = 700) int n, @ForAll @IntRange(min = 1, max = 64) int batch)
            throws Exception {
        List<byte[]> leaves = new ArrayList<>();
        Map<Node, byte[]> stored = new HashMap<>();
        Frontier f = Frontier.empty();
        for (int start = 0; start < n; start += batch) {
            // Each batch starts from the stored encoding, as a node that revalidated against the row does.
            f = Frontier.decode(f.size(), f.encode());
            Map<Node, byte[]> known = f.nodes();
            for (int i = start; i < Math.min(n, start + batch); i++) {
                leaves.add(leaf(i));
                f.append(leaf(i), (level, index, hash) -> {
                    assertThat(stored.put(new Node(level, index), hash)).isNull();
                    known.put(new Node(level, index), hash);
                });
            }
            byte[] root = mth(leaves, 0, leaves.size());
            assertThat(f.root()).isEqualTo(root);
            // Receipts of the batch come from the old right edge plus the new nodes alone.
            for (int i = start; i < leaves.size(); i++) {
                Merkle.verifyInclusion(
                        i,
                        leaves.size(),
                        leaves.get(i),
                        TreeMath.inclusionProof(i, leaves.size(), TreeMath.of(known), new HashMap<>()),
                        root);
            }
        }
        // Every perfect subtree is stored exactly once, with its RFC 6962 hash.
        int count = 0;
        for (int level = 0; (n >>> level) > 0; level++) {
            for (int k = 0; k < (n >>> level); k++) {
                assertThat(stored.get(new Node(level, k))).isEqualTo(mth(leaves, k << level, (k + 1) << level));
                count++;
            }
        }
        assertThat(stored).hasSize(count);
        int m = Math.max(1, n / 3);
        assertThat(TreeMath.root(m, TreeMath.of(stored))).isEqualTo(mth(leaves, 0, m));
    }

    @Property(tries = 20)
    void aFrontierThatDoesNotFitItsSizeIsRefused(@ForAll @IntRange(min = 1, max = 1000) int n) {
        assertThatThrownBy(() -> Frontier.decode(n, new byte[32 * Long.bitCount(n) + 32]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
