package dev.writ.server.ops;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The front of a {@code writ gateway}: answers {@code GET /metrics} and {@code GET /healthz} itself (these two paths
 * are never forwarded) and counts every other request by mode, outcome and reason, with the latency the gateway
 * added.
 *
 * <p>The proxy behind it reports through request attributes: {@link #REASON_ATTRIBUTE} (the stable code of a refusal,
 * or {@code approval.pending} for a 202) and {@link #FORWARDED_ATTRIBUTE} (the {@link System#nanoTime()} at which the
 * request was handed to the upstream). The added latency is the time until forwarding, or until the refusal was
 * complete; the upstream's own time is not included.
 */
public final class GatewayMetricsHandler extends Handler.Wrapper {
    /** Mode label of an enforcing gateway. */
    public static final String ENFORCE = "enforce";

    /** Mode label of an authorizing gateway. */
    public static final String AUTHORIZE = "authorize";

    /** Request attribute: the refusal's stable code (a String). */
    public static final String REASON_ATTRIBUTE = "dev.writ.gateway.reason";

    /** Request attribute: {@link System#nanoTime()} when the request was forwarded (a Long). */
    public static final String FORWARDED_ATTRIBUTE = "dev.writ.gateway.forwarded";

    /** The health path the gateway answers itself. */
    public static final String HEALTH_PATH = "/healthz";

    /** The readiness path the gateway answers itself: 503 while it would refuse what it cannot check. */
    public static final String READY_PATH = "/readyz";

    private static final byte[] READY = "{\"status\":\"ready\"}".getBytes(StandardCharsets.UTF_8);

    private static final byte[] HEALTHY = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);

    private final WritMetrics metrics;
    private final String mode;
    private final MetricsHandler exposition;
    private final java.util.function.BooleanSupplier ready;

    public GatewayMetricsHandler(Handler proxy, WritMetrics metrics, String mode) {
        this(proxy, metrics, mode, () -> true);
    }

    /**
     * @param ready what {@code /readyz} reports: for an enforcing gateway, whether its revocation stream is fresh and
     *     its shared nonce store answers (while not, it refuses envelopes it cannot check, so a load balancer should
     *     send traffic elsewhere)
     */
    public GatewayMetricsHandler(
            Handler proxy, WritMetrics metrics, String mode, java.util.function.BooleanSupplier ready) {
        super(proxy);
        this.ready = Objects.requireNonNull(ready, "ready");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.exposition = new MetricsHandler(metrics);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        if (MetricsHandler.PATH.equals(path)) {
            return exposition.handle(request, response, callback);
        }
        if (READY_PATH.equals(path)) {
            if (!HttpMethod.GET.is(request.getMethod()) && !HttpMethod.HEAD.is(request.getMethod())) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                Json.error(response, callback, 405, "request.method_not_allowed", "method not allowed");
                return true;
            }
            boolean ok;
            try {
                ok = ready.getAsBoolean();
            } catch (RuntimeException e) {
                ok = false; // a check that fails is a "not ready"
            }
            if (!ok) {
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
                Json.error(response, callback, 503, "gateway.not_ready", "not ready");
                return true;
            }
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.write(true, ByteBuffer.wrap(READY), callback);
            return true;
        }
        if (HEALTH_PATH.equals(path)) {
            if (!HttpMethod.GET.is(request.getMethod()) && !HttpMethod.HEAD.is(request.getMethod())) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                Json.error(response, callback, 405, "request.method_not_allowed", "method not allowed");
                return true;
            }
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.write(true, ByteBuffer.wrap(HEALTHY), callback);
            return true;
        }
        long start = System.nanoTime();
        return super.handle(request, response, new Observed(callback, request, start));
    }

    private final class Observed extends Callback.Nested {
        private final Request request;
        private final long start;
        private boolean done;

        Observed(Callback callback, Request request, long start) {
            super(callback);
            this.request = request;
            this.start = start;
        }

        @Override
        public void succeeded() {
            record();
            super.succeeded();
        }

        @Override
        public void failed(Throwable x) {
            record();
            super.failed(x);
        }

        private void record() {
            if (done) {
                return;
            }
            done = true;
            long now = System.nanoTime();
            Object reason = request.getAttribute(REASON_ATTRIBUTE);
            if (reason instanceof String code) {
                metrics.gatewayRequest(
                        mode, code.equals("approval.pending") ? "pending" : "refused", code, now - start);
            } else if (request.getAttribute(FORWARDED_ATTRIBUTE) instanceof Long at) {
                metrics.gatewayRequest(mode, "forwarded", "", at - start);
            } else {
                metrics.gatewayRequest(mode, "refused", "gateway.failed", now - start);
            }
        }
    }
}
