package dev.writ.core.log;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Proofs from the literal RFC 6962 definition verify; any single change to them is rejected. */
class MerklePropertiesTest {

    @Property(tries = 300)
    void inclusionProofsVerify(
            @ForAll @IntRange(min = 1, max = 300) int size, @ForAll @IntRange(min = 0, max = 299) int rawIndex)
            throws Exception {
        NaiveTree t = tree(size);
        int index = rawIndex % size;
        List<byte[]> proof = t.path(index, 0, size);
        byte[] root = t.root(size);
        Merkle.verifyInclusion(index, size, t.leaves.get(index), proof, root);
        if (size > 1) {
            byte[] other = t.leaves.get((index + 1) % size);
            assertThatThrownBy(() -> Merkle.verifyInclusion(index, size, other, proof, root))
                    .isInstanceOf(LogVerificationException.class);
        }
        if (!proof.isEmpty()) {
            List<byte[]> bad = new ArrayList<>(proof);
            byte[] h = bad.get(bad.size() / 2).clone();
            h[index % 32] ^= 1;
            bad.set(bad.size() / 2, h);
            assertThatThrownBy(() -> Merkle.verifyInclusion(index, size, t.leaves.get(index), bad, root))
                    .isInstanceOf(LogVerificationException.class);
            assertThatThrownBy(() -> Merkle.verifyInclusion(
                            index, size, t.leaves.get(index), proof.subList(0, proof.size() - 1), root))
                    .isInstanceOf(LogVerificationException.class);
        }
        assertThatThrownBy(() -> Merkle.verifyInclusion(index, size, t.leaves.get(index), proof, t.root(size - 1)))
                .isInstanceOf(LogVerificationException.class);
    }

    @Property(tries = 300)
    void consistencyProofsVerify(
            @ForAll @IntRange(min = 1, max = 300) int size2, @ForAll @IntRange(min = 0, max = 300) int raw1)
            throws Exception {
        NaiveTree t = tree(size2);
        int size1 = 1 + raw1 % size2;
        List<byte[]> proof = t.consistency(size1, size2);
        Merkle.verifyConsistency(size1, size2, proof, t.root(size1), t.root(size2));
        if (!proof.isEmpty()) {
            List<byte[]> bad = new ArrayList<>(proof);
            byte[] h = bad.get(0).clone();
            h[0] ^= (byte) 0x80;
            bad.set(0, h);
            assertThatThrownBy(() -> Merkle.verifyConsistency(size1, size2, bad, t.root(size1), t.root(size2)))
                    .isInstanceOf(LogVerificationException.class);
        }
        if (size1 > 0 && size1 < size2) {
            byte[] wrong = t.root(size1 - 1);
            assertThatThrownBy(() -> Merkle.verifyConsistency(size1, size2, proof, wrong, t.root(size2)))
                    .isInstanceOf(LogVerificationException.class);
        }
    }

    static NaiveTree tree(int size) {
        NaiveTree t = new NaiveTree();
        for (int i = 0; i < size; i++) {
            t.add(NaiveTree.entry(i));
        }
        return t;
    }
}
