package dev.writ.server.log;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.TilePath;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * Serves a {@link TransparencyLog} ({@link AuditLog} or the PostgreSQL log) over HTTP (Jetty 12 core):
 *
 * <ul>
 *   <li>{@code GET /log/checkpoint}: the latest signed checkpoint ({@code text/plain; charset=utf-8}, not cached)
 *   <li>{@code GET /log/key}: the verifier key {@code name+hash+base64} ({@code text/plain})
 *   <li>{@code GET /log/tile/<L>/<N>[.p/<W>]}, {@code GET /log/tile/entries/<N>[.p/<W>]}: tlog-tiles resources
 *       ({@code application/octet-stream}; full tiles {@code immutable} for a year, partial tiles not cached)
 *   <li>{@code GET /v1/log/proof/inclusion?index=I[&size=S]} or {@code ?jti=J[&size=S]}: {@code {"index","size",
 *       "leafHash","proof":[base64...],"checkpoint"}} (checkpoint: the signed note, when {@code size} is the current
 *       size, so the answer is a complete receipt)
 *   <li>{@code GET /v1/log/proof/consistency?from=F&to=T}: {@code {"from","to","proof":[base64...]}}
 *   <li>{@code GET /v1/log/entries/{index}}: {@code {"index","leafHash","entry":base64[,"json":object]}}
 * </ul>
 *
 * <p>Bad input is answered with a 4xx and {@code {"error":{"code","message"}}}: malformed numbers or tile paths 400
 * ({@code log.bad_request}, {@code log.tile.malformed}), sizes or indices outside the tree 400 ({@code log.range}),
 * resources not (yet) in the tree 404 ({@code log.not_found}), methods other than GET/HEAD 405
 * ({@code log.method_not_allowed}). Requests outside {@code /log/} and {@code /v1/log/} are not handled.
 */
public final class LogHandler extends Handler.Abstract {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final String NO_CACHE = "no-cache";

    private final TransparencyLog log;

    public LogHandler(TransparencyLog log) {
        this.log = Objects.requireNonNull(log, "log");
    }

    private record Reply(int status, String type, String cache, byte[] body) {}

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        if (!path.startsWith("/log/") && !path.startsWith("/v1/log/")) {
            return false;
        }
        String method = request.getMethod();
        Reply reply;
        if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            reply = error(405, "log.method_not_allowed", "only GET and HEAD are allowed here");
        } else {
            try {
                reply = route(path, request);
            } catch (LogException e) {
                reply = switch (e.code()) {
                    case "log.not_found" -> error(404, e.code(), e.getMessage());
                    case "log.range" -> error(400, e.code(), e.getMessage());
                    default -> error(500, "log.unavailable", "the log could not answer");
                };
            } catch (BadRequest e) {
                reply = error(400, e.code, e.getMessage());
            } catch (RuntimeException e) {
                reply = error(500, "log.unavailable", "the log could not answer");
            }
        }
        response.setStatus(reply.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.type());
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, reply.cache());
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
        if (HttpMethod.HEAD.is(method)) {
            response.write(true, ByteBuffer.allocate(0), callback);
        } else {
            response.write(true, ByteBuffer.wrap(reply.body()), callback);
        }
        return true;
    }

    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        final String code;

        BadRequest(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    private Reply route(String path, Request request) throws LogException, BadRequest {
        switch (path) {
            case "/log/checkpoint":
                return new Reply(200, "text/plain; charset=utf-8", NO_CACHE, log.checkpoint());
            case "/log/key":
                return new Reply(
                        200,
                        "text/plain; charset=utf-8",
                        NO_CACHE,
                        (log.verifier().keyString() + "\n").getBytes(StandardCharsets.UTF_8));
            case "/v1/log/proof/inclusion":
                return inclusion(Request.extractQueryParameters(request));
            case "/v1/log/proof/consistency":
                return consistency(Request.extractQueryParameters(request));
            default:
                break;
        }
        if (path.startsWith("/log/tile/")) {
            TilePath tile;
            try {
                tile = TilePath.parse(path.substring("/log/".length()));
            } catch (IllegalArgumentException e) {
                throw new BadRequest("log.tile.malformed", "not a canonical tlog-tiles path");
            }
            byte[] body = log.tile(tile);
            return new Reply(200, "application/octet-stream", tile.isFull() ? IMMUTABLE : NO_CACHE, body);
        }
        if (path.startsWith("/v1/log/entries/")) {
            long index = number(path.substring("/v1/log/entries/".length()), "index");
            byte[] entry = log.entry(index);
            ObjectNode o = JSON.createObjectNode();
            o.put("index", index);
            o.put("leafHash", b64(Merkle.leafHash(entry)));
            o.put("entry", b64(entry));
            try {
                var tree = JSON.readTree(entry);
                if (tree != null && tree.isObject()) {
                    o.set("json", tree);
                }
            } catch (java.io.IOException e) {
                // not JSON: the base64 form is the entry
            }
            return json(o);
        }
        throw new LogException("log.not_found", "no such log resource");
    }

    private Reply inclusion(Fields q) throws LogException, BadRequest {
        only(q, "index", "size", "jti");
        String jti = q.getValue("jti");
        String indexParam = q.getValue("index");
        // Exactly one way to name the leaf, so a request cannot be read two ways.
        if ((jti == null) == (indexParam == null)) {
            throw new BadRequest("log.bad_request", "give exactly one of index and jti");
        }
        long current = log.size();
        long size = q.getValue("size") == null ? current : number(q.getValue("size"), "size");
        long index;
        if (jti != null) {
            OptionalLong found = log.indexOfJti(jti);
            if (found.isEmpty()) {
                throw new LogException("log.not_found", "no entry carries this jti");
            }
            index = found.getAsLong();
        } else {
            index = number(indexParam, "index");
        }
        List<byte[]> proof = log.inclusionProof(index, size);
        ObjectNode o = JSON.createObjectNode();
        o.put("index", index);
        o.put("size", size);
        o.put("leafHash", b64(Merkle.leafHash(log.entry(index))));
        ArrayNode a = o.putArray("proof");
        proof.forEach(h -> a.add(b64(h)));
        byte[] cp = log.checkpoint();
        try {
            // Attach the signed checkpoint only when it is exactly the tree the proof is for.
            if (dev.writ.core.log.Checkpoint.verify(cp, log.verifier())
                            .checkpoint()
                            .size()
                    == size) {
                o.put("checkpoint", new String(cp, StandardCharsets.UTF_8));
            }
        } catch (dev.writ.core.log.LogVerificationException e) {
            throw new LogException("log.unavailable", "the current checkpoint does not verify");
        }
        return json(o);
    }

    private Reply consistency(Fields q) throws LogException, BadRequest {
        only(q, "from", "to");
        if (q.getValue("from") == null || q.getValue("to") == null) {
            throw new BadRequest("log.bad_request", "from and to are required");
        }
        long from = number(q.getValue("from"), "from");
        long to = number(q.getValue("to"), "to");
        List<byte[]> proof = log.consistencyProof(from, to);
        ObjectNode o = JSON.createObjectNode();
        o.put("from", from);
        o.put("to", to);
        ArrayNode a = o.putArray("proof");
        proof.forEach(h -> a.add(b64(h)));
        return json(o);
    }

    private static void only(Fields q, String... allowed) throws BadRequest {
        List<String> ok = List.of(allowed);
        for (String name : q.getNames()) {
            // Unknown parameters are refused rather than silently ignored.
            if (!ok.contains(name)) {
                throw new BadRequest("log.bad_request", "unknown parameter " + name);
            }
            if (q.getValues(name).size() != 1) {
                throw new BadRequest("log.bad_request", "parameter " + name + " given more than once");
            }
        }
    }

    private static long number(String s, String what) throws BadRequest {
        // Canonical non-negative decimal only: no signs, spaces, leading zeros or overflow.
        if (s == null
                || s.isEmpty()
                || s.length() > 18
                || !s.chars().allMatch(c -> c >= '0' && c <= '9')
                || (s.length() > 1 && s.charAt(0) == '0')) {
            throw new BadRequest("log.bad_request", what + " must be a non-negative decimal integer");
        }
        return Long.parseLong(s);
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    private static Reply json(ObjectNode o) {
        try {
            return new Reply(200, "application/json", NO_CACHE, JSON.writeValueAsBytes(o));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Reply error(int status, String code, String message) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode e = o.putObject("error");
        e.put("code", code);
        e.put("message", message);
        try {
            return new Reply(status, "application/json", "no-store", JSON.writeValueAsBytes(o));
        } catch (java.io.IOException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
