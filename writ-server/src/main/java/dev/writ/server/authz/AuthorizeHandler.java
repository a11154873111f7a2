package dev.writ.server.authz;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.api.ApiException;
import dev.writ.server.api.Auth;
import dev.writ.server.api.Exchange;
import dev.writ.server.api.Router;
import dev.writ.server.ca.AuthenticatedAgent;
import dev.writ.server.ops.WritMetrics;

/**
 * {@code POST /v1/authorize} with an agent credential ({@code Authorization: Bearer writ_agent_…}).
 *
 * <ul>
 *   <li>200 {@code {"decision":"allow","sae","jti","expires_at","receipt":{"index","proof","checkpoint"}}}
 *   <li>403 {@code {"decision":"deny","code":"denied|denied.scope|denied.policy","denial":"<signed denial>"}}
 *   <li>202 {@code {"decision":"pending","approval_id","expires_at"}}
 *   <li>errors {@code {"error":{"code","message"}}}: 401 missing or bad credential (also a revoked agent), 403 an
 *       operator token, 400 malformed request, 503 the log or another backend is unavailable
 * </ul>
 */
public final class AuthorizeHandler {
    private AuthorizeHandler() {}

    /** The route, for mounting at {@code /v1/authorize}. */
    public static Router router(Authorizer authorizer, Auth auth) {
        return router(authorizer, auth, null);
    }

    /** The route, recording every decision and its latency in {@code metrics} (when not null). */
    public static Router router(Authorizer authorizer, Auth auth, WritMetrics metrics) {
        return new Router().post("/v1/authorize", ex -> {
            long start = System.nanoTime();
            try {
                authorize(ex, authorizer, auth, metrics, start);
            } catch (ApiException e) {
                if (metrics != null) metrics.authorizeFailed(e.code(), System.nanoTime() - start);
                throw e;
            } catch (RuntimeException e) {
                if (metrics != null) metrics.authorizeFailed("internal", System.nanoTime() - start);
                throw e;
            }
        });
    }

    private static void authorize(Exchange ex, Authorizer authorizer, Auth auth, WritMetrics metrics, long start)
            throws ApiException {
        // Who asks first: an unauthenticated caller learns nothing about request validation.
        AuthenticatedAgent agent = auth.agent(ex.request());
        Authorizer.Outcome outcome;
        try {
            AuthorizeRequest request = AuthorizeRequest.parse(ex.jsonObject());
            outcome = authorizer.authorize(agent, request);
        } catch (AuthorizeException e) {
            throw new ApiException(
                    e.status(),
                    e.code(),
                    e.status() >= 500 ? "authorization is unavailable, try again" : e.getMessage());
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        switch (outcome) {
            case Authorizer.Allowed a -> {
                body.put("decision", "allow");
                body.put("sae", a.envelope().compact());
                body.put("jti", a.envelope().jti());
                body.put("expires_at", a.envelope().expiresAt().getEpochSecond());
                body.set("receipt", a.receipt().toJson());
                if (metrics != null) metrics.authorizeAllowed(System.nanoTime() - start);
                ex.json(200, body);
            }
            case Authorizer.Denied d -> {
                body.put("decision", "deny");
                body.put("code", d.code());
                // Only the coarse denial: the detailed one (policy ids) stays in the log.
                body.put("denial", d.denial().compact());
                if (metrics != null) metrics.authorizeDenied(d.code(), System.nanoTime() - start);
                ex.json(403, body);
            }
            case Authorizer.Pending p -> {
                body.put("decision", "pending");
                body.put("approval_id", p.approvalId());
                body.put("expires_at", p.expiresAt().getEpochSecond());
                if (metrics != null) metrics.authorizePending(System.nanoTime() - start);
                ex.json(202, body);
            }
        }
    }
}
