package dev.writ.bench.load;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;

/**
 * An open-model load loop: requests are sent on a fixed schedule (request {@code i} is due at
 * {@code start + i / rate}) whatever the target does, and each latency is measured from the request's <em>intended</em>
 * send time, so time spent queued behind a slow response (or behind a late sender) is counted, not omitted.
 *
 * <p>The schedule runs warm-up and measurement back to back; only requests due in the measurement window are recorded.
 * Completion is asynchronous (Jetty's {@link HttpClient}), so one sending thread drives any rate the client can keep
 * up with; the sender's own lateness is reported as {@link Result#maxSendLagNanos}.
 */
final class OpenLoop {
    /** Latencies above this are clamped (they are failures of the run anyway). */
    private static final long MAX_LATENCY = TimeUnit.SECONDS.toNanos(60);

    /** Builds the request with sequence number {@code i} (0-based over warm-up and measurement). */
    @FunctionalInterface
    interface Requests {
        Request build(HttpClient client, long i);
    }

    /**
     * What one run measured.
     *
     * @param achievedRate measured requests completed per second of measurement window (from the first intended send
     *     to the last completion)
     * @param clientCpuNanos CPU time of this (generator) process during the measurement window
     * @param targetCpuNanos CPU time of the target processes during the measurement window, -1 when unknown
     */
    record Result(
            String label,
            int offeredRate,
            Duration duration,
            Histogram latency,
            long measured,
            long ok,
            Map<String, Long> errors,
            double achievedRate,
            long maxSendLagNanos,
            long clientCpuNanos,
            long targetCpuNanos,
            double loadAverage) {

        long errorCount() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }

        double p(double percentile) {
            return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1e6;
        }
    }

    private OpenLoop() {}

    static Result run(
            String label,
            HttpClient client,
            Requests requests,
            int expectedStatus,
            int rate,
            Duration warmup,
            Duration duration,
            List<Long> targetPids)
            throws InterruptedException {
        if (rate < 1) {
            throw new IllegalArgumentException("rate must be positive");
        }
        long warmCount = warmup.toNanos() * rate / 1_000_000_000L;
        long measureCount = Math.max(1, duration.toNanos() * rate / 1_000_000_000L);
        long total = warmCount + measureCount;
        double interval = 1e9 / rate;
        Recorder recorder = new Recorder(MAX_LATENCY, 3);
        Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        LongAdder ok = new LongAdder();
        LongAdder done = new LongAdder();
        AtomicLong lastCompletion = new AtomicLong();
        long start = System.nanoTime() + 20_000_000L;
        long measureStart = start + (long) (warmCount * interval);
        long maxLag = 0;
        long cpu0 = 0;
        long target0 = 0;
        for (long i = 0; i < total; i++) {
            long intended = start + (long) (i * interval);
            long now = System.nanoTime();
            if (intended > now) {
                LockSupport.parkNanos(intended - now);
                now = System.nanoTime();
            }
            boolean measuredRequest = i >= warmCount;
            if (i == warmCount) {
                cpu0 = processCpu();
                target0 = Cpu.of(targetPids);
            }
            if (measuredRequest) {
                maxLag = Math.max(maxLag, now - intended);
            }
            Request r;
            try {
                r = requests.build(client, i);
            } catch (RuntimeException e) {
                if (measuredRequest) {
                    errors.computeIfAbsent("client:" + e.getClass().getSimpleName(), k -> new LongAdder())
                            .increment();
                    done.increment();
                }
                continue;
            }
            r.send(result -> {
                long end = System.nanoTime();
                if (!measuredRequest) {
                    return;
                }
                String error = null;
                if (result.isFailed()) {
                    Throwable f = result.getFailure();
                    error = "io:" + (f == null ? "unknown" : f.getClass().getSimpleName());
                } else if (result.getResponse().getStatus() != expectedStatus) {
                    error = "http:" + result.getResponse().getStatus();
                }
                if (error == null) {
                    ok.increment();
                    recorder.recordValue(Math.min(MAX_LATENCY, end - intended));
                } else {
                    errors.computeIfAbsent(error, k -> new LongAdder()).increment();
                }
                lastCompletion.accumulateAndGet(end, Math::max);
                done.increment();
            });
        }
        // Wait for the stragglers, but not forever: what has not answered by then is an error.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (done.sum() < measureCount && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        long cpu = processCpu() - cpu0;
        long targetCpu = targetPids.isEmpty() ? -1 : Cpu.of(targetPids) - target0;
        long missing = measureCount - done.sum();
        Map<String, Long> errorCounts = new TreeMap<>();
        errors.forEach((k, v) -> errorCounts.put(k, v.sum()));
        if (missing > 0) {
            errorCounts.merge("timeout:no-answer-after-30s", missing, Long::sum);
        }
        long window = Math.max(1, lastCompletion.get() - measureStart);
        double achieved = done.sum() * 1e9 / Math.max(window, (long) (measureCount * interval));
        return new Result(
                label,
                rate,
                duration,
                recorder.getIntervalHistogram(),
                measureCount,
                ok.sum(),
                errorCounts,
                achieved,
                maxLag,
                cpu,
                targetCpu,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
