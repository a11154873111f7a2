package dev.writ.server.log;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * An in-memory open-addressing map from a 64-bit digest of a {@code jti} to the first leaf index carrying it. Keys
 * are digests, so a hit is only a candidate: the caller confirms it against the stored entry.
 */
final class JtiIndex {
    private long[] keys = new long[1 << 12];
    private long[] values = new long[1 << 12];
    private int count;

    static long key(String jti) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(jti.getBytes(StandardCharsets.UTF_8));
            long k = 0;
            for (int i = 0; i < 8; i++) {
                k = (k << 8) | (d[i] & 0xff);
            }
            return k == 0 ? 1 : k; // 0 marks an empty slot
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Records {@code index} for {@code key} unless the key is already present (the first occurrence wins). */
    void putIfAbsent(long key, long index) {
        if ((count + 1) * 4L > keys.length * 3L) {
            grow();
        }
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        while (keys[i] != 0) {
            if (keys[i] == key) {
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = index;
        count++;
    }

    /** The index for {@code key}, or -1. */
    long get(long key) {
        int mask = keys.length - 1;
        int i = mix(key) & mask;
        while (keys[i] != 0) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    void clear() {
        Arrays.fill(keys, 0);
        count = 0;
    }

    private void grow() {
        long[] ok = keys;
        long[] ov = values;
        keys = new long[ok.length * 2];
        values = new long[ok.length * 2];
        count = 0;
        for (int i = 0; i < ok.length; i++) {
            if (ok[i] != 0) {
                putIfAbsent(ok[i], ov[i]);
            }
        }
    }

    private static int mix(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
