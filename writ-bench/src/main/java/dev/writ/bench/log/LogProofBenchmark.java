package dev.writ.bench.log;

import dev.writ.core.log.Merkle;
import dev.writ.server.log.HashStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Proof generation from stored hashes in a tree of {@code size} leaves (10 M by default). The tree is built once, in
 * setup, through the hash store's bulk path (synthetic leaf hashes, no entries), then proofs are requested for random
 * leaves of the full tree (inclusion) and random old sizes (consistency).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 3)
public class LogProofBenchmark {
    @Param("10000000")
    long size;

    Path dir;
    HashStore store;

    @Setup(Level.Trial)
    public void build() throws Exception {
        dir = Files.createTempDirectory("writ-proof-bench");
        store = new HashStore(dir);
        int chunk = 1 << 16;
        ByteBuffer seed = ByteBuffer.allocate(8);
        for (long i = 0; i < size; i += chunk) {
            int n = (int) Math.min(chunk, size - i);
            List<byte[]> leaves = new ArrayList<>(n);
            for (int j = 0; j < n; j++) {
                leaves.add(Merkle.leafHash(seed.putLong(0, i + j).array()));
            }
            store.appendLeaves(leaves);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        store.close();
        LogAppendBenchmark.deleteTree(dir);
    }

    @Benchmark
    public List<byte[]> inclusion() throws Exception {
        return store.inclusionProof(ThreadLocalRandom.current().nextLong(size), size);
    }

    @Benchmark
    public List<byte[]> consistency() throws Exception {
        return store.consistencyProof(1 + ThreadLocalRandom.current().nextLong(size - 1), size);
    }

    @Benchmark
    public byte[] root() throws Exception {
        return store.rootHash(size);
    }
}
