package dev.writ.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.policy.BundleFiles;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicyStore;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The policy control plane over HTTP: push a bundle as a new signed version, list and show versions, activate one
 * (rollback is activating an earlier one). Pushing validates, hashes and signs on the server, with the domain's
 * policy-signing key in custody; activation re-verifies the stored version first. See {@code docs/policy.md}.
 *
 * <ul>
 *   <li>{@code POST /api/v1/policies} {@code {"files":{"<path>":"<base64 content>",...}}} (operator) → 201 version
 *   <li>{@code GET /api/v1/policies} (operator, auditor) → {@code {"active":n|null,"versions":[...]}}
 *   <li>{@code GET /api/v1/policies/{version}} (operator, auditor) → version with its files
 *   <li>{@code POST /api/v1/policies/{version}/activate} (operator) → the activation
 * </ul>
 */
public final class PolicyApi {
    private static final Set<String> WRITE = Set.of("operator");
    private static final Set<String> READ = Set.of("operator", "auditor");

    /** Called after an activation commits, so the decision point loads the new version at once. */
    public interface ActivationListener {
        void activated() throws Exception;
    }

    private PolicyApi() {}

    public static Router router(PolicyService policies, Auth auth, ActivationListener onActivate) {
        Router r = new Router();
        r.post("/api/v1/policies", ex -> {
            auth.operator(ex.request(), WRITE);
            BundleFiles files = files(ex.jsonObject());
            PolicyStore.StoredBundle stored = call(() -> policies.push(files));
            ex.json(201, version(stored.meta(), false));
        });
        r.get("/api/v1/policies", ex -> {
            auth.operator(ex.request(), READ);
            long active =
                    call(policies::active).map(PolicyStore.Activation::version).orElse(-1L);
            ObjectNode out = Exchange.JSON.createObjectNode();
            if (active > 0) {
                out.put("active", active);
            } else {
                out.putNull("active");
            }
            ArrayNode list = out.putArray("versions");
            for (PolicyStore.PolicyVersion v : call(policies::list)) {
                list.add(version(v, v.version() == active));
            }
            ex.json(200, out);
        });
        r.get("/api/v1/policies/{version}", ex -> {
            auth.operator(ex.request(), READ);
            long v = versionParam(ex.param("version"));
            PolicyStore.StoredBundle stored = call(() -> policies.show(v));
            long active =
                    call(policies::active).map(PolicyStore.Activation::version).orElse(-1L);
            ObjectNode out = version(stored.meta(), v == active);
            out.put("statement", stored.statement());
            BundleFiles files = call(() -> BundleFiles.decode(stored.content()));
            ObjectNode f = out.putObject("files");
            for (String path : files.paths()) {
                f.put(path, Base64.getEncoder().encodeToString(files.get(path)));
            }
            ex.json(200, out);
        });
        r.post("/api/v1/policies/{version}/activate", ex -> {
            auth.operator(ex.request(), WRITE);
            long v = versionParam(ex.param("version"));
            PolicyService.Activated a = call(() -> policies.activate(v));
            try {
                onActivate.activated();
            } catch (Exception e) {
                // The activation is committed and logged; the decision point's periodic refresh will load it.
                org.slf4j.LoggerFactory.getLogger(PolicyApi.class)
                        .error("activated version {} but the decision point did not reload at once", v, e);
            }
            ObjectNode out = Exchange.JSON.createObjectNode();
            out.put("version", a.activation().version());
            out.put("activation", a.activation().sequence());
            out.put("activated_at", a.activation().at().toString());
            out.put("hash", a.bundle().hash());
            ex.json(200, out);
        });
        return r;
    }

    private static BundleFiles files(ObjectNode body) throws ApiException {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("files")) {
                throw ApiException.badRequest("request.unknown_field", "unknown field " + f);
            }
        }
        JsonNode files = body.get("files");
        if (files == null || !files.isObject() || files.isEmpty()) {
            throw ApiException.badRequest("policy.invalid_bundle", "files must be an object of path → base64 content");
        }
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw ApiException.badRequest(
                        "policy.invalid_bundle", "file " + e.getKey() + " is not a base64 string");
            }
            try {
                contents.put(e.getKey(), Base64.getDecoder().decode(e.getValue().textValue()));
            } catch (IllegalArgumentException bad) {
                throw ApiException.badRequest("policy.invalid_bundle", "file " + e.getKey() + " is not valid base64");
            }
        }
        return call(() -> BundleFiles.of(contents));
    }

    private static ObjectNode version(PolicyStore.PolicyVersion v, boolean active) {
        ObjectNode o = Exchange.JSON.createObjectNode();
        o.put("version", v.version());
        o.put("hash", v.hash());
        o.set("manifest", v.manifest().toJson());
        o.put("created_at", v.createdAt().toString());
        o.put("active", active);
        return o;
    }

    private static long versionParam(String s) throws ApiException {
        try {
            long v = Long.parseLong(s);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw ApiException.badRequest("policy.version_invalid", "the version must be a positive integer");
    }

    private interface PolicyCall<T> {
        T get() throws PolicyException;
    }

    /** Policy failures become client errors with the policy's stable code; storage failures are server errors. */
    private static <T> T call(PolicyCall<T> c) throws ApiException {
        try {
            return c.get();
        } catch (PolicyException e) {
            int status =
                    switch (e.code()) {
                        case "policy.unknown_version" -> 404;
                        case "policy.storage", "policy.event", "policy.no_identity" -> 500;
                        default -> 400;
                    };
            if (status == 500) {
                org.slf4j.LoggerFactory.getLogger(PolicyApi.class).error("policy operation failed", e);
                throw new ApiException(500, e.code(), "the policy operation failed on the server");
            }
            throw new ApiException(status, e.code(), e.getMessage());
        }
    }
}
