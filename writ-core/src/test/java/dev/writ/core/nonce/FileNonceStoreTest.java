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
}
