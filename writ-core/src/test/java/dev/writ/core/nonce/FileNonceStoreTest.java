package dev.writ.core.nonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileNonceStoreTest extends NonceStoreContract {
    @TempDir
    Path dir;

    @Override
    protected NonceStore open() throws Exception {
        return FileNonceStore.open(
                dir.resolve("nonces.journal"), InstantSource.system(), FileNonceStore.Durability.WRITE);
    }

    @Override
    protected NonceStore reopen(NonceStore store) throws Exception {
        store.close();
        return open();
    }

    @Test
    void expiredNoncesArePurgedFromTheJournalOnOpening() throws Exception {
        Path f = dir.resolve("purge.journal");
        try (FileNonceStore s = FileNonceStore.open(f, InstantSource.system(), FileNonceStore.Durability.SYNC)) {
            s.recordIfAbsent("short", Instant.now().plusMillis(100));
            s.recordIfAbsent("long", Instant.now().plus(Duration.ofMinutes(5)));
        }
        Thread.sleep(200);
        try (FileNonceStore s = FileNonceStore.open(f, InstantSource.system(), FileNonceStore.Durability.SYNC)) {
            assertThat(s.size()).isEqualTo(1);
            assertThat(Files.readString(f)).contains(" long\n").doesNotContain("short");
        }
    }

    @Test
    void aTornLastLineIsIgnored() throws Exception {
        Path f = dir.resolve("torn.journal");
        long exp = Instant.now().plus(Duration.ofMinutes(5)).toEpochMilli();
        Files.writeString(f, exp + " kept\n" + exp, StandardCharsets.US_ASCII);
        try (FileNonceStore s = FileNonceStore.open(f, InstantSource.system(), FileNonceStore.Durability.WRITE)) {
            assertThat(s.recordIfAbsent("kept", Instant.now().plusSeconds(60))).isFalse();
            assertThat(s.size()).isEqualTo(1);
        }
    }

    @Test
    void oneProcessAtATime() throws Exception {
        Path f = dir.resolve("locked.journal");
        try (FileNonceStore s = FileNonceStore.open(f, InstantSource.system(), FileNonceStore.Durability.WRITE)) {
            // A second opener in the same JVM sees the lock as held (OverlappingFileLockException) and fails closed.
            assertThatThrownBy(() -> FileNonceStore.open(f, InstantSource.system(), FileNonceStore.Durability.WRITE))
                    .isInstanceOf(NonceStoreException.class);
            assertThat(s.recordIfAbsent("still-works", Instant.now().plusSeconds(60)))
                    .isTrue();
        }
        Files.writeString(f, "", StandardOpenOption.APPEND);
    }

    @Test
    void compactionKeepsEveryLiveNonce() throws Exception {
        Path f = dir.resolve("compact.journal");
        try (FileNonceStore s = FileNonceStore.open(f, InstantSource.system(), FileNonceStore.Durability.WRITE)) {
            for (int i = 0; i < 25_000; i++) {
                assertThat(s.recordIfAbsent("n" + i, Instant.now().plusSeconds(i < 20_000 ? 0 : 300)))
                        .isTrue();
            }
            assertThat(s.recordIfAbsent("n24999", Instant.now().plusSeconds(60)))
                    .isFalse();
        }
        try (FileNonceStore s = FileNonceStore.open(f, InstantSource.system(), FileNonceStore.Durability.WRITE)) {
            assertThat(s.size()).isEqualTo(5_000);
            assertThat(s.recordIfAbsent("n20000", Instant.now().plusSeconds(60)))
                    .isFalse();
        }
    }

    @Test
    void compactionWhileRunningBoundsTheJournalAndKeepsEveryLiveNonce() throws Exception {
        // Regression: compaction used to wait for the journal to outgrow twice a live set that counted every nonce
        // appended since, so it never ran while the store was open and memory and the journal grew without bound.
        Path f = dir.resolve("running.journal");
        try (FileNonceStore s = FileNonceStore.open(f, InstantSource.system(), FileNonceStore.Durability.WRITE)) {
            for (int i = 0; i < 20_000; i++) {
                assertThat(s.recordIfAbsent("x" + i, Instant.now())).isTrue();
            }
            for (int i = 0; i < 12_000; i++) {
                assertThat(s.recordIfAbsent("k" + i, Instant.now().plusSeconds(300)))
                        .isTrue();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (Files.readAllLines(f).size() >= 32_000 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(Files.readAllLines(f)).hasSizeLessThan(32_000);
            for (int i = 0; i < 12_000; i += 997) {
                assertThat(s.recordIfAbsent("k" + i, Instant.now().plusSeconds(60)))
                        .isFalse();
            }
            assertThat(s.size()).isEqualTo(12_000);
        }
        try (FileNonceStore s = FileNonceStore.open(f, InstantSource.system(), FileNonceStore.Durability.WRITE)) {
            assertThat(s.size()).isEqualTo(12_000);
            assertThat(s.recordIfAbsent("k11999", Instant.now().plusSeconds(60)))
                    .isFalse();
        }
    }
}
