package dev.writ.bench.log;

import dev.writ.core.log.LogReceipt;
import dev.writ.server.log.postgres.PostgresLog;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Fixed-rate load on the PostgreSQL audit log, from one or more "nodes" ({@link PostgresLog} instances with their own
 * pools, in this JVM) appending to one tree. 1 KB appends are issued round-robin over the nodes on a schedule of
 * {@code rate} per second; each receipt's latency is measured from its <em>scheduled</em> start (no coordinated
 * omission). Prints throughput, receipt latency p50/p99/p99.9/max, and per node the batches, entries per batch,
 * database round trips per batch and stale optimistic writes (the other node had appended).
 *
 * <p>Usage: {@code PostgresLogLoadGenerator <postgresql://user:password@host:port/db> [rate=5000] [seconds=10]
 * [nodes=1]}. The database is scratch: the log tables in it are emptied first.
 */
public final class PostgresLogLoadGenerator {
    private PostgresLogLoadGenerator() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: PostgresLogLoadGenerator <postgresql://...> [rate] [seconds] [nodes]");
            System.exit(2);
        }
        String location = args[0];
        long rate = args.length > 1 ? Long.parseLong(args[1]) : 5_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int nodes = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        BenchSigner signer = new BenchSigner();
        List<PostgresLog> logs = new ArrayList<>();
        try {
            reset(location);
            for (int i = 0; i < nodes; i++) {
                logs.add(PostgresLog.open(location, signer));
            }
            // Warm-up: one second at the target rate, not recorded.
            run(logs, rate, 1, null, new AtomicLong(), new AtomicLong()).join();
            List<PostgresLog.Stats> before =
                    logs.stream().map(PostgresLog::stats).toList();
            Recorder recorder = new Recorder(3);
            AtomicLong done = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            long start = System.nanoTime();
            run(logs, rate, seconds, recorder, done, failed).join();
            double elapsed = (System.nanoTime() - start) / 1e9;
            Histogram h = recorder.getIntervalHistogram();
            System.out.printf(
                    "%d node(s), offered %d/s for %ds: completed %d (%.0f/s), failed %d%n",
                    nodes, rate, seconds, done.get(), done.get() / elapsed, failed.get());
            System.out.printf(
                    "receipt latency ms: p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n",
                    h.getValueAtPercentile(50) / 1e6,
                    h.getValueAtPercentile(99) / 1e6,
                    h.getValueAtPercentile(99.9) / 1e6,
                    h.getMaxValue() / 1e6);
            for (int i = 0; i < nodes; i++) {
                PostgresLog.Stats a = before.get(i);
                PostgresLog.Stats b = logs.get(i).stats();
                long batches = b.batches() - a.batches();
                System.out.printf(
                        "node %d: %d batches, %.1f entries/batch, %.2f round trips/batch, %d stale writes%n",
                        i,
                        batches,
                        (b.entries() - a.entries()) / (double) Math.max(1, batches),
                        (b.roundTrips() - a.roundTrips()) / (double) Math.max(1, batches),
                        b.conflicts() - a.conflicts());
            }
            System.out.printf(
                    "tree size %d, audit ok: %d entries%n",
                    logs.get(0).size(), logs.get(0).audit());
        } finally {
            for (PostgresLog l : logs) {
                l.close();
            }
        }
    }

    /** Empties the log tables, when there are any, so each run starts from the empty tree. */
    private static void reset(String location) throws Exception {
        dev.writ.server.store.postgres.PostgresLocation at =
                dev.writ.server.store.postgres.PostgresLocation.parse(location);
        try (Connection c = DriverManager.getConnection(at.jdbcUrl(), at.user(), at.password());
                Statement s = c.createStatement()) {
            s.execute("TRUNCATE log_sequencer, log_entries, log_hashes, log_checkpoints, log_jti");
        } catch (java.sql.SQLException e) {
            // 42P01: no log tables yet (a fresh database); opening the log creates them.
            if (!"42P01".equals(e.getSQLState())) {
                throw e;
            }
        }
    }

    private static CompletableFuture<Void> run(
            List<PostgresLog> logs, long rate, int seconds, Recorder rec, AtomicLong done, AtomicLong failed)
            throws Exception {
        byte[] entry = LogAppendBenchmark.ENTRY;
        long interval = 1_000_000_000L / rate;
        long total = rate * seconds;
        long t0 = System.nanoTime();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int n = 0; n < logs.size(); n++) {
            all.add(CompletableFuture.completedFuture(null));
        }
        for (long i = 0; i < total; i++) {
            long scheduled = t0 + i * interval;
            long now;
            while ((now = System.nanoTime()) < scheduled) {
                LockSupport.parkNanos(Math.min(scheduled - now, 50_000));
            }
            int node = (int) (i % logs.size());
            CompletableFuture<LogReceipt> f = logs.get(node).appendAsync(entry);
            all.set(node, f.handle((r, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                    return null;
                }
                if (rec != null) {
                    rec.recordValue(System.nanoTime() - scheduled);
                }
                done.incrementAndGet();
                return null;
            }));
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture[0]));
    }
}
