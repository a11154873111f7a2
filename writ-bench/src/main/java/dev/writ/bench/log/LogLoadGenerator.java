package dev.writ.bench.log;

import dev.writ.core.log.LogReceipt;
import dev.writ.server.log.AuditLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Fixed-rate load on the audit log: 1 KB appends are issued on a schedule of {@code rate} per second, and each
 * receipt's latency is measured from its <em>scheduled</em> start (so queueing is not hidden: no coordinated
 * omission). Prints achieved throughput and receipt latency p50/p99/p99.9/max.
 *
 * <p>Usage: {@code LogLoadGenerator [rate=20000] [seconds=10] [syncInterval=65536]}.
 */
public final class LogLoadGenerator {
    private LogLoadGenerator() {}

    public static void main(String[] args) throws Exception {
        long rate = args.length > 0 ? Long.parseLong(args[0]) : 20_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        long syncInterval = args.length > 2
                ? Long.parseLong(args[2])
                : AuditLog.Options.defaults().syncInterval();
        Path dir = Files.createTempDirectory("writ-log-load");
        Recorder recorder = new Recorder(3);
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        byte[] entry = LogAppendBenchmark.ENTRY;
        AuditLog.Options options = new AuditLog.Options(AuditLog.MAX_ENTRY_SIZE, 8192, syncInterval);
        try (AuditLog log = AuditLog.open(dir, new BenchSigner(), options)) {
            // Warm-up: one second at the target rate, not recorded.
            run(log, entry, rate, 1, null, new AtomicLong(), new AtomicLong());
            long start = System.nanoTime();
            CompletableFuture<Void> last = run(log, entry, rate, seconds, recorder, done, failed);
            last.join();
            double elapsed = (System.nanoTime() - start) / 1e9;
            Histogram h = recorder.getIntervalHistogram();
            System.out.printf(
                    "offered %d/s for %ds: completed %d (%.0f/s), failed %d%n",
                    rate, seconds, done.get(), done.get() / elapsed, failed.get());
            System.out.printf(
                    "receipt latency ms: p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n",
                    h.getValueAtPercentile(50) / 1e6,
                    h.getValueAtPercentile(99) / 1e6,
                    h.getValueAtPercentile(99.9) / 1e6,
                    h.getMaxValue() / 1e6);
        } finally {
            LogAppendBenchmark.deleteTree(dir);
        }
    }

    private static CompletableFuture<Void> run(
            AuditLog log, byte[] entry, long rate, int seconds, Recorder rec, AtomicLong done, AtomicLong failed)
            throws Exception {
        long interval = 1_000_000_000L / rate;
        long total = rate * seconds;
        long t0 = System.nanoTime();
        CompletableFuture<LogReceipt> last = CompletableFuture.completedFuture(null);
        for (long i = 0; i < total; i++) {
            long scheduled = t0 + i * interval;
            long now;
            while ((now = System.nanoTime()) < scheduled) {
                LockSupport.parkNanos(Math.min(scheduled - now, 50_000));
            }
            last = log.appendAsync(entry).whenComplete((r, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                    return;
                }
                if (rec != null) {
                    rec.recordValue(System.nanoTime() - scheduled);
                }
                done.incrementAndGet();
            });
        }
        return last.handle((r, e) -> null);
    }
}
