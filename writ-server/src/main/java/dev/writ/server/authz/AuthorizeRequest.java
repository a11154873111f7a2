package dev.writ.server.authz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.json.CanonicalJson;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /v1/authorize}, parsed strictly: unknown fields, wrong types, floating-point numbers anywhere
 * in the parameters, a malformed digest or an out-of-range risk are refused with a {@code request.*} code.
 *
 * <pre>{@code
 * {"action":{"name","params":{},"classification","http":{"method","url","body":"sha256:..."}},
 *  "target":"...","context":{"session":"...","parent_chain":["sha256:<hex>"],"risk":0},"approval_id":"..."}
 * }</pre>
 *
 * Required: {@code action.name}, {@code action.classification}, {@code target}. Defaults: {@code params} {}, no
 * {@code http}, {@code session} "", {@code parent_chain} [], {@code risk} 0.
 *
 * @param approvalId the approval this request redeems, or null
 */
public record AuthorizeRequest(
        ActionRequest action, String session, List<String> parentChain, int risk, String approvalId) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,255}");
    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,16}");
    private static final Pattern BODY = Pattern.compile("sha256:[A-Za-z0-9_-]{43}");
    private static final Pattern PARENT = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern APPROVAL = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final int MAX_TEXT = 2048;
    private static final int MAX_PARENTS = 64;

    public AuthorizeRequest {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(session, "session");
        parentChain = List.copyOf(parentChain);
    }

    /**
     * Parses a request body.
     *
     * @throws AuthorizeException 400 {@code request.invalid} (shape, types, values) or {@code request.unknown_field}
     */
    public static AuthorizeRequest parse(JsonNode body) throws AuthorizeException {
        if (body == null || !body.isObject()) {
            throw bad("the request must be a JSON object");
        }
        fields(body, "", Set.of("action", "target", "context", "approval_id"));
        JsonNode a = body.get("action");
        if (a == null || !a.isObject()) {
            throw bad("action must be an object");
        }
        fields(a, "action.", Set.of("name", "params", "classification", "http"));
        String name = text(a, "name", "action.name", true);
        if (!NAME.matcher(name).matches()) {
            throw bad("action.name is not a valid action name");
        }
        ObjectNode params;
        JsonNode p = a.get("params");
        if (p == null) {
            params = JsonNodeFactory.instance.objectNode();
        } else if (p.isObject()) {
            params = (ObjectNode) p;
            // Amounts are integer minor units: a float would mean different things to different verifiers.
            requireIntegers(params, "action.params");
        } else {
            throw bad("action.params must be an object");
        }
        Classification classification;
        try {
            classification = Classification.fromWire(text(a, "classification", "action.classification", true));
        } catch (IllegalArgumentException e) {
            throw bad("action.classification must be public, internal, confidential or restricted");
        }
        HttpBinding http = null;
        JsonNode h = a.get("http");
        if (h != null && !h.isNull()) {
            if (!h.isObject()) {
                throw bad("action.http must be an object");
            }
            fields(h, "action.http.", Set.of("method", "url", "body"));
            String method = text(h, "method", "action.http.method", true);
            String url = text(h, "url", "action.http.url", true);
            String digest = text(h, "body", "action.http.body", true);
            if (!METHOD.matcher(method).matches()) {
                throw bad("action.http.method must be an upper-case HTTP method");
            }
            if (!BODY.matcher(digest).matches()) {
                throw bad("action.http.body must be sha256: and the base64url SHA-256 of the body");
            }
            http = new HttpBinding(method, url, digest);
        }
        String target = text(body, "target", "target", true);
        String session = "";
        List<String> parents = new ArrayList<>();
        int risk = 0;
        JsonNode c = body.get("context");
        if (c != null && !c.isNull()) {
            if (!c.isObject()) {
                throw bad("context must be an object");
            }
            fields(c, "context.", Set.of("session", "parent_chain", "risk"));
            String s = text(c, "session", "context.session", false);
            session = s == null ? "" : s;
            JsonNode pc = c.get("parent_chain");
            if (pc != null && !pc.isNull()) {
                if (!pc.isArray() || pc.size() > MAX_PARENTS) {
                    throw bad("context.parent_chain must be an array of at most " + MAX_PARENTS + " hashes");
                }
                for (JsonNode e : pc) {
                    if (!e.isTextual() || !PARENT.matcher(e.asText()).matches()) {
                        throw bad("context.parent_chain entries must be sha256: and 64 lower-case hex digits");
                    }
                    parents.add(e.asText());
                }
            }
            JsonNode r = c.get("risk");
            if (r != null && !r.isNull()) {
                if (!r.isIntegralNumber() || !r.canConvertToInt() || r.asInt() < 0 || r.asInt() > 100) {
                    throw bad("context.risk must be an integer from 0 to 100");
                }
                risk = r.asInt();
            }
        }
        String approvalId = text(body, "approval_id", "approval_id", false);
        if (approvalId != null && !APPROVAL.matcher(approvalId).matches()) {
            throw bad("approval_id is malformed");
        }
        return new AuthorizeRequest(
                new ActionRequest(name, target, params, classification, http), session, parents, risk, approvalId);
    }

    /** The request as approvers see it and as it is hashed: {@code {"action":{...},"target":"..."}}. */
    public ObjectNode canonicalRequest() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ObjectNode act = o.putObject("action");
        act.put("name", action.name());
        act.set("params", action.params());
        act.put("classification", action.classification().wireName());
        if (action.http() != null) {
            ObjectNode http = act.putObject("http");
            http.put("method", action.http().method());
            http.put("url", action.http().url());
            http.put("body", action.http().bodyDigest());
        }
        o.put("target", action.target());
        return o;
    }

    /**
     * The hash an approval is bound to: {@code sha256:} + hex SHA-256 of the RFC 8785 encoding of
     * {@code {"action":{...},"agent":"<agent id>","target":"..."}}. The context (session, parents, risk) is not part
     * of it: a human approves an action by an agent, and the decision is re-run on the context of the redeeming request.
     */
    public String requestHash(String agentId) {
        ObjectNode o = canonicalRequest();
        o.put("agent", agentId);
        try {
            return "sha256:"
                    + HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(CanonicalJson.encode(o)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static void fields(JsonNode n, String prefix, Set<String> allowed) throws AuthorizeException {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            // An unknown field may be a constraint the caller believes is enforced: refuse rather than ignore it.
            if (!allowed.contains(f)) {
                throw new AuthorizeException(400, "request.unknown_field", "unknown field " + prefix + f);
            }
        }
    }

    private static String text(JsonNode n, String field, String where, boolean required) throws AuthorizeException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw bad(where + " is required");
            }
            return null;
        }
        if (!v.isTextual()
                || v.asText().length() > MAX_TEXT
                || (required && v.asText().isEmpty())) {
            throw bad(where + " must be a non-empty string of at most " + MAX_TEXT + " characters");
        }
        return v.asText();
    }

    private static void requireIntegers(JsonNode n, String where) throws AuthorizeException {
        if (n.isFloatingPointNumber() || n.isBigDecimal()) {
            throw bad(where + " must not contain floating-point numbers (use integer minor units)");
        }
        if (n.isIntegralNumber() && !n.canConvertToLong()) {
            throw bad(where + " contains an integer out of range");
        }
        for (JsonNode c : n) {
            requireIntegers(c, where);
        }
    }

    private static AuthorizeException bad(String message) {
        return AuthorizeException.bad("request.invalid", message);
    }
}
