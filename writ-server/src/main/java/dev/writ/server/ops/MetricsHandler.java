package dev.writ.server.ops;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves {@code GET /metrics}: the {@link WritMetrics} registry in the Prometheus text exposition format (version
 * 0.0.4). Public by design, like {@code /healthz}: the series carry counts and timings, never tokens, keys or request
 * content. Other paths are not handled.
 */
public final class MetricsHandler extends Handler.Abstract {
    /** The path served. */
    public static final String PATH = "/metrics";

    private final WritMetrics metrics;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public MetricsHandler(WritMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws IOException {
        if (!PATH.equals(Request.getPathInContext(request))) {
            return false;
        }
        request.setAttribute(WritMetrics.ROUTE_ATTRIBUTE, PATH);
        String method = request.getMethod();
        if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            Json.error(response, callback, 405, "request.method_not_allowed", "method not allowed");
            return true;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        writer.write(out, metrics.registry().scrape());
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, writer.getContentType());
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, out.size());
        response.write(
                true,
                HttpMethod.HEAD.is(method) ? ByteBuffer.allocate(0) : ByteBuffer.wrap(out.toByteArray()),
                callback);
        return true;
    }
}
