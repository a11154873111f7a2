package dev.writ.server.log.postgres;

import dev.writ.core.log.Merkle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RFC 6962 / RFC 9162 tree arithmetic over stored perfect subtrees: roots, inclusion and consistency proofs read only
 * the hashes of perfect subtrees ({@code (level, index)}: leaves {@code [index·2^level, (index+1)·2^level)}), which
 * the caller looks up. Running a computation once against {@link #recorder} yields exactly the nodes it reads, so a
 * database caller fetches them all in one query before running it for real.
 */
final class TreeMath {
    private TreeMath() {}

    /** A perfect subtree of the tree: {@code 2^level} leaves starting at {@code index·2^level}. */
    record Node(int level, long index) {}

    /** Looks up stored perfect-subtree hashes. */
    @FunctionalInterface
    interface Nodes {
        byte[] get(int level, long index);
    }

    /** Records the nodes asked for and answers each with zeros (the arithmetic never branches on hash values). */
    static final class Recorder implements Nodes {
        final Set<Node> asked = new LinkedHashSet<>();
        private static final byte[] ZERO = new byte[Merkle.HASH_SIZE];

        @Override
        public byte[] get(int level, long index) {
            asked.add(new Node(level, index));
            return ZERO;
        }
    }

    static Recorder recorder() {
        return new Recorder();
    }

    /** A lookup over a map, failing loudly on a node it does not hold. */
    static Nodes of(Map<Node, byte[]> map) {
        return (level, index) -> {
            byte[] h = map.get(new Node(level, index));
            if (h == null) {
                throw new IllegalStateException("hash " + level + "/" + index + " is not available");
            }
            return h;
        };
    }

    /** MTH(D[lo:hi]), {@code lo < hi}; {@code memo} (may be null) caches subtrees ending at {@code memoEnd}. */
    static byte[] subtree(long lo, long hi, Nodes nodes, Map<Long, byte[]> memo, long memoEnd) {
        long n = hi - lo;
        if (Long.bitCount(n) == 1 && lo % n == 0) {
            return nodes.get(Long.numberOfTrailingZeros(n), lo / n);
        }
        boolean memoise = memo != null && hi == memoEnd;
        if (memoise) {
            byte[] m = memo.get(lo);
            if (m != null) {
                return m;
            }
        }
        long k = Long.highestOneBit(n - 1);
        byte[] r =
                Merkle.nodeHash(subtree(lo, lo + k, nodes, memo, memoEnd), subtree(lo + k, hi, nodes, memo, memoEnd));
        if (memoise) {
            memo.put(lo, r);
        }
        return r;
    }

    static byte[] root(long size, Nodes nodes) {
        return size == 0 ? Merkle.emptyRoot() : subtree(0, size, nodes, null, -1);
    }

    /** The RFC 9162 inclusion proof of leaf {@code index} in the tree of {@code size} leaves. */
    static List<byte[]> inclusionProof(long index, long size, Nodes nodes, Map<Long, byte[]> memo) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("index outside the tree");
        }
        List<byte[]> proof = new ArrayList<>();
        long lo = 0;
        long hi = size;
        while (hi - lo > 1) {
            long k = Long.highestOneBit(hi - lo - 1);
            if (index - lo < k) {
                proof.add(subtree(lo + k, hi, nodes, memo, size));
                hi = lo + k;
            } else {
                proof.add(subtree(lo, lo + k, nodes, null, -1));
                lo += k;
            }
        }
        Collections.reverse(proof);
        return proof;
    }

    /** The RFC 9162 consistency proof from {@code from} to {@code to} leaves, {@code 0 < from <= to}. */
    static List<byte[]> consistencyProof(long from, long to, Nodes nodes) {
        if (from <= 0 || from > to) {
            throw new IllegalArgumentException("from must be between 1 and to");
        }
        List<byte[]> out = new ArrayList<>();
        if (from < to) {
            subproof(from, 0, to, true, nodes, out);
        }
        return out;
    }

    private static void subproof(long m, long lo, long hi, boolean whole, Nodes nodes, List<byte[]> out) {
        long n = hi - lo;
        if (m == n) {
            if (!whole) {
                out.add(subtree(lo, hi, nodes, null, -1));
            }
            return;
        }
        long k = Long.highestOneBit(n - 1);
        if (m <= k) {
            subproof(m, lo, lo + k, whole, nodes, out);
            out.add(subtree(lo + k, hi, nodes, null, -1));
        } else {
            subproof(m - k, lo + k, hi, false, nodes, out);
            out.add(subtree(lo, lo + k, nodes, null, -1));
        }
    }

    /**
     * The right edge of a tree: the roots of its perfect subtrees, one per set bit of the size. Appending a leaf
     * merges equal-sized subtrees, producing exactly the new perfect nodes the store must hold. Mutable; the
     * sequencer copies it per batch.
     */
    static final class Frontier {
        private long size;
        private final byte[][] byLevel = new byte[64][];

        private Frontier(long size) {
            this.size = size;
        }

        static Frontier empty() {
            return new Frontier(0);
        }

        long size() {
            return size;
        }

        Frontier copy() {
            Frontier f = new Frontier(size);
            System.arraycopy(byLevel, 0, f.byLevel, 0, 64);
            return f;
        }

        /** Receives each perfect node a leaf append completes (the leaf itself first). */
        interface Sink {
            void node(int level, long index, byte[] hash);
        }

        void append(byte[] leafHash, Sink sink) {
            long n = size;
            sink.node(0, n, leafHash);
            byte[] h = leafHash;
            int level = 0;
            while (((n >>> level) & 1) == 1) {
                h = Merkle.nodeHash(byLevel[level], h);
                byLevel[level] = null;
                level++;
                sink.node(level, ((n + 1) >>> level) - 1, h);
            }
            byLevel[level] = h;
            size = n + 1;
        }

        /** The frontier nodes as stored perfect subtrees, for proofs over the tree this frontier ends. */
        Map<Node, byte[]> nodes() {
            Map<Node, byte[]> out = new HashMap<>();
            for (int level = 0; level < 64; level++) {
                if (byLevel[level] != null) {
                    out.put(new Node(level, (size >>> level) - 1), byLevel[level]);
                }
            }
            return out;
        }

        byte[] root() {
            byte[] r = null;
            for (int level = 0; level < 64; level++) {
                if (byLevel[level] != null) {
                    r = r == null ? byLevel[level] : Merkle.nodeHash(byLevel[level], r);
                }
            }
            return r == null ? Merkle.emptyRoot() : r;
        }

        /** The hashes, largest subtree first, concatenated. */
        byte[] encode() {
            byte[] out = new byte[Long.bitCount(size) * Merkle.HASH_SIZE];
            int at = 0;
            for (int level = 63; level >= 0; level--) {
                if (byLevel[level] != null) {
                    System.arraycopy(byLevel[level], 0, out, at, Merkle.HASH_SIZE);
                    at += Merkle.HASH_SIZE;
                }
            }
            return out;
        }

        /**
         * @throws IllegalArgumentException when {@code encoded} does not hold one hash per set bit of {@code size}
         */
        static Frontier decode(long size, byte[] encoded) {
            if (size < 0 || encoded.length != Long.bitCount(size) * Merkle.HASH_SIZE) {
                throw new IllegalArgumentException("the stored frontier does not match the tree size");
            }
            Frontier f = new Frontier(size);
            int at = 0;
            for (int level = 63; level >= 0; level--) {
                if (((size >>> level) & 1) == 1) {
                    f.byLevel[level] = java.util.Arrays.copyOfRange(encoded, at, at + Merkle.HASH_SIZE);
                    at += Merkle.HASH_SIZE;
                }
            }
            return f;
        }
    }
}
