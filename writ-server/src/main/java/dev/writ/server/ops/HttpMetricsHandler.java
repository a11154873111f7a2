package dev.writ.server.ops;

import java.util.Objects;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Counts and times every request that reaches the wrapped handler, by route template (the request attribute
 * {@link WritMetrics#ROUTE_ATTRIBUTE}, {@code unmatched} when nothing set it), method and final status, when the
 * response completes (successfully or not). Never changes the exchange.
 */
public final class HttpMetricsHandler extends Handler.Wrapper {
    private final WritMetrics metrics;

    public HttpMetricsHandler(Handler handler, WritMetrics metrics) {
        super(handler);
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long start = System.nanoTime();
        return super.handle(request, response, new Observed(callback, request, response, start));
    }

    private final class Observed extends Callback.Nested {
        private final Request request;
        private final Response response;
        private final long start;

        Observed(Callback callback, Request request, Response response, long start) {
            super(callback);
            this.request = request;
            this.response = response;
            this.start = start;
        }

        @Override
        public void succeeded() {
            record(response.getStatus());
            super.succeeded();
        }

        @Override
        public void failed(Throwable x) {
            // A failed exchange is counted with the status it had, or as a 500 when none was set.
            int status = response.getStatus();
            record(status == 0 || status == 200 && !response.isCommitted() ? 500 : status);
            super.failed(x);
        }

        private void record(int status) {
            Object route = request.getAttribute(WritMetrics.ROUTE_ATTRIBUTE);
            metrics.httpRequest(
                    route instanceof String s ? s : null, request.getMethod(), status, System.nanoTime() - start);
        }
    }
}
