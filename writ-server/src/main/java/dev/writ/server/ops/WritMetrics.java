package dev.writ.server.ops;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The instruments of one Writ process (a {@code writ serve} or a {@code writ gateway}), in their own Prometheus
 * registry, exposed by {@link MetricsHandler}. The series names and labels are a stable interface, listed in
 * {@code docs/operations.md}; add series freely, never rename one.
 *
 * <p>Guarantees: every label has a bounded set of values (routes are route templates or mount prefixes, never raw
 * paths; codes are stable error codes, and past {@link #MAX_CODES} distinct values per series they collapse into
 * {@code other}); no label or value ever carries a token, credential, key or request content. Recording is cheap:
 * label children are looked up once and cached, so the hot path does no label-set allocation. Every method is
 * thread-safe and never throws.
 */
public final class WritMetrics {
    /**
     * The request attribute naming the route that answered a request: the route template (for example
     * {@code /api/v1/agents/{id}}) set by the router, or the mount prefix for handlers without routes. Read by
     * {@link HttpMetricsHandler}.
     */
    public static final String ROUTE_ATTRIBUTE = "dev.writ.route";

    /** The most distinct code label values kept per series; later ones are counted as {@code other}. */
    public static final int MAX_CODES = 64;

    /** Outcome label values of {@code writ_authorize_decisions_total}. */
    public static final String ALLOW = "allow", DENY = "deny", PENDING = "pending", ERROR = "error";

    /** Latency buckets (seconds): fine from 0.1 ms to 5 ms, where the authorize and gateway budgets sit. */
    static final double[] FAST_BUCKETS = {
        0.0001, 0.0002, 0.0003, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05,
        0.1, 0.25, 0.5, 1, 2.5, 5, 10
    };

    static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};

    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    private static final String OTHER = "other";

    private final PrometheusRegistry registry = new PrometheusRegistry();

    private final Counter authorizeDecisions;
    private final Histogram authorizeDuration;
    private final CounterDataPoint allowCount, pendingCount;
    private final DistributionDataPoint allowTime, denyTime, pendingTime, errorTime;
    private final Codes<CounterDataPoint> denyCodes;
    private final Codes<CounterDataPoint> errorCodes;

    private final Counter httpRequests;
    private final Histogram httpDuration;
    private final ConcurrentHashMap<String, RouteSeries> routes = new ConcurrentHashMap<>();
    private final RouteSeries unmatched;

    private final DistributionDataPoint logBatch;
    private final DistributionDataPoint logCommit;
    private final CounterDataPoint logAppendedTotal;

    private final Counter gatewayRequests;
    private final Histogram gatewayLatency;
    private final ConcurrentHashMap<String, GatewaySeries> gatewaySeries = new ConcurrentHashMap<>();

    private final Counter ocspResponses;
    private final ConcurrentHashMap<String, CounterDataPoint[]> ocspByCa = new ConcurrentHashMap<>();

    private volatile LongSupplier logSize;
    private volatile LongSupplier revocationSubscribers;
    private volatile LongSupplier approvalsPending;

    private WritMetrics(boolean jvm) {
        authorizeDecisions = Counter.builder()
                .name("writ_authorize_decisions_total")
                .help("Authorize requests by outcome (allow, deny, pending, error) and code: the coarse denial code"
                        + " for deny, the error code for error, empty otherwise")
                .labelNames("outcome", "code")
                .register(registry);
        authorizeDuration = Histogram.builder()
                .name("writ_authorize_duration_seconds")
                .help("Time to decide, sign and durably log one authorize request, by outcome")
                .labelNames("outcome")
                .classicOnly()
                .classicUpperBounds(FAST_BUCKETS)
                .register(registry);
        allowCount = authorizeDecisions.labelValues(ALLOW, "");
        pendingCount = authorizeDecisions.labelValues(PENDING, "");
        allowTime = authorizeDuration.labelValues(ALLOW);
        denyTime = authorizeDuration.labelValues(DENY);
        pendingTime = authorizeDuration.labelValues(PENDING);
        errorTime = authorizeDuration.labelValues(ERROR);
        denyCodes = new Codes<>(code -> authorizeDecisions.labelValues(DENY, code));
        errorCodes = new Codes<>(code -> authorizeDecisions.labelValues(ERROR, code));

        httpRequests = Counter.builder()
                .name("writ_http_requests_total")
                .help("HTTP requests by route template (or mount prefix), method and status")
                .labelNames("route", "method", "status")
                .register(registry);
        httpDuration = Histogram.builder()
                .name("writ_http_request_duration_seconds")
                .help("HTTP request handling time by route template (or mount prefix) and method")
                .labelNames("route", "method")
                .classicOnly()
                .classicUpperBounds(FAST_BUCKETS)
                .register(registry);
        unmatched = new RouteSeries("unmatched");

        logAppendedTotal = Counter.builder()
                .name("writ_log_appended_entries_total")
                .help("Entries made durable in the audit log")
                .register(registry);
        Histogram batch = Histogram.builder()
                .name("writ_log_batch_entries")
                .help("Entries per audit log commit (one fsync and one signed checkpoint per commit)")
                .classicOnly()
                .classicUpperBounds(BATCH_BUCKETS)
                .register(registry);
        logBatch = batch;
        Histogram commit = Histogram.builder()
                .name("writ_log_commit_duration_seconds")
                .help("Time to write, fsync, sign and prove one audit log batch")
                .classicOnly()
                .classicUpperBounds(FAST_BUCKETS)
                .register(registry);
        logCommit = commit;
        GaugeWithCallback.builder()
                .name("writ_log_entries")
                .help("Entries in the audit log (the size of its latest signed checkpoint)")
                .callback(cb -> sample(cb, logSize))
                .register(registry);

        gatewayRequests = Counter.builder()
                .name("writ_gateway_requests_total")
                .help("Gateway requests by mode (enforce, authorize), outcome (forwarded, refused, pending) and"
                        + " reason code (empty when forwarded)")
                .labelNames("mode", "outcome", "reason")
                .register(registry);
        gatewayLatency = Histogram.builder()
                .name("writ_gateway_added_latency_seconds")
                .help("Time the gateway adds before forwarding (or until it refuses), by mode and outcome")
                .labelNames("mode", "outcome")
                .classicOnly()
                .classicUpperBounds(FAST_BUCKETS)
                .register(registry);

        ocspResponses = Counter.builder()
                .name("writ_ocsp_responses_total")
                .help("OCSP responses by CA and RFC 6960 response status")
                .labelNames("ca", "status")
                .register(registry);
        GaugeWithCallback.builder()
                .name("writ_revocation_stream_subscribers")
                .help("PEPs connected to the revocation stream")
                .callback(cb -> sample(cb, revocationSubscribers))
                .register(registry);
        GaugeWithCallback.builder()
                .name("writ_approvals_pending")
                .help("Human approvals waiting for a decision (counted up to 1000)")
                .callback(cb -> sample(cb, approvalsPending))
                .register(registry);
        if (jvm) {
            JvmMetrics.builder().register(registry);
        }
    }

    /** A fresh set of instruments, with the JVM's own metrics (memory, GC, threads, class loading, CPU). */
    public static WritMetrics create() {
        return new WritMetrics(true);
    }

    /** The registry the instruments live in (for {@link MetricsHandler} and for tests). */
    public PrometheusRegistry registry() {
        return registry;
    }

    private static void sample(GaugeWithCallback.Callback cb, LongSupplier source) {
        if (source == null) {
            return;
        }
        try {
            cb.call(source.getAsLong());
        } catch (RuntimeException e) {
            // A failing source leaves the series out of this scrape rather than failing the scrape.
        }
    }

    // ------------------------------------------------------------------------------------------------- authorize

    /** An authorize request answered with an envelope, {@code nanos} after it started. */
    public void authorizeAllowed(long nanos) {
        allowCount.inc();
        allowTime.observe(seconds(nanos));
    }

    /** An authorize request denied with the coarse code the agent saw ({@code denied}, {@code denied.scope}, ...). */
    public void authorizeDenied(String coarseCode, long nanos) {
        denyCodes.get(coarseCode).inc();
        denyTime.observe(seconds(nanos));
    }

    /** An authorize request that opened (or found) a pending approval. */
    public void authorizePending(long nanos) {
        pendingCount.inc();
        pendingTime.observe(seconds(nanos));
    }

    /** An authorize request answered with an error ({@code auth.invalid}, {@code authorize.unavailable}, ...). */
    public void authorizeFailed(String errorCode, long nanos) {
        errorCodes.get(errorCode).inc();
        errorTime.observe(seconds(nanos));
    }

    // ------------------------------------------------------------------------------------------------------ HTTP

    /** One HTTP request, answered with {@code status}; {@code route} is a template or prefix, null when unmatched. */
    public void httpRequest(String route, String method, int status, long nanos) {
        RouteSeries r = route == null ? unmatched : routes.get(route);
        if (r == null) {
            r = routes.size() < 512 ? routes.computeIfAbsent(route, RouteSeries::new) : unmatched;
        }
        r.record(methodIndex(method), status, seconds(nanos));
    }

    private static int methodIndex(String method) {
        for (int i = 0; i < METHODS.length; i++) {
            if (METHODS[i].equals(method)) {
                return i;
            }
        }
        return METHODS.length;
    }

    /** The cached children of one route: a duration per method and a counter per method and status. */
    private final class RouteSeries {
        private final String route;
        private final AtomicReferenceArray<DistributionDataPoint> durations =
                new AtomicReferenceArray<>(METHODS.length + 1);
        private final AtomicReferenceArray<AtomicReferenceArray<CounterDataPoint>> counts =
                new AtomicReferenceArray<>(METHODS.length + 1);

        RouteSeries(String route) {
            this.route = route;
        }

        void record(int m, int status, double seconds) {
            String method = m < METHODS.length ? METHODS[m] : OTHER;
            DistributionDataPoint d = durations.get(m);
            if (d == null) {
                d = httpDuration.labelValues(route, method);
                durations.set(m, d);
            }
            d.observe(seconds);
            AtomicReferenceArray<CounterDataPoint> byStatus = counts.get(m);
            if (byStatus == null) {
                counts.compareAndSet(m, null, new AtomicReferenceArray<>(500));
                byStatus = counts.get(m);
            }
            int s = status >= 100 && status <= 599 ? status : 0;
            int slot = s == 0 ? 0 : s - 100;
            CounterDataPoint c = byStatus.get(slot);
            if (c == null) {
                c = httpRequests.labelValues(route, method, s == 0 ? OTHER : Integer.toString(s));
                byStatus.set(slot, c);
            }
            c.inc();
        }
    }

    // ------------------------------------------------------------------------------------------------- audit log

    /** One audit log commit: {@code entries} made durable, signed and proven in {@code nanos}. */
    public void logCommitted(int entries, long nanos) {
        logAppendedTotal.inc(entries);
        logBatch.observe(entries);
        logCommit.observe(seconds(nanos));
    }

    /** Where {@code writ_log_entries} is read from (the log's signed size). */
    public void logSize(LongSupplier size) {
        this.logSize = size;
    }

    // --------------------------------------------------------------------------------------------------- gateway

    /**
     * One gateway request.
     *
     * @param mode {@code enforce} or {@code authorize}
     * @param outcome {@code forwarded}, {@code refused} or {@code pending}
     * @param reason the refusal's stable code, or empty
     * @param addedNanos the time the gateway added: until forwarding, or until the refusal
     */
    public void gatewayRequest(String mode, String outcome, String reason, long addedNanos) {
        if (mode == null) {
            return;
        }
        GatewaySeries g = gatewaySeries.get(mode);
        if (g == null) {
            if (gatewaySeries.size() >= 4) {
                return;
            }
            g = gatewaySeries.computeIfAbsent(mode, GatewaySeries::new);
        }
        g.record(outcome, reason, seconds(addedNanos));
    }

    private static final String[] GATEWAY_OUTCOMES = {"forwarded", "refused", "pending"};

    /** The cached children of one gateway mode. */
    private final class GatewaySeries {
        private final DistributionDataPoint[] latency = new DistributionDataPoint[GATEWAY_OUTCOMES.length + 1];
        private final Codes<CounterDataPoint>[] codes;

        @SuppressWarnings("unchecked")
        GatewaySeries(String mode) {
            codes = new Codes[GATEWAY_OUTCOMES.length + 1];
            for (int i = 0; i <= GATEWAY_OUTCOMES.length; i++) {
                String outcome = i < GATEWAY_OUTCOMES.length ? GATEWAY_OUTCOMES[i] : OTHER;
                latency[i] = gatewayLatency.labelValues(mode, outcome);
                codes[i] = new Codes<>(r -> gatewayRequests.labelValues(mode, outcome, r));
            }
        }

        void record(String outcome, String reason, double seconds) {
            int i = 0;
            while (i < GATEWAY_OUTCOMES.length && !GATEWAY_OUTCOMES[i].equals(outcome)) {
                i++;
            }
            codes[i].get(reason).inc();
            latency[i].observe(seconds);
        }
    }

    // ------------------------------------------------------------------------------------------ PKI and pushing

    /** One OCSP response sent for {@code ca}; its RFC 6960 status is read from the DER. */
    public void ocspResponse(String ca, byte[] der) {
        CounterDataPoint[] byStatus = ocspByCa.get(ca);
        if (byStatus == null) {
            if (ocspByCa.size() >= 16) {
                return;
            }
            byStatus = ocspByCa.computeIfAbsent(ca, c -> new CounterDataPoint[OCSP_STATUS.length + 1]);
        }
        int s = ocspStatus(der);
        CounterDataPoint c = byStatus[s];
        if (c == null) {
            c = ocspResponses.labelValues(ca, s < OCSP_STATUS.length ? OCSP_STATUS[s] : OTHER);
            byStatus[s] = c;
        }
        c.inc();
    }

    private static final String[] OCSP_STATUS = {
        "successful", "malformedRequest", "internalError", "tryLater", OTHER, "sigRequired", "unauthorized"
    };

    /** OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, ... }: the status byte, or "other" when unreadable. */
    static int ocspStatus(byte[] der) {
        if (der == null || der.length < 5 || der[0] != 0x30) {
            return OCSP_STATUS.length;
        }
        int i = 1;
        int len = der[i++] & 0xff;
        if (len >= 0x80) {
            i += len & 0x7f;
        }
        if (i + 2 >= der.length || der[i] != 0x0a || der[i + 1] != 1) {
            return OCSP_STATUS.length;
        }
        int status = der[i + 2];
        return status >= 0 && status < OCSP_STATUS.length ? status : OCSP_STATUS.length;
    }

    /** Where {@code writ_revocation_stream_subscribers} is read from. */
    public void revocationSubscribers(LongSupplier count) {
        this.revocationSubscribers = count;
    }

    /** Where {@code writ_approvals_pending} is read from. */
    public void approvalsPending(LongSupplier count) {
        this.approvalsPending = count;
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** Children by code, at most {@link #MAX_CODES} distinct, then {@code other}. */
    private static final class Codes<T> {
        private final ConcurrentHashMap<String, T> byCode = new ConcurrentHashMap<>();
        private final Function<String, T> child;
        private volatile T other;

        Codes(Function<String, T> child) {
            this.child = child;
        }

        T get(String code) {
            String c = code == null ? "" : code;
            T t = byCode.get(c);
            if (t != null) {
                return t;
            }
            if (byCode.size() < MAX_CODES && safe(c)) {
                return byCode.computeIfAbsent(c, child);
            }
            T o = other;
            if (o == null) {
                o = child.apply(OTHER);
                other = o;
            }
            return o;
        }

        /** Stable codes are short dotted identifiers; anything else (never expected) is not used as a label. */
        private static boolean safe(String code) {
            if (code.length() > 64) {
                return false;
            }
            for (int i = 0; i < code.length(); i++) {
                char ch = code.charAt(i);
                boolean ok =
                        (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
                if (!ok) {
                    return false;
                }
            }
            return code.toLowerCase(Locale.ROOT).equals(code);
        }
    }
}
