package dev.writ.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.ca.CaException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * One HTTP exchange as the Writ handlers see it: the Jetty request, response and callback, the path parameters of the
 * matched route, and helpers to read bounded JSON and write JSON, bytes and errors.
 */
public final class Exchange {
    /** Largest request body accepted. */
    public static final int MAX_BODY = 1 << 20;

    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final Map<String, String> params;

    Exchange(Request request, Response response, Callback callback, Map<String, String> params) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.params = Map.copyOf(params);
    }

    public Request request() {
        return request;
    }

    public Response response() {
        return response;
    }

    public Callback callback() {
        return callback;
    }

    /** A path parameter of the matched route, e.g. {@code id} in {@code /api/v1/agents/{id}}. */
    public String param(String name) {
        return params.get(name);
    }

    /** A query parameter, or null. */
    public String query(String name) {
        Fields f = Request.extractQueryParameters(request);
        return f.getValue(name);
    }

    /** The request id (header {@code X-Request-Id}). */
    public String requestId() {
        Object id = request.getAttribute(RequestIdHandler.ATTRIBUTE);
        return id == null ? "-" : id.toString();
    }

    /** The request body, at most {@link #MAX_BODY} bytes. */
    public byte[] body() throws ApiException {
        long declared = request.getLength();
        if (declared > MAX_BODY) {
            throw new ApiException(413, "request.too_large", "request body too large");
        }
        try (InputStream in = Content.Source.asInputStream(request)) {
            // With a declared length, read exactly that (HTTP framing guarantees no more follows); otherwise read in
            // chunks up to the cap. Either way nothing beyond MAX_BODY + 1 bytes is ever buffered.
            byte[] b = declared >= 0 ? in.readNBytes((int) declared) : in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) {
                throw new ApiException(413, "request.too_large", "request body too large");
            }
            return b;
        } catch (IOException e) {
            throw ApiException.badRequest("request.unreadable", "cannot read the request body");
        }
    }

    /** The body as a JSON object; anything else is a 400. */
    public ObjectNode jsonObject() throws ApiException {
        byte[] b = body();
        if (b.length == 0) {
            return JSON.createObjectNode();
        }
        JsonNode n;
        try {
            n = JSON.readTree(b);
        } catch (IOException e) {
            throw ApiException.badRequest("request.malformed_json", "the request body is not valid JSON");
        }
        if (n == null || !n.isObject()) {
            throw ApiException.badRequest("request.malformed_json", "the request body must be a JSON object");
        }
        return (ObjectNode) n;
    }

    public void json(int status, JsonNode body) {
        try {
            bytes(status, "application/json", JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void bytes(int status, String contentType, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    public void text(int status, String contentType, String body) {
        bytes(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public void error(ApiException e) {
        error(response, callback, e.status(), e.code(), e.getMessage());
    }

    static void error(Response response, Callback callback, int status, String code, String message) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("code", code);
        err.put("message", message);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        try {
            response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(root)), callback);
        } catch (JsonProcessingException e) {
            callback.failed(e);
        }
    }

    /** The API face of a trust-domain refusal: its stable code, a status from its kind. */
    public static ApiException from(CaException e) {
        int status =
                switch (e.kind()) {
                    case INVALID -> 400;
                    case NOT_FOUND -> 404;
                    case CONFLICT -> 409;
                    case FORBIDDEN -> 403;
                    case INTERNAL -> 500;
                };
        return new ApiException(
                status, e.code(), e.kind() == CaException.Kind.INTERNAL ? "internal error" : e.getMessage());
    }
}
