package dev.writ.bench.log;

import dev.writ.core.log.LogReceipt;
import dev.writ.server.log.AuditLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable appends per second: many threads each append a 1 KB entry and wait for its receipt (durable, sequenced,
 * signed checkpoint, inclusion proof). Group commit turns the concurrency into batches behind one fsync.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 1, time = 3)
@Measurement(iterations = 3, time = 5)
public class LogAppendBenchmark {
    static final byte[] ENTRY = entry();

    Path dir;
    AuditLog log;

    static byte[] entry() {
        String pad = "a".repeat(1024 - 40);
        byte[] e = ("{\"type\":\"bench\",\"pad\":\"" + pad + "\"}").getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(e, e.length);
    }

    @Setup(Level.Trial)
    public void open() throws Exception {
        dir = Files.createTempDirectory("writ-log-bench");
        log = AuditLog.open(dir, new BenchSigner());
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        log.close();
        deleteTree(dir);
    }

    @Benchmark
    @Threads(128)
    public LogReceipt append() throws Exception {
        return log.append(ENTRY);
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
