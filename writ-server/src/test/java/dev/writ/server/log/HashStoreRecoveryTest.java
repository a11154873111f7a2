package dev.writ.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.core.log.Merkle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression: a crash can leave the per-level hash files at different lengths (level 0 written, a higher level not
 * yet). Reopening must settle on the largest tree whose every level is complete, not fail on a short level.
 */
class HashStoreRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void aHigherLevelShorterThanTheLeavesIsRecoveredToTheLargestCompleteTree() throws Exception {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            leaves.add(Merkle.leafHash(new byte[] {(byte) i}));
        }
        byte[] rootOf95;
        try (HashStore store = new HashStore(dir)) {
            store.appendLeaves(leaves);
            store.force();
            rootOf95 = store.rootHash(95);
        }
        // Level 2 (100 >>> 2 = 25 hashes) loses its last two hashes, as if the crash came before they were written.
        try (FileChannel ch = FileChannel.open(dir.resolve("2"), StandardOpenOption.WRITE)) {
            ch.truncate(23L * Merkle.HASH_SIZE);
        }
        try (HashStore store = new HashStore(dir)) {
            // 23 complete level-2 hashes cover at most 95 leaves (95 >>> 2 = 23).
            assertThat(store.size()).isEqualTo(95);
            assertThat(store.rootHash(95)).isEqualTo(rootOf95);
            assertThat(Files.size(dir.resolve("0"))).isEqualTo(95L * Merkle.HASH_SIZE);
            store.appendLeaves(leaves.subList(95, 100));
            assertThat(store.size()).isEqualTo(100);
        }
    }
}
