package dev.writ.server.api;

import dev.writ.server.ops.WritMetrics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Handlers mounted at path prefixes, tried longest prefix first. A mounted handler sees the full request path (not
 * stripped), and a handler that returns false lets the next matching mount try. Mounting after start is allowed: the
 * handler is started by the container.
 */
public final class Mounts extends Handler.Sequence {

    /** Mounts {@code handler} for paths equal to {@code prefix} or below it ({@code prefix + "/..."}). */
    public Mounts mount(String prefix, Handler handler) {
        if (!prefix.startsWith("/")) {
            throw new IllegalArgumentException("prefix must start with /");
        }
        String p = prefix.length() > 1 && prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        List<Handler> all = new ArrayList<>(getHandlers());
        all.add(new Mount(p, handler));
        all.sort(Comparator.comparingInt((Handler h) -> ((Mount) h).prefix.length())
                .reversed());
        setHandlers(all);
        return this;
    }

    /**
     * What is mounted, longest prefix first: for a {@link Router}, its routes ({@code "METHOD /pattern"}); for any
     * other handler, {@code "* /prefix"} (it serves paths at and below the prefix). Read-only.
     */
    public List<String> routes() {
        List<String> out = new ArrayList<>();
        for (Handler h : getHandlers()) {
            Mount m = (Mount) h;
            if (m.getHandler() instanceof Router r) {
                for (String route : r.routes()) {
                    if (!out.contains(route)) {
                        out.add(route);
                    }
                }
            } else {
                out.add("* " + m.prefix);
            }
        }
        return List.copyOf(out);
    }

    private static final class Mount extends Handler.Wrapper {
        private final String prefix;

        Mount(String prefix, Handler handler) {
            super(handler);
            this.prefix = prefix;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = Request.getPathInContext(request);
            boolean matches = prefix.equals("/") || path.equals(prefix) || path.startsWith(prefix + "/");
            if (!matches) {
                return false;
            }
            // The mount prefix names the route for handlers that do not name one themselves (routers do).
            Object before = request.getAttribute(WritMetrics.ROUTE_ATTRIBUTE);
            request.setAttribute(WritMetrics.ROUTE_ATTRIBUTE, prefix);
            boolean handled = super.handle(request, response, callback);
            if (!handled) {
                if (before == null) {
                    request.removeAttribute(WritMetrics.ROUTE_ATTRIBUTE);
                } else {
                    request.setAttribute(WritMetrics.ROUTE_ATTRIBUTE, before);
                }
            }
            return handled;
        }
    }
}
