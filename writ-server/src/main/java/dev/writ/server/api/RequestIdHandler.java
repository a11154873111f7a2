package dev.writ.server.api;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Gives every request an id (the client's {@code X-Request-Id} when it is a safe token, else a random one), echoes it
 * in the response, puts it in the logging context ({@code request_id}) and writes one access log line per request.
 */
public final class RequestIdHandler extends Handler.Wrapper {
    public static final String HEADER = "X-Request-Id";
    public static final String ATTRIBUTE = "writ.requestId";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.writ.server.access");
    private final SecureRandom random = new SecureRandom();

    public RequestIdHandler(Handler handler) {
        super(handler);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String id = request.getHeaders().get(HEADER);
        // Client ids are echoed into logs and headers: accept only a bounded, safe alphabet.
        if (id == null || !SAFE.matcher(id).matches()) {
            byte[] b = new byte[8];
            random.nextBytes(b);
            id = HexFormat.of().formatHex(b);
        }
        request.setAttribute(ATTRIBUTE, id);
        response.getHeaders().put(HEADER, id);
        long start = System.nanoTime();
        String requestId = id;
        Callback logged = Callback.from(callback, () -> access(request, response, requestId, start));
        MDC.put("request_id", id);
        try {
            boolean handled = super.handle(request, response, logged);
            if (!handled) {
                Exchange.error(response, logged, 404, "request.not_found", "no such endpoint");
            }
            return true;
        } finally {
            MDC.remove("request_id");
        }
    }

    private static void access(Request request, Response response, String id, long start) {
        String path = Request.getPathInContext(request);
        // Public high-rate endpoints (OCSP, CRLs, health) log at debug; the control plane at info.
        boolean quiet = path.startsWith("/ocsp/")
                || path.startsWith("/crl/")
                || path.equals("/healthz")
                || path.equals("/readyz");
        if (quiet ? ACCESS.isDebugEnabled() : ACCESS.isInfoEnabled()) {
            MDC.put("request_id", id);
            try {
                String format = "{} {} {} {}us";
                Object[] args = {request.getMethod(), path, response.getStatus(), (System.nanoTime() - start) / 1000};
                if (quiet) {
                    ACCESS.debug(format, args);
                } else {
                    ACCESS.info(format, args);
                }
            } finally {
                MDC.remove("request_id");
            }
        }
    }
}
