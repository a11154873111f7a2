package dev.writ.server.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.sae.SaeVerificationException;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.sdk.AuthorizeOptions;
import dev.writ.sdk.AuthorizeResult;
import dev.writ.sdk.WritClient;
import dev.writ.sdk.WritClientException;
import dev.writ.server.ops.GatewayMetricsHandler;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.client.BytesRequestContent;
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
 * The authorizing reverse proxy: maps the agent's plain request to an action by the route map, buffers the body (up
 * to a cap), proposes the action to the Writ server's {@code POST /v1/authorize} with the agent's own credential, and
 * only on allow forwards the buffered bytes upstream with the envelope in {@code Writ-SAE}. The agent's credential
 * goes to the Writ server only: it is removed from the upstream request. Everything else (no route, denial, pending,
 * no decision) is answered by the gateway and nothing reaches the upstream.
 */
final class AuthorizingProxy extends ProxyHandler.Reverse {
    private static final Logger LOG = LoggerFactory.getLogger(AuthorizingProxy.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    // Duplicate keys would let the gateway read one amount while the upstream executes another.
    private static final ObjectMapper STRICT_JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String BODY_ATTRIBUTE = AuthorizingProxy.class.getName() + ".body";
    private static final String SAE_ATTRIBUTE = AuthorizingProxy.class.getName() + ".sae";
    private static final String BEARER = "Bearer ";

    private final RouteMap routes;
    private final URI writServer;
    private final HttpClient writHttp;
    private final Duration authorizeTimeout;
    private final SaeVerifier verifier;
    private final ExecutorService workers;
    private final String publicBase;
    private final int maxBody;
    private final long upstreamIdleTimeoutMs;
    private final AtomicLong requestIds = new AtomicLong();

    AuthorizingProxy(
            RouteMap routes,
            URI writServer,
            HttpClient writHttp,
            Duration authorizeTimeout,
            SaeVerifier verifier,
            ExecutorService workers,
            String upstreamBase,
            String publicBase,
            int maxBody,
            long upstreamIdleTimeoutMs) {
        super(request -> HttpURI.build(upstreamBase + EnforcingProxy.pathAndQuery(request)));
        this.routes = routes;
        this.writServer = writServer;
        this.writHttp = writHttp;
        this.authorizeTimeout = authorizeTimeout;
        this.verifier = verifier;
        this.workers = workers;
        this.publicBase = publicBase;
        this.maxBody = maxBody;
        this.upstreamIdleTimeoutMs = upstreamIdleTimeoutMs;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String id = Long.toString(requestIds.incrementAndGet(), 36);
        // The agent authenticates to the Writ server, through the gateway; no credential, nothing to propose.
        List<String> auth = request.getHeaders().getValuesList(HttpHeader.AUTHORIZATION);
        // The auth scheme is case-insensitive (RFC 9110 §11.1).
        if (auth.size() != 1 || !auth.get(0).regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return refuseUnread(
                    id, request, response, callback, 401, "auth.missing", "an agent credential is required");
        }
        String credential = auth.get(0).substring(BEARER.length()).trim();
        // Deny by default: a request the route map does not name is no action anybody could have authorised.
        String rawPath = request.getHttpURI().getPath();
        var match = routes.match(request.getMethod(), rawPath == null || rawPath.isEmpty() ? "/" : rawPath);
        if (match.isEmpty()) {
            return refuseUnread(id, request, response, callback, 403, "gateway.no_route", "no route for this request");
        }
        List<String> approvals = request.getHeaders().getValuesList(Gateway.APPROVAL_HEADER);
        if (approvals.size() > 1) {
            return refuseUnread(
                    id, request, response, callback, 400, "gateway.bad_request", "more than one approval id");
        }
        String approvalId = approvals.isEmpty() ? null : approvals.get(0).trim();
        List<String> sessions = request.getHeaders().getValuesList(Gateway.SESSION_HEADER);
        // One session, short and printable: it is copied into a signed, logged envelope.
        if (sessions.size() > 1
                || (sessions.size() == 1 && !sessions.get(0).trim().matches("[\\x21-\\x7e]{1,128}"))) {
            return refuseUnread(id, request, response, callback, 400, "gateway.bad_request", "invalid session header");
        }
        String session = sessions.isEmpty() ? null : sessions.get(0).trim();
        // Refuse a declared oversized body before reading a byte of it.
        if (request.getLength() > maxBody) {
            return refuseUnread(
                    id, request, response, callback, 413, "gateway.body_too_large", "the body is too large");
        }
        Content.Source.asByteArrayAsync(request, maxBody).whenComplete((body, failure) -> {
            if (failure != null) {
                refuse(id, request, response, callback, 413, "gateway.body_too_large", "the body is too large");
                return;
            }
            try {
                // The authorize call blocks on the Writ server: run it off the connector's threads.
                workers.execute(() -> authorizeAndForward(
                        id, request, response, callback, match.get(), credential, approvalId, session, body));
            } catch (RuntimeException e) {
                refuse(id, request, response, callback, 503, "gateway.unavailable", "the gateway is shutting down");
            }
        });
        return true;
    }

    private void authorizeAndForward(
            String id,
            Request request,
            Response response,
            Callback callback,
            RouteMap.Match match,
            String credential,
            String approvalId,
            String session,
            byte[] body) {
        try {
            RouteMap.Route route = match.route();
            ObjectNode params;
            try {
                params = params(match, body);
            } catch (BadRequest e) {
                refuse(id, request, response, callback, 400, e.code, e.getMessage());
                return;
            }
            String url = publicBase + EnforcingProxy.pathAndQuery(request);
            HttpBinding binding = new HttpBinding(request.getMethod(), url, HttpBinding.digestBody(body));
            ActionRequest action = new ActionRequest(
                    route.action(),
                    route.target() != null ? route.target() : publicBase,
                    params,
                    route.classification(),
                    binding);
            WritClient writ;
            try {
                writ = WritClient.builder()
                        .server(writServer)
                        .credential(credential)
                        .httpClient(writHttp)
                        .requestTimeout(authorizeTimeout)
                        .build();
            } catch (IllegalArgumentException e) {
                refuse(id, request, response, callback, 401, "auth.invalid", "the agent credential is not valid");
                return;
            }
            AuthorizeOptions options = AuthorizeOptions.defaults();
            if (approvalId != null) {
                options = options.withApproval(approvalId);
            }
            if (session != null) {
                options = options.withSession(session);
            }
            AuthorizeResult result;
            try {
                result = writ.authorize(action, options);
            } catch (WritClientException e) {
                unavailableOrRefused(id, request, response, callback, e);
                return;
            }
            switch (result) {
                case AuthorizeResult.Denied d ->
                    refuse(id, request, response, callback, 403, d.code(), "not permitted");
                case AuthorizeResult.Pending p -> pending(id, request, response, callback, p);
                case AuthorizeResult.Allowed a -> {
                    if (verifier != null) {
                        try {
                            // Defence in depth: the gateway only forwards an envelope it would itself accept.
                            verifier.verify(a.sae(), binding);
                        } catch (SaeVerificationException e) {
                            LOG.warn(
                                    "request {}: the Writ server's envelope does not verify: {} ({})",
                                    id,
                                    e.reason(),
                                    e.getMessage());
                            refuse(
                                    id,
                                    request,
                                    response,
                                    callback,
                                    503,
                                    "gateway.authorize_unavailable",
                                    "no usable authorization");
                            return;
                        }
                    }
                    LOG.debug("request {} allowed: {} jti={}", id, route.action(), a.jti());
                    request.setAttribute(BODY_ATTRIBUTE, body);
                    request.setAttribute(SAE_ATTRIBUTE, a.sae());
                    request.setAttribute(GatewayMetricsHandler.FORWARDED_ATTRIBUTE, System.nanoTime());
                    super.handle(EnforcingProxy.withoutExpect(request), response, callback);
                }
            }
        } catch (Throwable t) {
            // An unexpected failure never forwards anything.
            LOG.warn("request {} failed before forwarding", id, t);
            if (!response.isCommitted()) {
                refuse(id, request, response, callback, 503, "gateway.authorize_unavailable", "no decision");
            } else {
                callback.failed(t);
            }
        }
    }

    /** The action's parameters from the route's sources; a missing or unusable value refuses the request. */
    private static ObjectNode params(RouteMap.Match match, byte[] body) throws BadRequest {
        ObjectNode params = JSON.createObjectNode();
        JsonNode json = null;
        if (match.route().readsBody()) {
            try {
                json = STRICT_JSON.readTree(body);
            } catch (IOException e) {
                throw new BadRequest("gateway.body_invalid", "the body is not valid JSON (or repeats a key)");
            }
            if (json == null || !json.isObject()) {
                throw new BadRequest("gateway.body_invalid", "the body is not a JSON object");
            }
        }
        for (Map.Entry<String, RouteMap.Source> e : match.route().params().entrySet()) {
            String name = e.getKey();
            switch (e.getValue()) {
                case RouteMap.Source.Body b -> {
                    JsonNode v = json.at(b.pointer());
                    if (v.isMissingNode() || v.isNull()) {
                        throw new BadRequest("gateway.param_missing", "the body has no value for " + name);
                    }
                    // Amounts are integer minor units; anything but a scalar would be read differently elsewhere.
                    if (!v.isTextual() && !(v.isIntegralNumber() && v.canConvertToLong()) && !v.isBoolean()) {
                        throw new BadRequest(
                                "gateway.param_invalid", name + " must be a string, an integer or a boolean");
                    }
                    params.set(name, v.isIntegralNumber() ? params.numberNode(v.longValue()) : v.deepCopy());
                }
                case RouteMap.Source.PathParam p ->
                    params.put(name, match.pathParams().get(p.name()));
                case RouteMap.Source.Constant c -> params.set(name, c.value().deepCopy());
            }
        }
        return params;
    }

    private static void unavailableOrRefused(
            String id, Request request, Response response, Callback callback, WritClientException e) {
        int status = e.status();
        // The server refused the agent: say so (its stable code), nothing else about it.
        if (status == 401 || (status == 403 && e.code().startsWith("auth."))) {
            String code = e.code().startsWith("auth.") ? e.code() : "auth.invalid";
            refuse(id, request, response, callback, status, code, "the agent credential was refused");
            return;
        }
        if (status == 400) {
            refuse(id, request, response, callback, 400, "gateway.action_invalid", "the action was refused as input");
            return;
        }
        // No trustworthy decision (unreachable, timeout, 5xx, garbled): fail closed, nothing forwarded.
        LOG.warn("request {}: no decision from the Writ server: {} ({})", id, e.code(), status);
        refuse(
                id,
                request,
                response,
                callback,
                503,
                "gateway.authorize_unavailable",
                "the authorization service is unavailable");
    }

    private static void pending(
            String id, Request request, Response response, Callback callback, AuthorizeResult.Pending p) {
        LOG.info(
                "request {} pending approval: {} {}",
                id,
                request.getMethod(),
                request.getHttpURI().getPath());
        request.setAttribute(GatewayMetricsHandler.REASON_ATTRIBUTE, "approval.pending");
        ObjectNode body = JSON.createObjectNode();
        body.put("decision", "pending");
        body.put("approval_id", p.approvalId());
        if (p.expiresAt() != null) {
            body.put("expires_at", p.expiresAt().getEpochSecond());
        }
        response.setStatus(HttpStatus.ACCEPTED_202);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(Gateway.APPROVAL_HEADER, p.approvalId());
        response.write(true, ByteBuffer.wrap(body.toString().getBytes(StandardCharsets.UTF_8)), callback);
    }

    @Override
    protected void copyRequestHeaders(Request clientToProxy, org.eclipse.jetty.client.Request proxyToServer) {
        super.copyRequestHeaders(clientToProxy, proxyToServer);
        String sae = (String) clientToProxy.getAttribute(SAE_ATTRIBUTE);
        proxyToServer.headers(h -> {
            // The agent credential is for the Writ server only; the upstream must never see (or replay) it.
            h.remove(HttpHeader.AUTHORIZATION);
            h.remove(Gateway.APPROVAL_HEADER);
            h.remove(Gateway.SESSION_HEADER);
            // Only the envelope the gateway obtained for this exact request travels upstream.
            h.remove(Gateway.SAE_HEADER);
            if (sae != null) {
                h.put(Gateway.SAE_HEADER, sae);
            }
        });
    }

    @Override
    protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientToProxy, HttpURI newHttpURI) {
        return super.newProxyToServerRequest(clientToProxy, newHttpURI)
                .idleTimeout(upstreamIdleTimeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    protected org.eclipse.jetty.client.Request.Content newProxyToServerRequestContent(
            Request clientToProxy, Response proxyToClient, org.eclipse.jetty.client.Request proxyToServer) {
        byte[] body = (byte[]) clientToProxy.getAttribute(BODY_ATTRIBUTE);
        // Forward exactly the bytes that were digested and authorised, never a second read of the client stream.
        String type = clientToProxy.getHeaders().get(HttpHeader.CONTENT_TYPE);
        return new BytesRequestContent(type, body == null ? new byte[0] : body);
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
        LOG.warn("upstream exchange failed: {} {}: {}", clientToProxy.getMethod(), proxyToServer.getURI(), failure);
        proxyToClient.getHeaders().clear();
        EnforcingProxy.respond(
                proxyToClient,
                proxyToClientCallback,
                timeout ? HttpStatus.GATEWAY_TIMEOUT_504 : HttpStatus.BAD_GATEWAY_502,
                timeout ? "gateway.upstream_timeout" : "gateway.upstream_unavailable",
                timeout ? "the upstream did not answer in time" : "the upstream could not be reached");
    }

    /**
     * A refusal before the body was read: the connection is closed after the answer, so a client never writes its
     * next request onto a connection the server is about to drop because of the unread body.
     */
    private static boolean refuseUnread(
            String id, Request request, Response response, Callback callback, int status, String code, String message) {
        if (request.getLength() != 0) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        return refuse(id, request, response, callback, status, code, message);
    }

    private static boolean refuse(
            String id, Request request, Response response, Callback callback, int status, String code, String message) {
        LOG.info(
                "request {} refused: {} {} {}: {}",
                id,
                request.getMethod(),
                request.getHttpURI().getPath(),
                status,
                code);
        request.setAttribute(GatewayMetricsHandler.REASON_ATTRIBUTE, code);
        if (status == HttpStatus.PAYLOAD_TOO_LARGE_413) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        EnforcingProxy.respond(response, callback, status, code, message);
        return true;
    }

    private static final class BadRequest extends Exception {
        final String code;

        BadRequest(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }
}
