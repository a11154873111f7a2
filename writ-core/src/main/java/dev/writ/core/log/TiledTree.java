package dev.writ.core.log;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tree hashes computed from tlog-tiles resources, and a full audit of a log from its tiles.
 *
 * <p>A tile at level {@code L} holds hashes of subtrees of {@code 256^L} leaves. The tile of index {@code t} at level
 * {@code L} of a tree of size {@code s} has width {@code min(256, floor(s / 256^L) - 256 t)}.
 */
public final class TiledTree {
    private TiledTree() {}

    /** The width of tile {@code index} at {@code level} in a tree of {@code size}, or 0 when it does not exist. */
    public static int tileWidth(int level, long index, long size) {
        long hashes = level < 0 ? size : size >>> (TilePath.HEIGHT * level);
        long w = hashes - index * TilePath.FULL_WIDTH;
        if (w <= 0) {
            return 0;
        }
        return (int) Math.min(TilePath.FULL_WIDTH, w);
    }

    /**
     * Computes the root hash of the tree of {@code size} from hash tiles.
     *
     * @throws LogVerificationException {@code tile.malformed} when a tile has the wrong length
     * @throws IOException when a tile cannot be read
     */
    public static byte[] rootHash(long size, TileReader reader) throws IOException, LogVerificationException {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative");
        }
        if (size == 0) {
            return Merkle.emptyRoot();
        }
        byte[] root = null;
        // Perfect subtrees of the size's binary decomposition, right to left.
        long start = size;
        for (int h = 0; h < 63; h++) {
            if (((size >>> h) & 1) == 0) {
                continue;
            }
            start -= 1L << h;
            byte[] sub = perfectHash(h, start >>> h, size, reader);
            root = root == null ? sub : Merkle.nodeHash(sub, root);
        }
        return root;
    }

    /** The hash of the perfect subtree at Merkle level {@code h}, index {@code k}, read from the tiles of {@code size}. */
    static byte[] perfectHash(int h, long k, long size, TileReader reader)
            throws IOException, LogVerificationException {
        int level = h / TilePath.HEIGHT;
        int sub = h - level * TilePath.HEIGHT;
        long first = k << sub; // index of the first level-L hash
        long tile = first / TilePath.FULL_WIDTH;
        int width = tileWidth(level, tile, size);
        byte[] data = readHashTile(new TilePath(level, tile, width), reader);
        int off = (int) (first - tile * TilePath.FULL_WIDTH);
        List<byte[]> hashes = new ArrayList<>(1 << sub);
        for (int i = 0; i < (1 << sub); i++) {
            hashes.add(Arrays.copyOfRange(data, (off + i) * 32, (off + i + 1) * 32));
        }
        while (hashes.size() > 1) {
            List<byte[]> up = new ArrayList<>(hashes.size() / 2);
            for (int i = 0; i < hashes.size(); i += 2) {
                up.add(Merkle.nodeHash(hashes.get(i), hashes.get(i + 1)));
            }
            hashes = up;
        }
        return hashes.get(0);
    }

    private static byte[] readHashTile(TilePath path, TileReader reader) throws IOException, LogVerificationException {
        byte[] data = reader.read(path);
        // A tile is exactly width hashes; a short or long tile is torn or forged.
        if (data == null || data.length != path.width() * Merkle.HASH_SIZE) {
            throw new LogVerificationException("tile.malformed", "tile " + path + " has the wrong length");
        }
        return data;
    }

    /**
     * Audits a whole log: every entry bundle is parsed and hashed, every hash tile at every level is recomputed from
     * the level below and compared byte for byte, and the tree hash must equal {@code root}. Any changed byte in any
     * entry or tile is detected.
     *
     * @return the number of entries checked ({@code size})
     * @throws LogVerificationException {@code log.entries.mismatch}, {@code log.tile.mismatch},
     *     {@code log.root.mismatch} or {@code tile.malformed}
     * @throws IOException when a resource cannot be read
     */
    public static long auditLog(long size, byte[] root, TileReader reader)
            throws IOException, LogVerificationException {
        // Level 0: hash every entry, compare with the level-0 tiles.
        List<byte[]> fullTileHashes = new ArrayList<>();
        long tiles = (size + 255) / 256;
        for (long t = 0; t < tiles; t++) {
            int width = tileWidth(0, t, size);
            byte[] bundle = reader.read(new TilePath(TilePath.ENTRIES, t, width));
            byte[] expected = leafHashesOfBundle(bundle, width, t);
            byte[] tile = readHashTile(new TilePath(0, t, width), reader);
            // The stored leaf hashes must be exactly the hashes of the stored entries.
            if (!MessageDigest.isEqual(expected, tile)) {
                throw new LogVerificationException(
                        "log.tile.mismatch", "tile/0/" + TilePath.encodeIndex(t) + " does not match its entries");
            }
            if (width == TilePath.FULL_WIDTH) {
                fullTileHashes.add(tileRoot(tile));
            }
        }
        // Higher levels: each hash is the root of a full tile one level down.
        for (int level = 1; (size >>> (8 * level)) > 0; level++) {
            List<byte[]> next = new ArrayList<>();
            long n = size >>> (8 * level);
            long ltiles = (n + 255) / 256;
            for (long t = 0; t < ltiles; t++) {
                int width = tileWidth(level, t, size);
                byte[] tile = readHashTile(new TilePath(level, t, width), reader);
                byte[] expected = new byte[width * 32];
                for (int i = 0; i < width; i++) {
                    System.arraycopy(fullTileHashes.get((int) (t * 256 + i)), 0, expected, i * 32, 32);
                }
                if (!MessageDigest.isEqual(expected, tile)) {
                    throw new LogVerificationException(
                            "log.tile.mismatch",
                            "tile/" + level + "/" + TilePath.encodeIndex(t) + " does not match the level below");
                }
                if (width == TilePath.FULL_WIDTH) {
                    next.add(tileRoot(tile));
                }
            }
            fullTileHashes = next;
        }
        byte[] computed = rootHash(size, reader);
        if (!MessageDigest.isEqual(computed, root)) {
            throw new LogVerificationException("log.root.mismatch", "the tiles do not produce the checkpoint root");
        }
        return size;
    }

    /**
     * Parses an entry bundle (big-endian uint16 length-prefixed entries) of exactly {@code width} entries.
     *
     * @throws LogVerificationException {@code tile.malformed} when the bundle is truncated, has trailing bytes or the
     *     wrong number of entries
     */
    public static List<byte[]> parseBundle(byte[] bundle, int width) throws LogVerificationException {
        List<byte[]> out = new ArrayList<>(width);
        int pos = 0;
        while (pos < bundle.length) {
            if (pos + 2 > bundle.length) {
                throw new LogVerificationException("tile.malformed", "entry bundle is truncated");
            }
            int len = ((bundle[pos] & 0xff) << 8) | (bundle[pos + 1] & 0xff);
            pos += 2;
            if (pos + len > bundle.length) {
                throw new LogVerificationException("tile.malformed", "entry bundle is truncated");
            }
            out.add(Arrays.copyOfRange(bundle, pos, pos + len));
            pos += len;
        }
        // The bundle must hold exactly the entries the tree size says it holds.
        if (out.size() != width) {
            throw new LogVerificationException(
                    "tile.malformed", "entry bundle has " + out.size() + " entries, expected " + width);
        }
        return out;
    }

    private static byte[] leafHashesOfBundle(byte[] bundle, int width, long t) throws LogVerificationException {
        List<byte[]> entries = parseBundle(bundle, width);
        byte[] out = new byte[width * 32];
        for (int i = 0; i < width; i++) {
            System.arraycopy(Merkle.leafHash(entries.get(i)), 0, out, i * 32, 32);
        }
        return out;
    }

    /** The Merkle root of the 256 hashes of a full tile. */
    static byte[] tileRoot(byte[] tile) {
        byte[][] level = new byte[256][];
        for (int i = 0; i < 256; i++) {
            level[i] = Arrays.copyOfRange(tile, i * 32, i * 32 + 32);
        }
        for (int n = 256; n > 1; n /= 2) {
            for (int i = 0; i < n / 2; i++) {
                level[i] = Merkle.nodeHash(level[2 * i], level[2 * i + 1]);
            }
        }
        return level[0];
    }
}
