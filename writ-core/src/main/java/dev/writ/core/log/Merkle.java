package dev.writ.core.log;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * RFC 6962 / RFC 9162 Merkle tree hashing and proof verification (SHA-256).
 *
 * <p>Leaf hash: {@code SHA-256(0x00 ‖ entry)}; interior node: {@code SHA-256(0x01 ‖ left ‖ right)}; the root of the
 * empty tree is {@code SHA-256("")}. The verifiers reject any proof that is not exactly the one RFC 9162 §2.1.3 and
 * §2.1.4 define for the given sizes: too short, too long, wrong sizes or indices, or hashes that do not recompute the
 * expected root all throw {@link LogVerificationException}.
 */
public final class Merkle {
    /** Size in bytes of every hash in the tree. */
    public static final int HASH_SIZE = 32;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    });

    private Merkle() {}

    /** {@code SHA-256(0x00 ‖ entry)}. */
    public static byte[] leafHash(byte[] entry) {
        return leafHash(entry, 0, entry.length);
    }

    /** {@code SHA-256(0x00 ‖ entry[off, off+len))}. */
    public static byte[] leafHash(byte[] entry, int off, int len) {
        MessageDigest md = SHA256.get();
        md.update((byte) 0);
        md.update(entry, off, len);
        return md.digest();
    }

    /** {@code SHA-256(0x01 ‖ left ‖ right)}. */
    public static byte[] nodeHash(byte[] left, byte[] right) {
        MessageDigest md = SHA256.get();
        md.update((byte) 1);
        md.update(left, 0, HASH_SIZE);
        md.update(right, 0, HASH_SIZE);
        return md.digest();
    }

    /** The root hash of the empty tree, {@code SHA-256("")}. */
    public static byte[] emptyRoot() {
        return SHA256.get().digest(new byte[0]);
    }

    /**
     * Verifies that {@code leafHash} is the leaf at {@code index} of the tree of {@code size} whose root is
     * {@code root}.
     *
     * @throws LogVerificationException {@code proof.inclusion.*} when the proof is malformed or does not match
     */
    public static void verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> proof, byte[] root)
            throws LogVerificationException {
        byte[] computed = rootFromInclusionProof(index, size, leafHash, proof);
        // A proof only counts if it recomputes exactly the root the checkpoint commits to.
        if (!MessageDigest.isEqual(computed, checkHash(root, "root"))) {
            throw new LogVerificationException("proof.inclusion.mismatch", "inclusion proof does not match the root");
        }
    }

    /**
     * Computes the root implied by an inclusion proof (RFC 9162 §2.1.3.2).
     *
     * @throws LogVerificationException {@code proof.inclusion.malformed} when index, size or proof length are wrong
     */
    public static byte[] rootFromInclusionProof(long index, long size, byte[] leafHash, List<byte[]> proof)
            throws LogVerificationException {
        // An index outside the tree can never be proven included.
        if (index < 0 || size <= 0 || index >= size) {
            throw new LogVerificationException(
                    "proof.inclusion.malformed", "leaf index " + index + " is outside a tree of size " + size);
        }
        checkHash(leafHash, "leaf hash");
        int inner = innerProofSize(index, size);
        int border = Long.bitCount(index >>> inner);
        // The proof length is fixed by index and size; anything else is a forgery or a mistake.
        if (proof == null || proof.size() != inner + border) {
            throw new LogVerificationException(
                    "proof.inclusion.malformed",
                    "inclusion proof has " + (proof == null ? 0 : proof.size()) + " hashes, expected "
                            + (inner + border));
        }
        byte[] r = leafHash;
        for (int i = 0; i < inner; i++) {
            byte[] h = checkHash(proof.get(i), "proof hash");
            r = ((index >>> i) & 1) == 0 ? nodeHash(r, h) : nodeHash(h, r);
        }
        for (int i = inner; i < proof.size(); i++) {
            r = nodeHash(checkHash(proof.get(i), "proof hash"), r);
        }
        return r;
    }

    /**
     * Verifies that the tree of {@code size1} with root {@code root1} is a prefix of the tree of {@code size2} with
     * root {@code root2} (RFC 9162 §2.1.4.2). {@code size1} must be at least 1: every tree extends the empty one,
     * so there is nothing to prove from size 0.
     *
     * @throws LogVerificationException {@code proof.consistency.*} when the proof is malformed or does not match
     */
    public static void verifyConsistency(long size1, long size2, List<byte[]> proof, byte[] root1, byte[] root2)
            throws LogVerificationException {
        // A tree can only be consistent with a tree at least as large.
        if (size1 < 0 || size2 < size1) {
            throw new LogVerificationException(
                    "proof.consistency.malformed", "sizes " + size1 + " and " + size2 + " are not increasing");
        }
        if (proof == null) {
            proof = List.of();
        }
        // The empty tree is a prefix of every tree: a "proof" from size 0 proves nothing, so it is refused
        // rather than reported as a success a caller might over-interpret.
        if (size1 == 0) {
            throw new LogVerificationException(
                    "proof.consistency.malformed", "consistency proofs start from a non-empty tree");
        }
        if (size1 == size2) {
            // Equal sizes: the proof must be empty and the roots equal.
            if (!proof.isEmpty()) {
                throw new LogVerificationException(
                        "proof.consistency.malformed", "consistency proof between equal sizes must be empty");
            }
            if (root1 == null || root2 == null || !MessageDigest.isEqual(root1, root2)) {
                throw new LogVerificationException("proof.consistency.mismatch", "roots of equal-size trees differ");
            }
            return;
        }
        if (proof.isEmpty()) {
            throw new LogVerificationException("proof.consistency.malformed", "consistency proof is empty");
        }
        checkHash(root1, "root");
        checkHash(root2, "root");
        int inner = innerProofSize(size1 - 1, size2);
        int shift = Long.numberOfTrailingZeros(size1);
        inner -= shift;
        byte[] seed;
        int start;
        if (size1 == (1L << shift)) {
            seed = root1;
            start = 0;
        } else {
            seed = checkHash(proof.get(0), "proof hash");
            start = 1;
        }
        long mask = (size1 - 1) >>> shift;
        int border = Long.bitCount(mask >>> inner);
        if (inner < 0 || proof.size() - start != inner + border) {
            throw new LogVerificationException(
                    "proof.consistency.malformed",
                    "consistency proof has " + proof.size() + " hashes, expected " + (start + inner + border));
        }
        for (byte[] p : proof) {
            checkHash(p, "proof hash");
        }
        List<byte[]> rest = proof.subList(start, proof.size());
        // Recompute the old root from the left edge and the new root from both edges.
        byte[] h1 = seed;
        for (int i = 0; i < inner; i++) {
            if (((mask >>> i) & 1) == 1) {
                h1 = nodeHash(checkHash(rest.get(i), "proof hash"), h1);
            }
        }
        for (int i = inner; i < rest.size(); i++) {
            h1 = nodeHash(checkHash(rest.get(i), "proof hash"), h1);
        }
        if (!MessageDigest.isEqual(h1, root1)) {
            throw new LogVerificationException(
                    "proof.consistency.mismatch", "consistency proof does not match the old root");
        }
        byte[] h2 = seed;
        for (int i = 0; i < inner; i++) {
            byte[] p = rest.get(i);
            h2 = ((mask >>> i) & 1) == 0 ? nodeHash(h2, p) : nodeHash(p, h2);
        }
        for (int i = inner; i < rest.size(); i++) {
            h2 = nodeHash(rest.get(i), h2);
        }
        if (!MessageDigest.isEqual(h2, root2)) {
            throw new LogVerificationException(
                    "proof.consistency.mismatch", "consistency proof does not match the new root");
        }
    }

    /** Number of proof hashes below the point where the paths of {@code index} and {@code size - 1} diverge. */
    static int innerProofSize(long index, long size) {
        return 64 - Long.numberOfLeadingZeros(index ^ (size - 1));
    }

    private static byte[] checkHash(byte[] h, String what) throws LogVerificationException {
        // Every hash in this tree is exactly 32 bytes; other lengths are malformed input, not a hash.
        if (h == null || h.length != HASH_SIZE) {
            throw new LogVerificationException("proof.hash.malformed", what + " is not a 32-byte hash");
        }
        return h;
    }
}
