package dev.writ.bench.load;

import java.util.Locale;

/** Prints results, one line each, in a form that is easy to paste into a table. */
final class Report {
    private Report() {}

    static void print(OpenLoop.Result r) {
        long n = Math.max(1, r.measured());
        System.out.printf(
                Locale.ROOT,
                "%-18s offered %5d/s achieved %7.1f/s n=%d ok=%d | p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms"
                        + " | target CPU %s µs/req, generator CPU %.0f µs/req | send lag max %.1f ms | load %.2f"
                        + " | errors %s%n",
                r.label(),
                r.offeredRate(),
                r.achievedRate(),
                r.measured(),
                r.ok(),
                r.p(50),
                r.p(99),
                r.p(99.9),
                r.latency().getTotalCount() == 0 ? Double.NaN : r.latency().getMaxValue() / 1e6,
                r.targetCpuNanos() < 0 ? "-" : String.format(Locale.ROOT, "%.0f", r.targetCpuNanos() / 1e3 / n),
                r.clientCpuNanos() / 1e3 / n,
                r.maxSendLagNanos() / 1e6,
                r.loadAverage(),
                r.errors().isEmpty() ? "none" : r.errors().toString());
    }

    static void added(OpenLoop.Result direct, OpenLoop.Result proxied) {
        System.out.printf(
                Locale.ROOT,
                "%-18s p50 %+.3f  p99 %+.3f  p99.9 %+.3f ms%n",
                "added (" + proxied.label() + ")",
                proxied.p(50) - direct.p(50),
                proxied.p(99) - direct.p(99),
                proxied.p(99.9) - direct.p(99.9));
    }
}
