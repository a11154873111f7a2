package dev.writ.bench.ops;

import dev.writ.server.ops.WritMetrics;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What instrumentation costs on the hot path: one authorize decision, one HTTP request (counter and histogram by
 * route, method and status), one gateway request. Run with {@code -prof gc} to see that recording allocates nothing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MetricsBenchmark {
    WritMetrics metrics;

    @Setup
    public void setup() {
        metrics = WritMetrics.create();
    }

    @Benchmark
    public void authorizeAllowed() {
        metrics.authorizeAllowed(812_000);
    }

    @Benchmark
    public void authorizeDenied() {
        metrics.authorizeDenied("denied.policy", 640_000);
    }

    @Benchmark
    public void httpRequest() {
        metrics.httpRequest("/v1/authorize", "POST", 200, 900_000);
    }

    @Benchmark
    public void gatewayRequest() {
        metrics.gatewayRequest("enforce", "forwarded", "", 310_000);
    }
}
