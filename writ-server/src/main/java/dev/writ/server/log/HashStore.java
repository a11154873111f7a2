package dev.writ.server.log;

import dev.writ.core.log.Merkle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Every hash of the Merkle tree, stored once: file {@code hashes/<h>} holds the hashes of the perfect subtrees of
 * {@code 2^h} leaves, in order. Level {@code 8L} is exactly the concatenation of the level-{@code L} tiles of
 * tlog-tiles, so a tile is a byte range of one file.
 *
 * <p>Proofs and roots read O(log n) stored hashes (no recomputation of subtrees); the most recent hashes of every
 * level are also kept in memory, so receipts for fresh entries never touch the disk. Writes are plain appends, made
 * durable by {@link #force()}; on recovery the owner truncates with {@link #truncate} and replays.
 *
 * <p>Thread safety: one writer (the sequencer), any number of readers.
 */
public final class HashStore implements AutoCloseable {
    private static final int CACHE = 1 << 13;
    private static final int H = Merkle.HASH_SIZE;

    private final Path dir;
    private final List<FileChannel> files = new ArrayList<>();
    private final List<byte[]> rings = new ArrayList<>();
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long size;

    private final boolean readOnly;

    /** Opens (creating if needed) the hash files in {@code dir}; the tree size is the number of stored leaves. */
    public HashStore(Path dir) throws IOException {
        this(dir, false, -1);
    }

    /**
     * Opens the hash files of {@code dir} read-only, seeing the tree of {@code treeSize} leaves (for tools that read a
     * log another process may be writing).
     */
    public static HashStore openReadOnly(Path dir, long treeSize) throws IOException {
        return new HashStore(dir, true, treeSize);
    }

    private HashStore(Path dir, boolean readOnly, long treeSize) throws IOException {
        this.dir = dir;
        this.readOnly = readOnly;
        if (!readOnly) {
            Files.createDirectories(dir);
        }
        // Each level is its own file and a crash can leave the levels at different lengths: the tree size is the
        // largest n whose every level is complete (level h holds n >>> h hashes), never simply the leaf count.
        long leaves = -1;
        for (int h = 0; Files.exists(dir.resolve(Integer.toString(h))); h++) {
            FileChannel ch = open(h);
            files.add(ch);
            long count = ch.size() / H;
            leaves = h == 0 ? count : Math.min(leaves, ((count + 1) << h) - 1);
        }
        if (!files.isEmpty() && files.size() < 63) {
            leaves = Math.min(leaves, (1L << files.size()) - 1); // a level that was never written holds nothing
        }
        this.size = Math.max(0, leaves);
        if (readOnly) {
            if (treeSize > size) {
                throw new IOException("the hash files are shorter than the checkpoint");
            }
            this.size = treeSize;
        }
        truncate(this.size);
    }

    private FileChannel open(int h) throws IOException {
        if (readOnly) {
            return FileChannel.open(dir.resolve(Integer.toString(h)), StandardOpenOption.READ);
        }
        return FileChannel.open(
                dir.resolve(Integer.toString(h)),
                StandardOpenOption.CREATE,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    /** Number of leaves. */
    public long size() {
        lock.readLock().lock();
        try {
            return size;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Cuts the tree back to {@code newSize} leaves (recovery: drops hashes that may be torn) and reloads the caches.
     */
    public void truncate(long newSize) throws IOException {
        lock.writeLock().lock();
        try {
            if (newSize > size) {
                throw new IOException("cannot extend the hash store by truncation");
            }
            size = newSize;
            rings.clear();
            for (int h = 0; h < files.size(); h++) {
                FileChannel ch = files.get(h);
                long count = size >>> h;
                if (!readOnly && ch.size() != count * H) {
                    ch.truncate(count * H);
                }
                byte[] ring = new byte[CACHE * H];
                long from = Math.max(0, count - CACHE);
                for (long k = from; k < count; k++) {
                    readFully(ch, k * H, ring, (int) (k % CACHE) * H);
                }
                rings.add(ring);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Appends leaf hashes and every interior hash they complete. Not durable until {@link #force()}. */
    public void appendLeaves(List<byte[]> leafHashes) throws IOException {
        if (readOnly) {
            throw new IOException("the hash store is read-only");
        }
        lock.writeLock().lock();
        try {
            Map<Integer, ByteBuffer> writes = new HashMap<>();
            Map<Integer, Long> firstIndex = new HashMap<>();
            long n = size;
            for (byte[] leaf : leafHashes) {
                byte[] h = leaf;
                for (int level = 0; ; level++) {
                    long k = n >>> level; // index of the new hash at this level
                    put(level, k, h, writes, firstIndex);
                    if ((k & 1) == 0) {
                        break;
                    }
                    h = Merkle.nodeHash(cached(level, k - 1), h);
                }
                n++;
            }
            for (Map.Entry<Integer, ByteBuffer> w : writes.entrySet()) {
                ByteBuffer b = w.getValue().flip();
                long pos = firstIndex.get(w.getKey()) * H;
                while (b.hasRemaining()) {
                    pos += files.get(w.getKey()).write(b, pos);
                }
            }
            size = n;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void put(int level, long k, byte[] h, Map<Integer, ByteBuffer> writes, Map<Integer, Long> first)
            throws IOException {
        while (files.size() <= level) {
            files.add(open(files.size()));
            rings.add(new byte[CACHE * H]);
        }
        System.arraycopy(h, 0, rings.get(level), (int) (k % CACHE) * H, H);
        ByteBuffer b = writes.get(level);
        if (b == null) {
            b = ByteBuffer.allocate(64 * H);
            writes.put(level, b);
            first.put(level, k);
        }
        if (b.remaining() < H) {
            ByteBuffer bigger = ByteBuffer.allocate(b.capacity() * 2);
            b.flip();
            bigger.put(b);
            b = bigger;
            writes.put(level, b);
        }
        b.put(h);
    }

    private byte[] cached(int level, long k) throws IOException {
        byte[] out = new byte[H];
        System.arraycopy(rings.get(level), (int) (k % CACHE) * H, out, 0, H);
        return out;
    }

    /** Makes every appended hash durable. */
    public void force() throws IOException {
        lock.readLock().lock();
        try {
            for (FileChannel ch : files) {
                ch.force(false);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The stored hash of the perfect subtree at level {@code h}, index {@code k}; caller holds the read lock. */
    private byte[] stored(int h, long k) throws IOException {
        long count = size >>> h;
        if (h >= files.size() || k >= count) {
            throw new IllegalStateException("hash " + h + "/" + k + " is not stored");
        }
        if (k >= count - CACHE) {
            return cached(h, k);
        }
        byte[] out = new byte[H];
        readFully(files.get(h), k * H, out, 0);
        return out;
    }

    /** MTH(D[lo:hi]) for {@code 0 <= lo < hi <= size}, RFC 6962 §2.1; {@code memo} caches right-edge nodes. */
    private byte[] subtree(long lo, long hi, Map<Long, byte[]> memo) throws IOException {
        long n = hi - lo;
        if (Long.bitCount(n) == 1 && lo % n == 0) {
            return stored(Long.numberOfTrailingZeros(n), lo / n);
        }
        if (memo != null && hi == size) {
            byte[] m = memo.get(lo);
            if (m != null) {
                return m;
            }
        }
        long k = Long.highestOneBit(n - 1);
        byte[] r = Merkle.nodeHash(subtree(lo, lo + k, memo), subtree(lo + k, hi, memo));
        if (memo != null && hi == size) {
            memo.put(lo, r);
        }
        return r;
    }

    /** The root hash of the tree of {@code treeSize} leaves ({@code treeSize <= size()}). */
    public byte[] rootHash(long treeSize) throws IOException {
        lock.readLock().lock();
        try {
            checkSize(treeSize);
            return treeSize == 0 ? Merkle.emptyRoot() : subtree(0, treeSize, null);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The stored hash of leaf {@code index}. */
    public byte[] leafHash(long index) throws IOException {
        lock.readLock().lock();
        try {
            return stored(0, index);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The RFC 9162 inclusion proof of leaf {@code index} in the tree of {@code treeSize}. */
    public List<byte[]> inclusionProof(long index, long treeSize) throws IOException {
        return inclusionProofs(new long[] {index}, treeSize).get(0);
    }

    /** Inclusion proofs of several leaves in one tree, sharing the work on the tree's right edge. */
    public List<List<byte[]>> inclusionProofs(long[] indices, long treeSize) throws IOException {
        lock.readLock().lock();
        try {
            checkSize(treeSize);
            Map<Long, byte[]> memo = treeSize == size ? new HashMap<>() : null;
            List<List<byte[]>> out = new ArrayList<>(indices.length);
            for (long index : indices) {
                if (index < 0 || index >= treeSize) {
                    throw new IllegalArgumentException("index outside the tree");
                }
                List<byte[]> proof = new ArrayList<>();
                long lo = 0;
                long hi = treeSize;
                while (hi - lo > 1) {
                    long k = Long.highestOneBit(hi - lo - 1);
                    if (index - lo < k) {
                        proof.add(subtree(lo + k, hi, hi == size ? memo : null));
                        hi = lo + k;
                    } else {
                        proof.add(subtree(lo, lo + k, null));
                        lo += k;
                    }
                }
                Collections.reverse(proof);
                out.add(proof);
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The RFC 9162 consistency proof from {@code from} to {@code to} leaves, {@code 0 < from <= to <= size()}. */
    public List<byte[]> consistencyProof(long from, long to) throws IOException {
        lock.readLock().lock();
        try {
            checkSize(to);
            if (from <= 0 || from > to) {
                throw new IllegalArgumentException("from must be between 1 and to");
            }
            List<byte[]> out = new ArrayList<>();
            if (from < to) {
                subproof(from, 0, to, true, out);
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    private void subproof(long m, long lo, long hi, boolean whole, List<byte[]> out) throws IOException {
        long n = hi - lo;
        if (m == n) {
            if (!whole) {
                out.add(subtree(lo, hi, null));
            }
            return;
        }
        long k = Long.highestOneBit(n - 1);
        if (m <= k) {
            subproof(m, lo, lo + k, whole, out);
            out.add(subtree(lo + k, hi, null));
        } else {
            subproof(m - k, lo + k, hi, false, out);
            out.add(subtree(lo, lo + k, null));
        }
    }

    /**
     * The hashes of tile {@code index} at tile level {@code level}, {@code width} wide (a byte range of one file).
     */
    public byte[] tile(int level, long index, int width) throws IOException {
        lock.readLock().lock();
        try {
            int h = level * 8;
            long first = index * 256;
            if (h >= files.size() || first + width > (size >>> h)) {
                throw new IllegalArgumentException("tile is not stored");
            }
            byte[] out = new byte[width * H];
            readFully(files.get(h), first * H, out, 0, out.length);
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Recomputes every interior hash from the level below and compares it with the stored one.
     *
     * @return the first level whose stored hashes disagree with the level below, or -1 when all agree
     */
    public int firstCorruptLevel() throws IOException {
        lock.readLock().lock();
        try {
            for (int h = 1; h < files.size() && (size >>> h) > 0; h++) {
                long count = size >>> h;
                byte[] below = new byte[2 * H * 1024];
                byte[] here = new byte[H * 1024];
                for (long k = 0; k < count; k += 1024) {
                    int n = (int) Math.min(1024, count - k);
                    readFully(files.get(h - 1), 2 * k * H, below, 0, 2 * n * H);
                    readFully(files.get(h), k * H, here, 0, n * H);
                    for (int i = 0; i < n; i++) {
                        byte[] l = java.util.Arrays.copyOfRange(below, 2 * i * H, 2 * i * H + H);
                        byte[] r = java.util.Arrays.copyOfRange(below, 2 * i * H + H, 2 * i * H + 2 * H);
                        byte[] want = Merkle.nodeHash(l, r);
                        if (!java.util.Arrays.equals(want, 0, H, here, i * H, i * H + H)) {
                            return h;
                        }
                    }
                }
            }
            return -1;
        } finally {
            lock.readLock().unlock();
        }
    }

    private void checkSize(long treeSize) {
        if (treeSize < 0 || treeSize > size) {
            throw new IllegalArgumentException("tree size " + treeSize + " is larger than the tree");
        }
    }

    static void readFully(FileChannel ch, long pos, byte[] dst, int off) throws IOException {
        readFully(ch, pos, dst, off, H);
    }

    static void readFully(FileChannel ch, long pos, byte[] dst, int off, int len) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(dst, off, len);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + (b.position() - off));
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    @Override
    public void close() throws IOException {
        lock.writeLock().lock();
        try {
            for (FileChannel ch : files) {
                ch.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
