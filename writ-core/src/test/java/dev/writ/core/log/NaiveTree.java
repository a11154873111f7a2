package dev.writ.core.log;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** RFC 6962 §2.1 written as literally as possible: the reference the optimised code is checked against. */
final class NaiveTree {
    final List<byte[]> leaves = new ArrayList<>();

    void add(byte[] entry) {
        leaves.add(Merkle.leafHash(entry));
    }

    byte[] root(int n) {
        return mth(0, n);
    }

    byte[] mth(int lo, int hi) {
        if (hi - lo == 0) {
            return Merkle.emptyRoot();
        }
        if (hi - lo == 1) {
            return leaves.get(lo);
        }
        int k = Integer.highestOneBit(hi - lo - 1);
        return Merkle.nodeHash(mth(lo, lo + k), mth(lo + k, hi));
    }

    List<byte[]> path(int m, int lo, int hi) {
        List<byte[]> out = new ArrayList<>();
        if (hi - lo <= 1) {
            return out;
        }
        int k = Integer.highestOneBit(hi - lo - 1);
        if (m - lo < k) {
            out.addAll(path(m, lo, lo + k));
            out.add(mth(lo + k, hi));
        } else {
            out.addAll(path(m, lo + k, hi));
            out.add(mth(lo, lo + k));
        }
        return out;
    }

    List<byte[]> consistency(int m, int n) {
        return subproof(m, 0, n, true);
    }

    private List<byte[]> subproof(int m, int lo, int hi, boolean b) {
        List<byte[]> out = new ArrayList<>();
        int n = hi - lo;
        if (m == n) {
            if (!b) {
                out.add(mth(lo, hi));
            }
            return out;
        }
        int k = Integer.highestOneBit(n - 1);
        if (m <= k) {
            out.addAll(subproof(m, lo, lo + k, b));
            out.add(mth(lo + k, hi));
        } else {
            out.addAll(subproof(m - k, lo + k, hi, false));
            out.add(mth(lo, lo + k));
        }
        return out;
    }

    static byte[] entry(int i) {
        byte[] e = ("entry-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return Arrays.copyOf(e, e.length);
    }
}
