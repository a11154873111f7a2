package dev.writ.server.approval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.api.ApiException;
import dev.writ.server.api.Auth;
import dev.writ.server.api.Exchange;
import dev.writ.server.api.Router;
import dev.writ.server.ca.AuthenticatedAgent;
import java.time.Instant;
import java.util.Iterator;
import java.util.Set;

/**
 * The approval endpoints.
 *
 * <ul>
 *   <li>{@code GET /api/v1/approvals?status=pending|approved|denied|expired|all[&limit=N]}, {@code GET
 *       /api/v1/approvals/{id}}: operator token with role {@code approver} (or {@code admin}); the full record,
 *       including the policies that asked for a human.
 *   <li>{@code POST /api/v1/approvals/{id}/approve}, {@code .../deny} (body optional: {@code {"comment":"..."}}): role
 *       {@code approver} (or {@code admin}). Agent credentials are refused (403 {@code auth.agent_forbidden}), so no
 *       agent, and so neither the requesting agent nor its parent, can approve.
 *   <li>{@code GET /v1/approvals/{id}}: the requesting agent's credential; {@code {"id","status","expires_at"}}. Another
 *       agent gets 404, as for an unknown id.
 * </ul>
 */
public final class ApprovalHandler {
    private static final Set<String> APPROVERS = Set.of("approver");

    private ApprovalHandler() {}

    /** The routes, for mounting at {@code /api/v1/approvals} and {@code /v1/approvals}. */
    public static Router router(ApprovalService approvals, Auth auth) {
        return new Router()
                .get("/api/v1/approvals", ex -> list(ex, approvals, auth))
                .get("/api/v1/approvals/{id}", ex -> {
                    auth.operator(ex.request(), APPROVERS);
                    Approval a = find(approvals, ex.param("id"));
                    ex.json(200, a.operatorView(approvals.clock().instant()));
                })
                .post("/api/v1/approvals/{id}/approve", ex -> decide(ex, approvals, auth, true))
                .post("/api/v1/approvals/{id}/deny", ex -> decide(ex, approvals, auth, false))
                .get("/v1/approvals/{id}", ex -> {
                    AuthenticatedAgent agent = auth.agent(ex.request());
                    Approval a = find(approvals, ex.param("id"));
                    // An agent sees only its own approvals; others look exactly like unknown ids.
                    if (!a.agentId().equals(agent.agentId())) {
                        throw ApiException.notFound("approval.not_found", "no such approval");
                    }
                    ex.json(200, a.agentView(approvals.clock().instant()));
                });
    }

    private static void list(Exchange ex, ApprovalService approvals, Auth auth) throws ApiException {
        auth.operator(ex.request(), APPROVERS);
        String status = ex.query("status");
        if (status == null) {
            status = "pending";
        }
        if (!Set.of("pending", "approved", "denied", "expired", "all").contains(status)) {
            throw ApiException.badRequest(
                    "approval.bad_status", "status must be pending, approved, denied, expired or all");
        }
        int limit = 100;
        String l = ex.query("limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 1000) {
                throw ApiException.badRequest("approval.bad_limit", "limit must be between 1 and 1000");
            }
        }
        Instant now = approvals.clock().instant();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        var arr = out.putArray("approvals");
        try {
            for (Approval a : approvals.list(status.equals("all") ? null : status, limit)) {
                arr.add(a.operatorView(now));
            }
        } catch (ApprovalException e) {
            throw api(e);
        }
        ex.json(200, out);
    }

    private static void decide(Exchange ex, ApprovalService approvals, Auth auth, boolean approve) throws ApiException {
        Auth.Operator op = auth.operator(ex.request(), APPROVERS);
        ObjectNode body = ex.jsonObject();
        String comment = null;
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("comment")) {
                throw ApiException.badRequest("request.unknown_field", "unknown field " + f);
            }
        }
        JsonNode c = body.get("comment");
        if (c != null) {
            if (!c.isTextual() || c.asText().length() > 1000) {
                throw ApiException.badRequest("approval.bad_comment", "comment must be a string of at most 1000");
            }
            comment = c.asText();
        }
        try {
            Approval a = approvals.decide(ex.param("id"), approve, op.tokenId(), op.role(), op.label(), comment);
            ex.json(200, a.operatorView(approvals.clock().instant()));
        } catch (ApprovalException e) {
            throw api(e);
        }
    }

    private static Approval find(ApprovalService approvals, String id) throws ApiException {
        try {
            return approvals
                    .find(id)
                    .orElseThrow(() -> ApiException.notFound("approval.not_found", "no such approval"));
        } catch (ApprovalException e) {
            throw api(e);
        }
    }

    /** The API face of an approval refusal. */
    static ApiException api(ApprovalException e) {
        return switch (e.code()) {
            case "approval.not_found" -> ApiException.notFound(e.code(), e.getMessage());
            case "approval.not_pending", "approval.expired" -> new ApiException(409, e.code(), e.getMessage());
            case "approval.unavailable" -> new ApiException(503, e.code(), "approvals are unavailable, try again");
            default -> ApiException.forbidden(e.code(), e.getMessage());
        };
    }
}
