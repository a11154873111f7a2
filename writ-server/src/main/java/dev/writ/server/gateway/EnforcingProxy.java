package dev.writ.server.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.sae.SaeVerificationException;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.core.sae.VerifiedAction;
import dev.writ.server.ops.GatewayMetricsHandler;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enforcing reverse proxy: buffers the request body (up to a cap), verifies the {@code Writ-SAE} envelope against
 * the request exactly as it will be forwarded, and only then hands the request to Jetty's reverse proxy, which
 * forwards the buffered bytes unchanged and streams the response back. A request that fails any check is answered
 * 403 (413 for an oversized body) and nothing of it reaches the upstream.
 */
final class EnforcingProxy extends ProxyHandler.Reverse {
    private static final Logger LOG = LoggerFactory.getLogger(EnforcingProxy.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BODY_ATTRIBUTE = EnforcingProxy.class.getName() + ".body";
    private static final String VERIFIED_ATTRIBUTE = EnforcingProxy.class.getName() + ".verified";

    private final SaeVerifier verifier;
    private final String upstreamBase;
    private final String publicBase;
    private final int maxBody;
    private final long upstreamIdleTimeoutMs;
    private final AtomicLong requestIds = new AtomicLong();

    EnforcingProxy(SaeVerifier verifier, String upstreamBase, String publicBase, int maxBody, long idleTimeoutMs) {
        super(request -> HttpURI.build(upstreamBase + pathAndQuery(request)));
        this.verifier = verifier;
        this.upstreamBase = upstreamBase;
        this.publicBase = publicBase;
        this.maxBody = maxBody;
        this.upstreamIdleTimeoutMs = idleTimeoutMs;
    }

    /** The raw (still percent-encoded) path and query exactly as the client sent them: no normalisation. */
    static String pathAndQuery(Request request) {
        HttpURI uri = request.getHttpURI();
        String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
        String query = uri.getQuery();
        return query == null ? path : path + "?" + query;
    }

    /** The URL the agent signed: the public base URL followed by the raw path and query of this request. */
    String boundUrl(Request request) {
        return publicBase + pathAndQuery(request);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String id = Long.toString(requestIds.incrementAndGet(), 36);
        List<String> envelopes = request.getHeaders().getValuesList(Gateway.SAE_HEADER);
        // No envelope, no forwarding: the gateway is deny-by-default.
        if (envelopes.isEmpty()) {
            return refuse(id, request, response, callback, 403, "sae.missing", "the request carries no envelope");
        }
        // Two envelopes would leave it open which one authorised the request.
        if (envelopes.size() > 1) {
            return refuse(
                    id, request, response, callback, 403, SaeVerificationException.MALFORMED, "more than one envelope");
        }
        long declared = request.getLength();
        // Refuse a declared oversized body before reading a byte of it.
        if (declared > maxBody) {
            return refuse(id, request, response, callback, 413, "gateway.body_too_large", "the body is too large");
        }
        String compact = envelopes.get(0);
        Content.Source.asByteArrayAsync(request, maxBody).whenComplete((body, failure) -> {
            if (failure != null) {
                // Either the body exceeded the cap while streaming in, or the client went away: nothing is forwarded.
                refuse(id, request, response, callback, 413, "gateway.body_too_large", "the body is too large");
                return;
            }
            VerifiedAction verified;
            try {
                HttpBinding actual =
                        new HttpBinding(request.getMethod(), boundUrl(request), HttpBinding.digestBody(body));
                verified = verifier.verify(compact, actual);
            } catch (SaeVerificationException e) {
                refuse(id, request, response, callback, 403, e.reason(), e.getMessage());
                return;
            } catch (RuntimeException e) {
                // An unexpected failure is a refusal, never a pass.
                LOG.warn("request {} refused: unexpected verification failure", id, e);
                refuse(id, request, response, callback, 403, SaeVerificationException.INVALID, "invalid envelope");
                return;
            }
            LOG.debug("request {} allowed: {}", id, verified);
            request.setAttribute(BODY_ATTRIBUTE, body);
            request.setAttribute(VERIFIED_ATTRIBUTE, verified);
            request.setAttribute(GatewayMetricsHandler.FORWARDED_ATTRIBUTE, System.nanoTime());
            try {
                super.handle(withoutExpect(request), response, callback);
            } catch (Throwable t) {
                callback.failed(t);
            }
        });
        return true;
    }

    @Override
    protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientToProxy, HttpURI newHttpURI) {
        return super.newProxyToServerRequest(clientToProxy, newHttpURI)
                // A silent upstream is cut off rather than holding the client forever (then 504).
                .idleTimeout(upstreamIdleTimeoutMs, TimeUnit.MILLISECONDS);
    }

    /**
     * The body is already read and verified, so there is nothing left to ask the upstream's permission to send: the
     * proxy must not run its {@code Expect: 100-continue} relay (it would wait for client content already consumed).
     */
    static Request withoutExpect(Request request) {
        if (!request.getHeaders().contains(HttpHeader.EXPECT)) {
            return request;
        }
        HttpFields headers =
                HttpFields.build(request.getHeaders()).remove(HttpHeader.EXPECT).asImmutable();
        return new Request.Wrapper(request) {
            @Override
            public HttpFields getHeaders() {
                return headers;
            }
        };
    }

    @Override
    protected void onServerToProxyResponseFailure(
            Request clientToProxy,
            org.eclipse.jetty.client.Request proxyToServer,
            org.eclipse.jetty.client.Response serverToProxy,
            Response proxyToClient,
            Callback proxyToClientCallback,
            Throwable failure) {
        if (proxyToClient.isCommitted()) {
            super.onServerToProxyResponseFailure(
                    clientToProxy, proxyToServer, serverToProxy, proxyToClient, proxyToClientCallback, failure);
            return;
        }
        // Never retried: the request may have been executed, and the envelope is single-use anyway.
        boolean timeout = failure instanceof java.util.concurrent.TimeoutException;
        LOG.warn(
                "upstream exchange failed: {} {}: {}",
                clientToProxy.getMethod(),
                proxyToServer.getURI(),
                failure.toString());
        proxyToClient.getHeaders().clear();
        respond(
                proxyToClient,
                proxyToClientCallback,
                timeout ? HttpStatus.GATEWAY_TIMEOUT_504 : HttpStatus.BAD_GATEWAY_502,
                timeout ? "gateway.upstream_timeout" : "gateway.upstream_unavailable",
                timeout ? "the upstream did not answer in time" : "the upstream could not be reached");
    }

    @Override
    protected org.eclipse.jetty.client.Request.Content newProxyToServerRequestContent(
            Request clientToProxy, Response proxyToClient, org.eclipse.jetty.client.Request proxyToServer) {
        byte[] body = (byte[]) clientToProxy.getAttribute(BODY_ATTRIBUTE);
        // Forward exactly the bytes that were digested and verified, never a second read of the client stream.
        String type = clientToProxy.getHeaders().get(HttpHeader.CONTENT_TYPE);
        return new BytesRequestContent(type, body == null ? new byte[0] : body);
    }

    private static boolean refuse(
            String id, Request request, Response response, Callback callback, int status, String code, String message) {
        LOG.info(
                "request {} refused: {} {} {}: {} ({})",
                id,
                request.getMethod(),
                request.getHttpURI().getPath(),
                status,
                code,
                message);
        request.setAttribute(GatewayMetricsHandler.REASON_ATTRIBUTE, code);
        // The refused request's connection is not reused: the client may still be sending a body we did not read.
        if (status == HttpStatus.PAYLOAD_TOO_LARGE_413) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        respond(response, callback, status, code, message);
        return true;
    }

    static void respond(Response response, Callback callback, int status, String code, String message) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("code", code);
        error.put("message", message);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body.toString().getBytes(StandardCharsets.UTF_8)), callback);
    }

    String upstreamBase() {
        return upstreamBase;
    }
}
