package dev.writ.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.ca.AgentService;
import dev.writ.server.ca.AuthenticatedAgent;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.IssuedAgent;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.RevocationReasons;
import dev.writ.server.store.AgentRecord;
import dev.writ.server.store.CertificateRecord;
import java.io.IOException;
import java.util.Set;

/**
 * The control-plane API of the trust domain: agents, sub-agents, rotation, certificates, revocation, tenants. See
 * {@code docs/http-api.md} for the request and response shapes.
 */
public final class TrustApi {
    private static final Set<String> WRITE = Set.of("operator");
    private static final Set<String> READ = Set.of("operator", "auditor");

    private TrustApi() {}

    public static Router router(AgentService agents, Auth auth) {
        Router r = new Router();
        r.post("/api/v1/agents", ex -> {
            auth.operator(ex.request(), WRITE);
            ObjectNode body = ex.jsonObject();
            ex.json(201, issued(call(() -> agents.create(body))));
        });
        r.get("/api/v1/agents", ex -> {
            auth.operator(ex.request(), READ);
            ArrayNode list = Exchange.JSON.createArrayNode();
            for (AgentRecord a : call(() -> agents.list(ex.query("tenant")))) {
                list.add(agent(call(() -> agents.get(a.id()))));
            }
            ObjectNode out = Exchange.JSON.createObjectNode();
            out.set("agents", list);
            ex.json(200, out);
        });
        r.get("/api/v1/agents/{id}", ex -> {
            auth.operator(ex.request(), READ);
            ex.json(200, agent(call(() -> agents.get(ex.param("id")))));
        });
        r.post("/api/v1/agents/{id}/subagents", ex -> {
            AuthenticatedAgent parent = auth.agent(ex.request());
            // Only the parent itself may delegate its authority.
            if (!parent.agentId().equals(ex.param("id"))) {
                throw ApiException.forbidden("auth.not_parent", "only the agent itself may create its sub-agents");
            }
            ObjectNode body = ex.jsonObject();
            ex.json(201, issued(call(() -> agents.delegate(parent, body))));
        });
        r.post("/api/v1/agents/{id}/rotate", ex -> {
            Object who = auth.agentOrOperator(ex.request(), WRITE);
            // An agent may rotate only itself.
            if (who instanceof AuthenticatedAgent a && !a.agentId().equals(ex.param("id"))) {
                throw ApiException.forbidden("auth.not_self", "an agent may rotate only itself");
            }
            // Rotation takes no options: anything in the body is an unknown field.
            ObjectNode body = ex.jsonObject();
            if (body.size() > 0) {
                throw ApiException.badRequest(
                        "request.unknown_field",
                        "unknown field: " + body.fieldNames().next());
            }
            ex.json(200, issued(call(() -> agents.rotate(ex.param("id")))));
        });
        r.post("/api/v1/agents/{id}/quarantine", ex -> {
            auth.operator(ex.request(), WRITE);
            ex.json(200, revocation(call(() -> agents.quarantine(ex.param("id")))));
        });
        r.get("/api/v1/certificates", ex -> {
            auth.operator(ex.request(), READ);
            int limit = 100;
            String l = ex.query("limit");
            if (l != null) {
                try {
                    limit = Integer.parseInt(l);
                } catch (NumberFormatException e) {
                    limit = -1;
                }
                if (limit < 1 || limit > 1000) {
                    throw ApiException.badRequest("request.limit_invalid", "limit must be 1 to 1000");
                }
            }
            int n = limit;
            ArrayNode list = Exchange.JSON.createArrayNode();
            for (CertificateRecord c : call(() -> agents.certificates(ex.query("agent"), n))) {
                list.add(certificate(c, false));
            }
            ObjectNode out = Exchange.JSON.createObjectNode();
            out.set("certificates", list);
            ex.json(200, out);
        });
        r.get("/api/v1/certificates/{serial}", ex -> {
            auth.operator(ex.request(), READ);
            ex.json(200, certificate(call(() -> agents.certificate(ex.param("serial"))), true));
        });
        r.delete("/api/v1/certificates/{serial}", ex -> {
            auth.operator(ex.request(), WRITE);
            String reason = ex.query("reason");
            ex.json(200, revocation(call(() -> agents.revoke(ex.param("serial"), reason))));
        });
        r.post("/api/v1/tenants", ex -> {
            auth.operator(ex.request(), Set.of());
            ObjectNode body = ex.jsonObject();
            JsonNode name = body.get("name");
            if (body.size() != 1 || name == null || !name.isTextual()) {
                throw ApiException.badRequest("request.invalid", "expected {\"name\": \"<tenant>\"}");
            }
            boolean created = call(() -> agents.createTenant(name.asText()));
            ObjectNode out = Exchange.JSON.createObjectNode();
            out.put("name", name.asText());
            out.put("created", created);
            ex.json(created ? 201 : 200, out);
        });
        return r;
    }

    @FunctionalInterface
    private interface CaCall<T> {
        T call() throws CaException;
    }

    private static <T> T call(CaCall<T> c) throws ApiException {
        try {
            return c.call();
        } catch (CaException e) {
            throw Exchange.from(e);
        }
    }

    static ObjectNode issued(IssuedAgent a) {
        ObjectNode n = Exchange.JSON.createObjectNode();
        n.put("agent_id", a.agentId());
        n.put("tenant", a.tenant());
        n.put("name", a.name());
        n.put("spiffe_id", a.spiffeId());
        n.put("serial", a.serial());
        n.put("not_before", a.notBefore().toString());
        n.put("not_after", a.notAfter().toString());
        n.put("certificate", a.certificatePem());
        n.put("chain", a.chainPem());
        if (a.credential() != null) {
            n.put("credential", a.credential());
        }
        return n;
    }

    static ObjectNode agent(AgentService.AgentState s) throws IOException {
        AgentRecord a = s.agent();
        ObjectNode n = Exchange.JSON.createObjectNode();
        n.put("agent_id", a.id());
        n.put("tenant", a.tenant());
        n.put("name", a.name());
        n.put("spiffe_id", s.spiffeId());
        n.put("status", a.status());
        if (a.parentId() != null) {
            n.put("parent", a.parentId());
        }
        n.set("scope", Exchange.JSON.readTree(a.scopeJson()));
        if (a.modelJson() != null) {
            n.set("model", Exchange.JSON.readTree(a.modelJson()));
        }
        n.put("key_spec", a.keySpec());
        n.put("created_at", a.createdAt().toString());
        if (s.certificate() != null) {
            n.set("certificate", certificate(s.certificate(), false));
        }
        return n;
    }

    static ObjectNode certificate(CertificateRecord c, boolean withPem) {
        ObjectNode n = Exchange.JSON.createObjectNode();
        n.put("serial", c.serial());
        n.put("ca", c.ca());
        n.put("kind", c.kind());
        if (c.agentId() != null) {
            n.put("agent_id", c.agentId());
        }
        if (c.parentSerial() != null) {
            n.put("parent_serial", c.parentSerial());
        }
        n.put("subject", c.subject());
        n.put("not_before", c.notBefore().toString());
        n.put("not_after", c.notAfter().toString());
        n.put("status", c.status());
        if (c.revokedAt() != null) {
            n.put("revoked_at", c.revokedAt().toString());
            n.put("reason", RevocationReasons.name(c.revocationReason() == null ? 0 : c.revocationReason()));
        }
        if (withPem) {
            n.put("certificate", Pem.certificate(c.der()));
        }
        return n;
    }

    static ObjectNode revocation(AgentService.Revocation r) {
        ObjectNode n = Exchange.JSON.createObjectNode();
        n.put("serial", r.serial());
        n.put("agent_id", r.agentId());
        n.put("status", "revoked");
        ArrayNode c = n.putArray("cascaded");
        r.cascaded().forEach(c::add);
        return n;
    }
}
