package dev.writ.server.api;

import dev.writ.server.ops.WritMetrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small method-and-path router as a Jetty core handler. Routes are patterns like {@code /api/v1/agents/{id}};
 * {@code {name}} matches one non-empty path segment and {@code {name...}} (last only) the rest of the path. A path
 * that matches no route is not handled (so the next mounted handler may take it); a path that matches with another
 * method gets 405. {@link ApiException}s become JSON errors; anything else is logged with the request id and answered
 * with a generic 500.
 */
public final class Router extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    /** A route's action. */
    @FunctionalInterface
    public interface Action {
        void handle(Exchange exchange) throws Exception;
    }

    private record Route(String method, String pattern, String[] segments, Action action) {}

    private final List<Route> routes = new ArrayList<>();

    public Router route(String method, String pattern, Action action) {
        if (!pattern.startsWith("/")) {
            throw new IllegalArgumentException("pattern must start with /");
        }
        routes.add(new Route(method, pattern, pattern.substring(1).split("/", -1), action));
        return this;
    }

    public Router get(String pattern, Action action) {
        return route("GET", pattern, action);
    }

    public Router post(String pattern, Action action) {
        return route("POST", pattern, action);
    }

    public Router delete(String pattern, Action action) {
        return route("DELETE", pattern, action);
    }

    /** The registered routes, in registration order, as {@code "METHOD /pattern"} (read-only view). */
    public List<String> routes() {
        List<String> out = new ArrayList<>(routes.size());
        for (Route r : routes) {
            out.add(r.method() + " " + r.pattern());
        }
        return List.copyOf(out);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String[] parts = path.startsWith("/") ? path.substring(1).split("/", -1) : new String[] {""};
        boolean pathMatched = false;
        for (Route r : routes) {
            Map<String, String> params = match(r.segments(), parts);
            if (params == null) {
                continue;
            }
            pathMatched = true;
            // The route template, never the raw path: a bounded label for metrics and logs.
            request.setAttribute(WritMetrics.ROUTE_ATTRIBUTE, r.pattern());
            if (!r.method().equals(request.getMethod())
                    && !(r.method().equals("GET") && request.getMethod().equals("HEAD"))) {
                continue;
            }
            Exchange ex = new Exchange(request, response, callback, params);
            try {
                r.action().handle(ex);
            } catch (ApiException e) {
                ex.error(e);
            } catch (Exception | Error e) {
                // Two faces: the cause goes to the log with the request id, the caller gets a stable generic error.
                LOG.error("request {} {} failed", request.getMethod(), path, e);
                ex.error(new ApiException(500, "internal", "internal error"));
            }
            return true;
        }
        if (pathMatched) {
            Exchange.error(response, callback, 405, "request.method_not_allowed", "method not allowed");
            return true;
        }
        return false;
    }

    private static Map<String, String> match(String[] pattern, String[] parts) {
        Map<String, String> params = new HashMap<>();
        for (int i = 0; i < pattern.length; i++) {
            String p = pattern[i];
            if (p.startsWith("{") && p.endsWith("...}")) {
                if (i >= parts.length) {
                    return null;
                }
                params.put(
                        p.substring(1, p.length() - 4),
                        String.join("/", java.util.Arrays.copyOfRange(parts, i, parts.length)));
                return params;
            }
            if (i >= parts.length) {
                return null;
            }
            if (p.startsWith("{") && p.endsWith("}")) {
                if (parts[i].isEmpty()) {
                    return null;
                }
                params.put(p.substring(1, p.length() - 1), parts[i]);
            } else if (!p.equals(parts[i])) {
                return null;
            }
        }
        return pattern.length == parts.length ? params : null;
    }
}
