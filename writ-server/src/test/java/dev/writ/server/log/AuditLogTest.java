package dev.writ.server.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.LogVerificationException;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.TilePath;
import dev.writ.core.log.TiledTree;
import dev.writ.core.log.VerifiedLogReceipt;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    static final TestSigner SIGNER = new TestSigner("writ.test/log", 7);

    @TempDir
    Path dir;

    static byte[] entry(int i) {
        return ("{\"jti\":\"j" + i + "\",\"type\":\"sae\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
    }

    static AuditLog open(Path dir, long syncInterval) throws LogException {
        return AuditLog.open(dir, SIGNER, new AuditLog.Options(4096, 1024, syncInterval));
    }

    @Test
    void appendReturnsVerifiableReceiptsAndProofs() throws Exception {
        try (AuditLog log = open(dir, 100)) {
            assertThat(log.size()).isZero();
            List<CompletableFuture<LogReceipt>> fs = new ArrayList<>();
            for (int i = 0; i < 700; i++) {
                fs.add(log.appendAsync(entry(i)));
            }
            List<Checkpoint> seen = new ArrayList<>();
            for (int i = 0; i < fs.size(); i++) {
                LogReceipt r = fs.get(i).get();
                VerifiedLogReceipt v = r.verify(entry((int) r.index()), log.verifier());
                assertThat(v.index()).isEqualTo(r.index());
                seen.add(v.checkpoint().checkpoint());
            }
            assertThat(fs.stream().map(f -> f.join().index()).distinct().count())
                    .isEqualTo(700);
            LogReceipt last = log.append(entry(700));
            assertThat(last.index()).isEqualTo(700);
            long size = log.size();
            byte[] root = log.rootHash(size);
            // Every checkpoint handed out is consistent with the current tree.
            for (Checkpoint cp : seen) {
                Merkle.verifyConsistency(cp.size(), size, log.consistencyProof(cp.size(), size), cp.rootHash(), root);
            }
            for (long i : new long[] {0, 1, 255, 256, 699, 700}) {
                Merkle.verifyInclusion(i, size, Merkle.leafHash(log.entry(i)), log.inclusionProof(i, size), root);
                Merkle.verifyInclusion(
                        i, 701, Merkle.leafHash(log.entry(i)), log.inclusionProof(i, 701), log.rootHash(701));
            }
            assertThat(log.indexOfJti("j42")).hasValue(42);
            assertThat(log.indexOfJti("nope")).isEmpty();
            assertThat(TiledTree.auditLog(size, root, log::readTile)).isEqualTo(701);
            assertThat(TiledTree.rootHash(size, log::readTile)).isEqualTo(root);
            assertThat(log.tile(TilePath.parse("tile/0/002.p/189"))).hasSize(189 * 32);
            assertThat(log.tile(TilePath.parse("tile/0/002.p/5"))).hasSize(5 * 32);
            assertThatThrownBy(() -> log.tile(TilePath.parse("tile/0/002"))).isInstanceOf(LogException.class);
            assertThatThrownBy(() -> log.tile(TilePath.parse("tile/0/002.p/190")))
                    .isInstanceOf(LogException.class);
            assertThatThrownBy(() -> log.inclusionProof(701, 701)).isInstanceOf(LogException.class);
            assertThatThrownBy(() -> log.inclusionProof(0, 702)).isInstanceOf(LogException.class);
            assertThatThrownBy(() -> log.consistencyProof(0, 5)).isInstanceOf(LogException.class);
            assertThatThrownBy(() -> log.entry(701)).isInstanceOf(LogException.class);
            assertThatThrownBy(() -> log.append(new byte[4097]))
                    .isInstanceOf(LogException.class)
                    .extracting(e -> ((LogException) e).code())
                    .isEqualTo("log.entry.too_large");
        }
        // Reopen: same tree, jti index rebuilt, appends continue.
        try (AuditLog log = open(dir, 100)) {
            assertThat(log.size()).isEqualTo(701);
            assertThat(log.indexOfJti("j699")).hasValue(699);
            LogReceipt r = log.append(entry(701));
            assertThat(r.index()).isEqualTo(701);
            r.verify(entry(701), log.verifier());
        }
    }

    @Test
    void eventSinkWritesCanonicalJsonEntries() throws Exception {
        try (AuditLog log = open(dir, 100)) {
            var sink = new AuditLogEventSink(log);
            var body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
            body.put("serial", "0a").put("jti", "ev1");
            sink.record("cert.revoked", body);
            assertThat(new String(log.entry(0), StandardCharsets.UTF_8))
                    .isEqualTo("{\"jti\":\"ev1\",\"serial\":\"0a\",\"type\":\"cert.revoked\"}");
            assertThat(log.indexOfJti("ev1")).hasValue(0);
            body.put("type", "forged");
            assertThatThrownBy(() -> sink.record("cert.revoked", body))
                    .isInstanceOf(dev.writ.server.events.EventSink.EventException.class);
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryIsRefused() throws Exception {
        try (AuditLog log = open(dir, 100)) {
            assertThatThrownBy(() -> open(dir, 100))
                    .isInstanceOf(LogException.class)
                    .extracting(e -> ((LogException) e).code())
                    .isEqualTo("log.unavailable");
        }
    }

    @Test
    void tornWalTailIsDroppedAndNeverServed() throws Exception {
        try (AuditLog log = open(dir, 1_000_000)) {
            for (int i = 0; i < 10; i++) {
                log.append(entry(i));
            }
        }
        // After close the WAL segment is empty; simulate a crash mid-write by appending a partial record.
        Path wal;
        try (var s = Files.list(dir)) {
            wal = s.filter(p -> p.getFileName().toString().startsWith("wal-"))
                    .findFirst()
                    .orElseThrow();
        }
        Files.write(wal, new byte[] {0, 0, 0, 50, 1, 2, 3, 4, 'x', 'y'});
        try (AuditLog log = open(dir, 1_000_000)) {
            assertThat(log.size()).isEqualTo(10);
            assertThat(log.append(entry(10)).index()).isEqualTo(10);
        }
    }

    @Test
    void tamperedTilesAndEntriesAreDetected() throws Exception {
        long size;
        byte[] root;
        try (AuditLog log = open(dir, 100)) {
            for (int i = 0; i < 600; i++) {
                log.appendAsync(entry(i));
            }
            size = log.append(entry(600)).index() + 1;
            root = log.rootHash(size);
        }
        for (String file : List.of("entries.data", "hashes/0", "hashes/8", "hashes/3", "entries.idx")) {
            Path p = dir.resolve(file);
            long len = Files.size(p);
            for (long pos : new long[] {0, len / 2, len - 1}) {
                flip(p, pos);
                System.out.println("flip " + file + "@" + pos);
                try {
                    assertThatThrownBy(() -> {
                                try (AuditLog log = open(dir, 100)) {
                                    log.audit();
                                }
                            })
                            .as(file + "@" + pos)
                            .isInstanceOfAny(LogVerificationException.class, LogException.class, IOException.class);
                } finally {
                    flip(p, pos);
                }
            }
        }
        try (AuditLog log = open(dir, 100)) {
            assertThat(TiledTree.auditLog(size, root, log::readTile)).isEqualTo(size);
            assertThat(log.audit()).isEqualTo(size);
        }
    }

    /** Copies a live log directory: what a crash would leave behind, minus the lock. */
    static Path crashImage(Path from, Path to) throws IOException {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                if (p.getFileName().toString().equals("lock")) {
                    continue;
                }
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return to;
    }

    @Test
    void aSignerWhoseSignaturesDoNotMatchItsPublishedKeyIsRefusedAtOpen() {
        TestSigner real = new TestSigner("writ.test/log", 1);
        TestSigner other = new TestSigner("writ.test/log", 2);
        CheckpointSigner mismatched = new CheckpointSigner() {
            @Override
            public String name() {
                return real.name();
            }

            @Override
            public byte[] publicKey() {
                return real.publicKey();
            }

            @Override
            public byte[] sign(byte[] message) {
                return other.sign(message); // a wrong key (or token, or algorithm) behind the signer
            }
        };
        assertThatThrownBy(() -> AuditLog.open(dir, mismatched))
                .isInstanceOfSatisfying(
                        LogException.class, e -> assertThat(e.code()).isEqualTo("log.signer"));
        // Nothing was signed or left locked: the right signer opens the same directory.
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                        () -> AuditLog.open(dir, real).close()))
                .isNull();
    }

    static Path wal(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("wal-"))
                    .sorted()
                    .reduce((a, b) -> b)
                    .orElseThrow();
        }
    }

    @Test
    void damageToAcknowledgedWalRecordsIsRefusedAndTornTailsRepaired(@TempDir Path images) throws Exception {
        Path a;
        Path b;
        try (AuditLog log = open(dir, 1_000_000)) {
            for (int i = 0; i < 50; i++) {
                log.append(entry(i));
            }
            a = crashImage(dir, images.resolve("a"));
            b = crashImage(dir, images.resolve("b"));
        }
        // An acknowledged record (the derived files already hold it) with a flipped byte: refuse, never truncate.
        flip(wal(a), 20);
        assertThatThrownBy(() -> open(a, 1_000_000).close())
                .isInstanceOf(LogException.class)
                .extracting(e -> ((LogException) e).code())
                .isEqualTo("log.corrupt");
        // A torn tail that was never acknowledged (cut mid-record, derived files never written): repaired.
        Path w = wal(b);
        long cut = Files.size(w) - 7;
        try (RandomAccessFile f = new RandomAccessFile(w.toFile(), "rw")) {
            f.setLength(cut);
        }
        for (String file : List.of("hashes/0", "hashes/1", "entries.idx")) {
            Path p = b.resolve(file);
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(f.length() - 32);
            }
        }
        try (AuditLog log = open(b, 1_000_000)) {
            assertThat(log.size()).isEqualTo(49);
            assertThat(log.audit()).isEqualTo(49);
            assertThat(log.append(entry(99)).index()).isEqualTo(49);
        }
    }

    static void flip(Path p, long pos) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.seek(pos);
            int b = f.read();
            f.seek(pos);
            f.write(b ^ 0x01);
        }
    }
}
