package dev.writ.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tree hashes from tiles equal the reference tree; the audit catches any flipped byte. */
class TiledTreeTest {

    /** Builds every tile of a tree of {@code size} the slow way, from the reference tree. */
    static Map<String, byte[]> tiles(NaiveTree t, int size, List<byte[]> entries) {
        Map<String, byte[]> out = new HashMap<>();
        for (int level = 0; (size >>> (8 * level)) > 0; level++) {
            long n = size >>> (8 * level);
            for (long tile = 0; tile * 256 < n; tile++) {
                int width = TiledTree.tileWidth(level, tile, size);
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                for (int i = 0; i < width; i++) {
                    int span = 1 << (8 * level);
                    int lo = (int) ((tile * 256 + i) * span);
                    b.writeBytes(t.mth(lo, lo + span));
                }
                out.put(new TilePath(level, tile, width).path(), b.toByteArray());
            }
        }
        for (long tile = 0; tile * 256 < size; tile++) {
            int width = TiledTree.tileWidth(0, tile, size);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int i = 0; i < width; i++) {
                byte[] e = entries.get((int) (tile * 256 + i));
                b.write(e.length >>> 8);
                b.write(e.length);
                b.writeBytes(e);
            }
            out.put(new TilePath(TilePath.ENTRIES, tile, width).path(), b.toByteArray());
        }
        return out;
    }

    static TileReader reader(Map<String, byte[]> tiles) {
        return p -> {
            byte[] b = tiles.get(p.path());
            if (b == null) {
                throw new IOException("no " + p);
            }
            return b.clone();
        };
    }

    @Test
    void rootFromTilesMatchesReferenceAndAuditDetectsEveryFlip() throws Exception {
        int size = 256 * 256 + 300;
        NaiveTree t = new NaiveTree();
        List<byte[]> entries = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            entries.add(NaiveTree.entry(i));
            t.add(entries.get(i));
        }
        Map<String, byte[]> tiles = tiles(t, size, entries);
        for (int s : new int[] {1, 2, 255, 256, 257, 511, 512, 65535, 65536, 65537, size}) {
            Map<String, byte[]> ts = tiles(t, s, entries);
            assertThat(TiledTree.rootHash(s, reader(ts))).as("size " + s).isEqualTo(t.root(s));
        }
        assertThat(TiledTree.auditLog(size, t.root(size), reader(tiles))).isEqualTo(size);

        for (String path : List.of(
                "tile/0/000",
                "tile/0/257.p/44",
                "tile/1/000",
                "tile/1/001.p/1",
                "tile/2/000.p/1",
                "tile/entries/000",
                "tile/entries/257.p/44")) {
            byte[] orig = tiles.get(path);
            assertThat(orig).as(path).isNotNull();
            for (int pos : new int[] {0, orig.length / 2, orig.length - 1}) {
                byte[] tampered = orig.clone();
                tampered[pos] ^= 0x01;
                tiles.put(path, tampered);
                ReceiptAndCheckpointTest.Call c = () -> TiledTree.auditLog(size, t.root(size), reader(tiles));
                org.assertj.core.api.Assertions.assertThatThrownBy(c::run)
                        .as(path + "@" + pos)
                        .isInstanceOf(LogVerificationException.class);
            }
            tiles.put(path, orig);
        }
    }
}
