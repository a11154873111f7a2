package dev.writ.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs the test cases a bundle ships in {@code tests/*.json} against the bundle's Cedar policies, offline. The
 * certificate scope check is not part of these tests (it depends on the agent's certificate, not on the bundle).
 *
 * <p>Case format (unknown fields are refused):
 *
 * <pre>{@code
 * {"cases": [{
 *   "name": "purchase order to a listed vendor",
 *   "agent": {"id": "buyer-1", "tenant": "acme", "name": "buyer", "modelDigest": "sha256:…", "delegationDepth": 0,
 *             "parent": "root-1"},                                        // modelDigest, parent optional
 *   "action": {"name": "erp.purchase_order.create", "target": "erp", "classification": "internal",
 *              "params": {"amount": 500000, "currency": "EUR", "counterparty": "globex"}},
 *   "signals": {"riskScore": 0, "attestation": "verified", "approvals": []}, // optional
 *   "at": "2026-01-05T10:00:00Z",                                         // optional, this default
 *   "expect": {"decision": "allow" | "deny" | "pending_approval", "reasons": ["…"]}  // reasons optional
 * }]}
 * }</pre>
 */
public final class BundleTests {
    static final Instant DEFAULT_AT = Instant.parse("2026-01-05T10:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private BundleTests() {}

    /**
     * The outcome of one case.
     *
     * @param file the test file
     * @param name the case name
     * @param expected the expected decision ({@code allow}, {@code deny}, {@code pending_approval})
     * @param expectedReasons the expected reasons, or {@code null} when the case does not check them
     * @param actual the decision Cedar reached
     */
    public record CaseResult(String file, String name, String expected, List<String> expectedReasons, Decision actual) {
        /** Whether the decision (and the reasons, when given) match. */
        public boolean passed() {
            if (!expected.equals(kind(actual))) {
                return false;
            }
            return expectedReasons == null || new TreeSet<>(expectedReasons).equals(new TreeSet<>(reasons(actual)));
        }
    }

    /** The wire name of a decision's kind. */
    public static String kind(Decision d) {
        return switch (d) {
            case Decision.Allow a -> "allow";
            case Decision.Deny x -> "deny";
            case Decision.PendingApproval p -> "pending_approval";
        };
    }

    /** The policy ids or codes of a decision. */
    public static List<String> reasons(Decision d) {
        return switch (d) {
            case Decision.Allow a -> a.policyIds();
            case Decision.Deny x -> x.reasonCodes();
            case Decision.PendingApproval p -> p.forbidPolicyIds();
        };
    }

    /**
     * Compiles the bundle and runs every case.
     *
     * @throws PolicyException when the bundle does not compile, or a test file is malformed
     *     ({@code policy.invalid_bundle})
     */
    public static List<CaseResult> run(BundleFiles files) throws PolicyException {
        CompiledBundle bundle = CompiledBundle.compile(files);
        List<CaseResult> out = new ArrayList<>();
        for (String path : files.paths()) {
            if (!path.startsWith("tests/")) {
                continue;
            }
            JsonNode root;
            try {
                root = JSON.readTree(files.get(path));
            } catch (IOException e) {
                throw bad(path, "not valid JSON");
            }
            if (root == null || !root.isObject() || !root.path("cases").isArray() || root.size() != 1) {
                throw bad(path, "must be an object with one field, \"cases\", an array");
            }
            for (JsonNode c : root.get("cases")) {
                out.add(runCase(bundle, path, c));
            }
        }
        return out;
    }

    private static CaseResult runCase(CompiledBundle bundle, String path, JsonNode c) throws PolicyException {
        only(path, c, "case", Set.of("name", "agent", "action", "signals", "at", "expect"));
        String name = str(path, c, "name", true);
        try {
            JsonNode a = obj(path, c, "agent");
            only(path, a, "agent", Set.of("id", "tenant", "name", "modelDigest", "delegationDepth", "parent"));
            AgentPrincipal agent = new AgentPrincipal(
                    str(path, a, "id", true),
                    str(path, a, "tenant", true),
                    str(path, a, "name", true),
                    str(path, a, "modelDigest", false),
                    a.path("delegationDepth").asInt(0),
                    str(path, a, "parent", false));
            JsonNode ac = obj(path, c, "action");
            only(path, ac, "action", Set.of("name", "target", "classification", "params"));
            JsonNode params = ac.get("params");
            if (params != null && !params.isObject()) {
                throw bad(path, "action.params must be an object");
            }
            String cls = str(path, ac, "classification", false);
            ActionRequest action = new ActionRequest(
                    str(path, ac, "name", true),
                    str(path, ac, "target", true),
                    params == null ? JSON.createObjectNode() : (ObjectNode) params,
                    cls == null ? Classification.INTERNAL : Classification.fromWire(cls),
                    null);
            RequestSignals signals = RequestSignals.NONE;
            JsonNode s = c.get("signals");
            if (s != null) {
                only(path, s, "signals", Set.of("riskScore", "attestation", "approvals"));
                Set<String> approvals = new TreeSet<>();
                for (JsonNode x : s.path("approvals")) {
                    approvals.add(x.asText());
                }
                signals = new RequestSignals(
                        s.path("riskScore").asInt(0), s.path("attestation").asText("none"), approvals);
            }
            String at = str(path, c, "at", false);
            Instant when = at == null ? DEFAULT_AT : Instant.parse(at);
            JsonNode e = obj(path, c, "expect");
            only(path, e, "expect", Set.of("decision", "reasons"));
            String expected = str(path, e, "decision", true);
            if (!Set.of("allow", "deny", "pending_approval").contains(expected)) {
                throw bad(path, "expect.decision must be allow, deny or pending_approval");
            }
            List<String> reasons = null;
            if (e.has("reasons")) {
                reasons = new ArrayList<>();
                for (JsonNode r : e.get("reasons")) {
                    reasons.add(r.asText());
                }
            }
            return new CaseResult(path, name, expected, reasons, bundle.evaluate(agent, action, signals, when));
        } catch (IllegalArgumentException | DateTimeParseException ex) {
            throw bad(path, "case \"" + name + "\": " + ex.getMessage());
        }
    }

    private static JsonNode obj(String path, JsonNode n, String field) throws PolicyException {
        JsonNode v = n.get(field);
        if (v == null || !v.isObject()) {
            throw bad(path, "each case needs an object \"" + field + "\"");
        }
        return v;
    }

    private static String str(String path, JsonNode n, String field, boolean required) throws PolicyException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw bad(path, "missing string field \"" + field + "\"");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw bad(path, "\"" + field + "\" must be a string");
        }
        return v.textValue();
    }

    private static void only(String path, JsonNode n, String what, Set<String> allowed) throws PolicyException {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw bad(path, what + " has an unknown field \"" + f + "\"");
            }
        }
    }

    private static PolicyException bad(String path, String message) {
        return new PolicyException("policy.invalid_bundle", path + ": " + message);
    }
}
