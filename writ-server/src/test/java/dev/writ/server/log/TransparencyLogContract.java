package dev.writ.server.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.TilePath;
import dev.writ.core.log.TiledTree;
import dev.writ.core.log.VerifiedLogReceipt;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TransparencyLog} must do, run against each implementation: receipts that verify offline with
 * {@code dev.writ.core.log}, checkpoints that are all of one tree, tiles and entry bundles equal to a naively computed
 * tree, jti lookups, refusals, reopening, and no acknowledged entry lost when the writing process is SIGKILLed.
 */
public abstract class TransparencyLogContract {
    protected static final ObjectMapper JSON = new ObjectMapper();
    public static final TestSigner SIGNER = new TestSigner("writ.test/log", 7);

    /** Opens the log under test (the same stored log on every call of one test), with default options. */
    protected abstract TransparencyLog open() throws Exception;

    /** Arguments for {@link LogCrashChild} that make it open the same stored log as {@link #open}. */
    protected abstract List<String> crashChildArgs();

    /** Environment for {@link LogCrashChild}. */
    protected Map<String, String> crashChildEnv() {
        return Map.of();
    }

    public static byte[] entry(int i) {
        return ("{\"jti\":\"j" + i + "\",\"type\":\"sae\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** Every pair of checkpoints is of one tree: each smaller one is a prefix of each larger one. */
    public static void assertPairwiseConsistent(TransparencyLog log, List<Checkpoint> checkpoints) throws Exception {
        Map<Long, Checkpoint> bySize = new TreeMap<>();
        for (Checkpoint cp : checkpoints) {
            Checkpoint other = bySize.putIfAbsent(cp.size(), cp);
            // Two checkpoints of one size must name the same root, or the log forked.
            if (other != null) {
                assertThat(other.rootHash()).isEqualTo(cp.rootHash());
            }
        }
        List<Checkpoint> sorted = new ArrayList<>(bySize.values());
        for (int a = 0; a < sorted.size(); a++) {
            for (int b = a + 1; b < sorted.size(); b++) {
                Checkpoint x = sorted.get(a);
                Checkpoint y = sorted.get(b);
                if (x.size() == 0) {
                    continue;
                }
                Merkle.verifyConsistency(
                        x.size(), y.size(), log.consistencyProof(x.size(), y.size()), x.rootHash(), y.rootHash());
            }
        }
    }

    @Test
    void receiptsVerifyAndEveryCheckpointHandedOutIsOfOneTree() throws Exception {
        try (TransparencyLog log = open()) {
            assertThat(log.size()).isZero();
            List<Checkpoint> seen = new ArrayList<>();
            seen.add(Checkpoint.verify(log.checkpoint(), log.verifier()).checkpoint());
            List<CompletableFuture<LogReceipt>> fs = new ArrayList<>();
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 60; i++) {
                    fs.add(log.appendAsync(entry(fs.size())));
                }
                fs.get(fs.size() - 1).get(30, TimeUnit.SECONDS);
                seen.add(Checkpoint.verify(log.checkpoint(), log.verifier()).checkpoint());
            }
            for (int i = 0; i < fs.size(); i++) {
                LogReceipt r = fs.get(i).get(30, TimeUnit.SECONDS);
                VerifiedLogReceipt v = r.verify(entry(i), log.verifier());
                assertThat(v.index()).isEqualTo(r.index());
                assertThat(log.entry(r.index())).isEqualTo(entry(i));
                seen.add(v.checkpoint().checkpoint());
            }
            assertThat(fs.stream().map(f -> f.join().index()).distinct().count())
                    .isEqualTo(fs.size());
            LogReceipt last = log.append(entry(fs.size()));
            assertThat(last.index()).isEqualTo(fs.size());
            assertThat(log.size()).isEqualTo(fs.size() + 1);
            System.out.println(getClass().getSimpleName() + ": "
                    + seen.stream().map(Checkpoint::size).distinct().count() + " distinct checkpoints");
            assertPairwiseConsistent(log, seen);
            // A receipt never verifies for other bytes.
            assertThatThrownBy(() -> last.verify(entry(0), log.verifier()))
                    .isInstanceOf(dev.writ.core.log.LogVerificationException.class);
        }
    }

    @Test
    void tilesBundlesRootsAndProofsMatchANaiveTree() throws Exception {
        int n = 777;
        List<byte[]> entries = new ArrayList<>();
        Random random = new Random(42);
        for (int i = 0; i < n; i++) {
            // Varied lengths, including the largest entry tlog-tiles can carry.
            byte[] e = i == 300 ? new byte[TransparencyLog.MAX_ENTRY_SIZE] : new byte[random.nextInt(300)];
            random.nextBytes(e);
            entries.add(e);
        }
        try (TransparencyLog log = open()) {
            List<CompletableFuture<LogReceipt>> fs = new ArrayList<>();
            for (byte[] e : entries) {
                fs.add(log.appendAsync(e));
            }
            for (CompletableFuture<LogReceipt> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(log.size()).isEqualTo(n);
            List<byte[]> leaves = entries.stream().map(Merkle::leafHash).toList();
            List<List<byte[]>> levels = naiveLevels(leaves);
            // Level-0 hash tiles, full and partial, and their entry bundles.
            for (long t = 0; t * 256 < n; t++) {
                int width = (int) Math.min(256, n - t * 256);
                assertThat(log.tile(new TilePath(0, t, width)))
                        .isEqualTo(concat(levels.get(0).subList((int) t * 256, (int) t * 256 + width)));
                ByteArrayOutputStream bundle = new ByteArrayOutputStream();
                for (int i = 0; i < width; i++) {
                    byte[] e = entries.get((int) t * 256 + i);
                    bundle.write(e.length >>> 8);
                    bundle.write(e.length & 0xff);
                    bundle.write(e);
                }
                assertThat(log.tile(new TilePath(TilePath.ENTRIES, t, width))).isEqualTo(bundle.toByteArray());
                // A narrower partial tile is a prefix; one wider than the tree is not there (yet).
                assertThat(log.tile(new TilePath(0, t, 1)))
                        .isEqualTo(levels.get(0).get((int) t * 256));
                if (width < 256) {
                    TilePath tooWide = new TilePath(0, t, width + 1);
                    assertThatThrownBy(() -> log.tile(tooWide))
                            .isInstanceOfSatisfying(LogException.class, e -> assertThat(e.code())
                                    .isEqualTo("log.not_found"));
                }
            }
            // The level-1 tile holds level-8 hashes: n >> 8 of them.
            assertThat(log.tile(new TilePath(1, 0, n >> 8))).isEqualTo(concat(levels.get(8)));
            assertThatThrownBy(() -> log.tile(new TilePath(0, 4, 1)))
                    .isInstanceOfSatisfying(
                            LogException.class, e -> assertThat(e.code()).isEqualTo("log.not_found"));
            byte[] root = naiveRoot(leaves, 0, n);
            Checkpoint cp = Checkpoint.verify(log.checkpoint(), log.verifier()).checkpoint();
            assertThat(cp.rootHash()).isEqualTo(root);
            assertThat(log.rootHash(n)).isEqualTo(root);
            assertThat(TiledTree.rootHash(n, log::readTile)).isEqualTo(root);
            assertThat(TiledTree.auditLog(n, root, log::readTile)).isEqualTo(n);
            assertThat(log.audit()).isEqualTo(n);
            for (int size : new int[] {1, 2, 3, 255, 256, 257, 512, 700, n}) {
                byte[] r = naiveRoot(leaves, 0, size);
                assertThat(log.rootHash(size)).isEqualTo(r);
                for (int i : new int[] {0, size / 2, size - 1}) {
                    Merkle.verifyInclusion(i, size, leaves.get(i), log.inclusionProof(i, size), r);
                }
                Merkle.verifyConsistency(size, n, log.consistencyProof(size, n), r, root);
            }
            // Sizes and indices outside the tree are refused with stable codes.
            assertThatThrownBy(() -> log.entry(n)).isInstanceOfSatisfying(LogException.class, e -> assertThat(e.code())
                    .isEqualTo("log.not_found"));
            assertThatThrownBy(() -> log.inclusionProof(0, n + 1))
                    .isInstanceOfSatisfying(
                            LogException.class, e -> assertThat(e.code()).isEqualTo("log.range"));
            assertThatThrownBy(() -> log.inclusionProof(5, 5))
                    .isInstanceOfSatisfying(
                            LogException.class, e -> assertThat(e.code()).isEqualTo("log.range"));
            assertThatThrownBy(() -> log.consistencyProof(0, n))
                    .isInstanceOfSatisfying(
                            LogException.class, e -> assertThat(e.code()).isEqualTo("log.range"));
            assertThatThrownBy(() -> log.consistencyProof(3, n + 1))
                    .isInstanceOfSatisfying(
                            LogException.class, e -> assertThat(e.code()).isEqualTo("log.range"));
        }
    }

    @Test
    void jtiLookupsFindTheFirstEntryCarryingIt() throws Exception {
        try (TransparencyLog log = open()) {
            log.append("{\"type\":\"x\",\"jti\":\"alpha\"}".getBytes(StandardCharsets.UTF_8));
            log.append("not json".getBytes(StandardCharsets.UTF_8));
            log.append("{\"jti\":\"beta\",\"nested\":{\"jti\":\"gamma\"}}".getBytes(StandardCharsets.UTF_8));
            log.append("{\"jti\":\"alpha\",\"again\":true}".getBytes(StandardCharsets.UTF_8));
            log.append("{\"jti\":42}".getBytes(StandardCharsets.UTF_8));
            String longJti = "L".repeat(20_000);
            log.append(("{\"jti\":\"" + longJti + "\"}").getBytes(StandardCharsets.UTF_8));
            assertThat(log.indexOfJti("alpha")).hasValue(0);
            assertThat(log.indexOfJti("beta")).hasValue(2);
            assertThat(log.indexOfJti(longJti)).hasValue(5);
            // Only a top-level string jti is indexed.
            assertThat(log.indexOfJti("gamma")).isEmpty();
            assertThat(log.indexOfJti("42")).isEmpty();
            assertThat(log.indexOfJti("missing")).isEmpty();
        }
    }

    @Test
    void oversizeEntriesAndAppendsAfterCloseAreRefused() throws Exception {
        TransparencyLog log = open();
        try {
            byte[] big = new byte[TransparencyLog.MAX_ENTRY_SIZE + 1];
            assertThatThrownBy(() -> log.append(big))
                    .isInstanceOfSatisfying(
                            LogException.class, e -> assertThat(e.code()).isEqualTo("log.entry.too_large"));
            assertThatThrownBy(() -> log.appendAsync(big))
                    .isInstanceOfSatisfying(
                            LogException.class, e -> assertThat(e.code()).isEqualTo("log.entry.too_large"));
            assertThat(log.size()).isZero();
            log.append(entry(0));
        } finally {
            log.close();
        }
        log.close(); // idempotent
        assertThatThrownBy(() -> log.append(entry(1)))
                .isInstanceOfSatisfying(
                        LogException.class, e -> assertThat(e.code()).isEqualTo("log.closed"));
    }

    @Test
    void reopeningKeepsTheTreeAndGrowsIt() throws Exception {
        byte[] first;
        try (TransparencyLog log = open()) {
            for (int i = 0; i < 99; i++) {
                log.appendAsync(entry(i));
            }
            log.append(entry(99));
            first = log.checkpoint();
        }
        try (TransparencyLog log = open()) {
            assertThat(log.size()).isEqualTo(100);
            assertThat(log.checkpoint()).isEqualTo(first);
            LogReceipt r = log.append(entry(100));
            assertThat(r.index()).isEqualTo(100);
            Checkpoint before = Checkpoint.verify(first, log.verifier()).checkpoint();
            Checkpoint after = r.verify(entry(100), log.verifier()).checkpoint().checkpoint();
            assertPairwiseConsistent(log, List.of(before, after));
            assertThat(log.audit()).isEqualTo(101);
        }
    }

    @Test
    void acknowledgedEntriesSurviveSigkillOfTheWriter() throws Exception {
        Random random = new Random(0x5eed);
        Map<Long, String> acked = new HashMap<>();
        List<LogReceipt> receipts = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            List<String> cmd = new ArrayList<>(List.of(
                    ProcessHandle.current().info().command().orElse("java"),
                    "-cp",
                    System.getProperty("java.class.path"),
                    "-Xshare:auto",
                    LogCrashChild.class.getName(),
                    "r" + round));
            cmd.addAll(crashChildArgs());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().putAll(crashChildEnv());
            Process p = pb.start();
            CountDownLatch acks = new CountDownLatch(50);
            List<String> lines = new ArrayList<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                try (BufferedReader r =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (lines) {
                            lines.add(line);
                        }
                        if (line.startsWith("ACK ")) {
                            acks.countDown();
                        }
                    }
                } catch (Exception e) {
                    // the child died; partial output is fine
                }
            });
            assertThat(acks.await(30, TimeUnit.SECONDS))
                    .as("child acknowledged appends")
                    .isTrue();
            Thread.sleep(50 + random.nextInt(400));
            p.destroyForcibly(); // SIGKILL on Linux
            p.waitFor(10, TimeUnit.SECONDS);
            reader.join(5000);
            synchronized (lines) {
                for (String line : lines) {
                    String[] f = line.split(" ", 3);
                    if (line.startsWith("ACK ") && f.length == 3) {
                        acked.put(Long.parseLong(f[1]), f[2]);
                    } else if (line.startsWith("RCPT ")) {
                        try {
                            receipts.add(LogReceipt.fromJson(JSON.readTree(line.substring(5))));
                        } catch (Exception e) {
                            // a line cut by the kill is not something the child handed out
                        }
                    }
                }
            }
            try (TransparencyLog log = open()) {
                long size = log.size();
                byte[] root = log.rootHash(size);
                for (Map.Entry<Long, String> a : acked.entrySet()) {
                    assertThat(a.getKey()).isLessThan(size);
                    assertThat(new String(log.entry(a.getKey()), StandardCharsets.UTF_8))
                            .contains("\"jti\":\"" + a.getValue() + "\"");
                }
                for (LogReceipt r : receipts) {
                    Checkpoint cp = r.verify(log.entry(r.index()), log.verifier())
                            .checkpoint()
                            .checkpoint();
                    Merkle.verifyConsistency(
                            cp.size(), size, log.consistencyProof(cp.size(), size), cp.rootHash(), root);
                }
                // The log still takes appends after the crash.
                log.append(entry(round));
            }
        }
        assertThat(acked).hasSizeGreaterThan(100);
        assertThat(receipts).isNotEmpty();
        try (TransparencyLog log = open()) {
            assertThat(log.audit()).isEqualTo(log.size());
        }
    }

    // ---------------------------------------------------------------- a naive tree

    static List<List<byte[]>> naiveLevels(List<byte[]> leaves) {
        List<List<byte[]>> levels = new ArrayList<>();
        levels.add(leaves);
        while (levels.get(levels.size() - 1).size() > 1) {
            List<byte[]> below = levels.get(levels.size() - 1);
            List<byte[]> up = new ArrayList<>();
            for (int i = 0; i + 1 < below.size(); i += 2) {
                up.add(Merkle.nodeHash(below.get(i), below.get(i + 1)));
            }
            levels.add(up);
        }
        while (levels.size() <= 16) {
            levels.add(List.of());
        }
        return levels;
    }

    /** RFC 6962 §2.1 MTH, straight from the definition. */
    static byte[] naiveRoot(List<byte[]> leaves, int lo, int hi) {
        int n = hi - lo;
        if (n == 1) {
            return leaves.get(lo);
        }
        int k = Integer.highestOneBit(n - 1);
        return Merkle.nodeHash(naiveRoot(leaves, lo, lo + k), naiveRoot(leaves, lo + k, hi));
    }

    static byte[] concat(List<byte[]> hashes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] h : hashes) {
            out.write(h, 0, h.length);
        }
        return out.toByteArray();
    }
}
