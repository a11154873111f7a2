package dev.writ.server.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves {@code GET /openapi.json}: the hand-written OpenAPI 3.1 description of the HTTP interface (YAML resources of
 * this package, served as JSON) ({@link #SERVER_RESOURCE} for {@code writ serve}, {@link #GATEWAY_RESOURCE} for {@code writ gateway}'s own
 * surface). A test starts the real server and checks the document against the routes it mounts, both ways.
 */
public final class OpenApiHandler extends Handler.Abstract {
    /** The path served. */
    public static final String PATH = "/openapi.json";

    /** The resource describing {@code writ serve}. */
    public static final String SERVER_RESOURCE = "/dev/writ/server/ops/openapi.yaml";

    /** The resource describing the endpoints {@code writ gateway} answers itself (everything else is proxied). */
    public static final String GATEWAY_RESOURCE = "/dev/writ/server/ops/gateway-openapi.yaml";

    private final byte[] document;

    private OpenApiHandler(byte[] document) {
        this.document = document;
    }

    /** The handler for {@code writ serve}'s document. */
    public static OpenApiHandler server() {
        return new OpenApiHandler(document(SERVER_RESOURCE));
    }

    /**
     * A bundled document as JSON. The source is hand-written YAML (easier to review); it is converted once, here.
     *
     * @throws UncheckedIOException when the resource is missing or unreadable (a packaging error)
     */
    public static byte[] document(String resource) {
        try (InputStream in = OpenApiHandler.class.getResourceAsStream(resource)) {
            Objects.requireNonNull(in, () -> "missing resource " + resource);
            JsonNode tree = new YAMLMapper().readTree(in);
            return Json.MAPPER.writeValueAsBytes(tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
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
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, document.length);
        response.write(true, HttpMethod.HEAD.is(method) ? ByteBuffer.allocate(0) : ByteBuffer.wrap(document), callback);
        return true;
    }
}
