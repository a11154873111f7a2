package dev.writ.server.policy;

import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.AuthorizationRequest;
import com.cedarpolicy.model.AuthorizationResponse;
import com.cedarpolicy.model.AuthorizationSuccessResponse;
import com.cedarpolicy.model.DetailedError;
import com.cedarpolicy.model.Effect;
import com.cedarpolicy.model.ValidationRequest;
import com.cedarpolicy.model.ValidationResponse;
import com.cedarpolicy.model.entity.Entity;
import com.cedarpolicy.model.exception.AuthException;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.model.schema.Schema;
import com.cedarpolicy.value.CedarList;
import com.cedarpolicy.value.CedarMap;
import com.cedarpolicy.value.EntityTypeName;
import com.cedarpolicy.value.EntityUID;
import com.cedarpolicy.value.PrimLong;
import com.cedarpolicy.value.PrimString;
import com.cedarpolicy.value.Value;
import dev.writ.core.action.ActionRequest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bundle that parsed and validated against its schema with the official Cedar engine, with its policy sets cached on
 * the native side. Instances exist only through {@link #compile}, so holding one proves the validation happened.
 * Signature checks are separate ({@link BundleVerifier}).
 */
public final class CompiledBundle {
    static final EntityTypeName AGENT = EntityTypeName.parse("Writ::Agent").orElseThrow();
    static final EntityTypeName ACTION = EntityTypeName.parse("Writ::Action").orElseThrow();
    static final EntityTypeName TARGET = EntityTypeName.parse("Writ::Target").orElseThrow();
    private static final BasicAuthorizationEngine ENGINE = new BasicAuthorizationEngine();
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
    private static final Pattern UNEXPECTED_TOKEN = Pattern.compile("unexpected token `([^`]*)`");
    private static final String[] WEEKDAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

    private final BundleFiles files;
    private final BundleManifest manifest;
    private final Sets all;
    private final Sets anyAction;
    private final Map<String, Sets> byAction;
    private final Set<String> approvalForbids;
    private final int policyCount;

    /** A policy set and the same set without the approval-gated forbids, both cached natively. */
    record Sets(PolicySet policies, PolicySet withoutApprovalForbids) {
        static Sets of(List<Policy> policies, Set<String> approvalForbids) throws PolicyException {
            Set<Policy> full = new HashSet<>(policies);
            Set<Policy> relaxed = new HashSet<>();
            for (Policy p : policies) {
                if (!approvalForbids.contains(p.getID())) {
                    relaxed.add(p);
                }
            }
            PolicySet a = new PolicySet(full);
            PolicySet b = new PolicySet(relaxed);
            try {
                a.cache();
                b.cache();
            } catch (RuntimeException | com.cedarpolicy.model.exception.CacheException e) {
                throw new PolicyException("policy.invalid_bundle", "the engine could not load the policy set", e);
            }
            return new Sets(a, b);
        }
    }

    private CompiledBundle(
            BundleFiles files,
            BundleManifest manifest,
            Sets all,
            Sets anyAction,
            Map<String, Sets> byAction,
            Set<String> approvalForbids,
            int policyCount) {
        this.files = files;
        this.manifest = manifest;
        this.all = all;
        this.anyAction = anyAction;
        this.byAction = byAction;
        this.approvalForbids = approvalForbids;
        this.policyCount = policyCount;
    }

    /**
     * Parses the manifest, the schema and every policy, and validates every policy against the schema.
     *
     * @throws PolicyException {@code policy.invalid_bundle} (bad manifest, duplicate policy ids, templates),
     *     {@code policy.syntax} (a policy or the schema does not parse; the message names file, line and column),
     *     {@code policy.schema} (a policy does not validate against the schema; file, line and column)
     */
    public static CompiledBundle compile(BundleFiles files) throws PolicyException {
        BundleManifest manifest = BundleManifest.parse(files.get("manifest.json"));
        Schema schema;
        try {
            schema = Schema.parse(Schema.JsonOrCedar.Cedar, files.text("schema.cedarschema"));
            schema.cache();
            requireWritTypes(schema);
        } catch (AuthException | com.cedarpolicy.model.exception.CacheException | RuntimeException e) {
            throw new PolicyException(
                    "policy.syntax", "schema.cedarschema: the schema does not parse: " + cedarMessage(e));
        }
        Map<String, Located> byId = new LinkedHashMap<>();
        Set<Policy> all = new HashSet<>();
        List<Policy> universal = new ArrayList<>();
        Map<String, List<Policy>> scoped = new HashMap<>();
        Set<String> approval = new TreeSet<>();
        for (String path : files.paths()) {
            if (!path.endsWith(".cedar")) {
                continue;
            }
            String text = files.text(path);
            PolicySet parsed;
            try {
                parsed = PolicySet.parsePolicies(text);
            } catch (AuthException | RuntimeException e) {
                String msg = cedarMessage(e);
                int at = locateSyntaxError(text, msg);
                throw new PolicyException("policy.syntax", path + ":" + position(text, at) + ": " + msg);
            }
            if (!parsed.templates.isEmpty() || !parsed.templateLinks.isEmpty()) {
                throw new PolicyException("policy.invalid_bundle", path + ": policy templates are not supported");
            }
            List<Policy> inFile = new ArrayList<>(parsed.policies);
            inFile.sort(Comparator.comparingInt(p -> Integer.parseInt(p.getID().replaceAll("\\D", ""))));
            int searchFrom = 0;
            for (int i = 0; i < inFile.size(); i++) {
                Policy p = inFile.get(i);
                String src = p.getSource();
                int offset = text.indexOf(src, searchFrom);
                if (offset >= 0) {
                    searchFrom = offset + src.length();
                }
                Map<String, String> ann;
                Effect effect;
                String onlyAction;
                try {
                    ann = p.getAnnotations();
                    effect = p.effect();
                    onlyAction = onlyAction(p);
                } catch (AuthException | RuntimeException e) {
                    throw new PolicyException("policy.syntax", path + ": " + cedarMessage(e));
                }
                String id = ann.containsKey("id") ? ann.get("id") : path + "#" + i;
                if (byId.containsKey(id)) {
                    throw new PolicyException("policy.invalid_bundle", path + ": duplicate policy id " + id);
                }
                String approvalKind = ann.get("approval");
                if (approvalKind != null && (!approvalKind.equals("human") || effect != Effect.FORBID)) {
                    // Only the documented form is honoured; anything else would silently change decisions.
                    throw new PolicyException(
                            "policy.invalid_bundle",
                            path + ":" + position(text, Math.max(offset, 0)) + ": @approval(\"human\") is the only"
                                    + " approval annotation, and only on forbid policies");
                }
                byId.put(id, new Located(path, text, Math.max(offset, 0)));
                Policy renamed = new Policy(src, id);
                all.add(renamed);
                if (onlyAction == null) {
                    universal.add(renamed);
                } else {
                    scoped.computeIfAbsent(onlyAction, k -> new ArrayList<>()).add(renamed);
                }
                if (approvalKind != null) {
                    approval.add(id);
                }
            }
        }
        validate(schema, new PolicySet(all), byId);
        Set<String> approvalIds = Set.copyOf(approval);
        Map<String, Sets> byAction = new HashMap<>();
        for (Map.Entry<String, List<Policy>> e : scoped.entrySet()) {
            List<Policy> forAction = new ArrayList<>(universal);
            forAction.addAll(e.getValue());
            byAction.put(e.getKey(), Sets.of(forAction, approvalIds));
        }
        return new CompiledBundle(
                files,
                manifest,
                Sets.of(new ArrayList<>(all), approvalIds),
                Sets.of(universal, approvalIds),
                Map.copyOf(byAction),
                approvalIds,
                all.size());
    }

    /**
     * The one action a policy's scope is limited to ({@code action == Writ::Action::"x"}), or {@code null} when it
     * may apply to several. A policy limited to another action can never be satisfied by a request, so leaving it
     * out of that request's policy set changes no decision; it only spares the engine the work (its cost grows with
     * the size of the set, whatever applies). Read from the engine's own JSON form of the policy.
     */
    private static String onlyAction(Policy p) throws AuthException {
        com.fasterxml.jackson.databind.JsonNode est;
        try {
            est = JSON.readTree(p.toJson());
        } catch (java.io.IOException e) {
            return null;
        }
        com.fasterxml.jackson.databind.JsonNode a = est.path("action");
        com.fasterxml.jackson.databind.JsonNode entity = a.path("entity");
        if ("==".equals(a.path("op").asText())
                && "Writ::Action".equals(entity.path("type").asText())
                && entity.path("id").isTextual()) {
            return entity.path("id").textValue();
        }
        return null;
    }

    /**
     * The PDP builds principals and resources of these types; a schema without them could validate policies that can
     * never match what the PDP sends.
     */
    private static void requireWritTypes(Schema schema) throws PolicyException {
        com.fasterxml.jackson.databind.JsonNode json;
        try {
            json = schema.toJsonFormat();
        } catch (Exception e) {
            throw new PolicyException("policy.schema", "schema.cedarschema: cannot read the schema", e);
        }
        com.fasterxml.jackson.databind.JsonNode types = json.path("Writ").path("entityTypes");
        for (String t : new String[] {"Agent", "Target"}) {
            if (!types.has(t)) {
                throw new PolicyException(
                        "policy.schema", "schema.cedarschema: the schema must declare entity type Writ::" + t);
            }
        }
    }

    private static void validate(Schema schema, PolicySet set, Map<String, Located> byId) throws PolicyException {
        ValidationResponse vr;
        try {
            vr = ENGINE.validate(new ValidationRequest(schema, set));
        } catch (AuthException | RuntimeException e) {
            throw new PolicyException("policy.schema", "validation failed: " + cedarMessage(e));
        }
        if (vr.validationPassed()) {
            return;
        }
        List<String> problems = new ArrayList<>();
        if (vr.errors.isPresent()) {
            for (DetailedError e : vr.errors.get()) {
                problems.add(e.message);
            }
        }
        if (vr.success.isPresent()) {
            for (ValidationResponse.ValidationError ve : vr.success.get().validationErrors) {
                Located loc = byId.get(ve.getPolicyId());
                DetailedError de = ve.getError();
                String where = loc == null ? ve.getPolicyId() : loc.path();
                if (loc != null) {
                    int rel = de.sourceLocations.isEmpty() ? 0 : de.sourceLocations.get(0).start;
                    where += ":" + position(loc.text(), loc.offset() + rel);
                }
                problems.add(where + ": " + de.message);
            }
        }
        if (problems.isEmpty()) {
            problems.add("the policies do not validate against the schema");
        }
        problems.sort(null);
        throw new PolicyException("policy.schema", String.join("; ", problems));
    }

    /**
     * Finds where a parse error is. Cedar's Java binding reports parse errors without a location, so this finds the
     * shortest prefix of the text that fails with the same message: the offending token ends there.
     */
    static int locateSyntaxError(String text, String fullMessage) {
        if (fullMessage.contains("end of input") || fullMessage.contains("unexpected EOF")) {
            return text.stripTrailing().length();
        }
        int lo = 1;
        int hi = text.length();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (fullMessage.equals(parseMessage(text.substring(0, mid)))) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        if (!fullMessage.equals(parseMessage(text.substring(0, lo)))) {
            return 0;
        }
        Matcher m = UNEXPECTED_TOKEN.matcher(fullMessage);
        if (!m.find() || m.group(1).isEmpty()) {
            return lo - 1;
        }
        // The parser may notice the bad token only once it sees the next one, so look back for the token itself.
        int idx = text.lastIndexOf(m.group(1), lo - m.group(1).length());
        return idx >= 0 ? idx : lo - 1;
    }

    private static String parseMessage(String text) {
        try {
            PolicySet.parsePolicies(text);
            return null;
        } catch (AuthException | RuntimeException e) {
            return cedarMessage(e);
        }
    }

    static String cedarMessage(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        for (String prefix : new String[] {"Auth Exception: ", "Internal error: ", "Internal JNI Error: "}) {
            m = m.replace(prefix, "");
        }
        return m.strip().replaceAll(":$", "");
    }

    /** {@code line:column}, both 1-based, of a character offset. */
    static String position(String text, int offset) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < Math.min(offset, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return line + ":" + col;
    }

    private record Located(String path, String text, int offset) {}

    /** The bundle's files. */
    public BundleFiles files() {
        return files;
    }

    /** The bundle's manifest. */
    public BundleManifest manifest() {
        return manifest;
    }

    /** {@code sha256:<hex>} of the canonical encoding. */
    public String hash() {
        return files.hash();
    }

    /** The number of policies. */
    public int policyCount() {
        return policyCount;
    }

    /** Ids of the forbid policies annotated {@code @approval("human")}. */
    public Set<String> approvalForbids() {
        return approvalForbids;
    }

    /**
     * Cedar's part of a decision, without the certificate scope check. Fails closed: any error from the engine, any
     * policy that errored during evaluation, and any malformed request parameter is a {@link Decision.Deny}.
     */
    Decision evaluate(AgentPrincipal agent, ActionRequest action, RequestSignals signals, Instant at) {
        return evaluate(agent, action, signals, at, byAction.getOrDefault(action.name(), anyAction));
    }

    /** As {@link #evaluate}, on the whole policy set (for tests: the per-action sets must decide the same). */
    Decision evaluateOnAllPolicies(AgentPrincipal agent, ActionRequest action, RequestSignals signals, Instant at) {
        return evaluate(agent, action, signals, at, all);
    }

    private Decision evaluate(
            AgentPrincipal agent, ActionRequest action, RequestSignals signals, Instant at, Sets sets) {
        String hash = hash();
        Map<String, Value> context;
        try {
            context = context(action, signals, at);
        } catch (RuntimeException e) {
            // A malformed parameter (e.g. a fractional amount) cannot be judged, so it is refused.
            return new Decision.Deny(hash, List.of("policy.bad_request"));
        }
        EntityUID principal = AGENT.of(agent.agentId());
        EntityUID act = ACTION.of(action.name());
        EntityUID resource = TARGET.of(action.target());
        Set<Entity> entities = Set.of(principalEntity(principal, agent), new Entity(resource));
        AuthorizationRequest request = new AuthorizationRequest(principal, act, resource, context);
        AuthorizationSuccessResponse r;
        try {
            r = run(request, sets.policies(), entities);
        } catch (AuthException | RuntimeException e) {
            return new Decision.Deny(hash, List.of("policy.evaluation_error"));
        }
        if (r == null || !r.getErrors().isEmpty()) {
            // Cedar skips a policy whose condition errors; a skipped forbid must not turn into an allow.
            return new Decision.Deny(hash, List.of("policy.evaluation_error"));
        }
        List<String> reasons = new ArrayList<>(new TreeSet<>(r.getReason()));
        if (r.getDecision() == AuthorizationSuccessResponse.Decision.Allow) {
            return new Decision.Allow(hash, reasons);
        }
        if (reasons.isEmpty()) {
            return new Decision.Deny(hash, List.of("policy.no_permit"));
        }
        if (approvalForbids.containsAll(reasons)) {
            // Only approval-gated forbids apply: it is a pending approval exactly when a permit would otherwise allow.
            AuthorizationSuccessResponse relaxed;
            try {
                relaxed = run(request, sets.withoutApprovalForbids(), entities);
            } catch (AuthException | RuntimeException e) {
                return new Decision.Deny(hash, List.of("policy.evaluation_error"));
            }
            if (relaxed != null
                    && relaxed.getErrors().isEmpty()
                    && relaxed.getDecision() == AuthorizationSuccessResponse.Decision.Allow) {
                return new Decision.PendingApproval(hash, reasons);
            }
        }
        return new Decision.Deny(hash, reasons);
    }

    private static AuthorizationSuccessResponse run(AuthorizationRequest request, PolicySet set, Set<Entity> entities)
            throws AuthException {
        AuthorizationResponse resp = ENGINE.isAuthorized(request, set, entities);
        if (resp.type != AuthorizationResponse.SuccessOrFailure.Success || resp.success.isEmpty()) {
            return null;
        }
        return resp.success.get();
    }

    private static Entity principalEntity(EntityUID uid, AgentPrincipal agent) {
        Map<String, Value> attrs = new HashMap<>();
        attrs.put("tenant", new PrimString(agent.tenant()));
        attrs.put("name", new PrimString(agent.name()));
        if (agent.modelDigest() != null) {
            attrs.put("modelDigest", new PrimString(agent.modelDigest()));
        }
        attrs.put("delegationDepth", new PrimLong(agent.delegationDepth()));
        if (agent.parent() != null) {
            attrs.put("parent", new PrimString(agent.parent()));
        }
        return new Entity(uid, attrs, Set.of());
    }

    static Map<String, Value> context(ActionRequest action, RequestSignals signals, Instant at) {
        Map<String, Value> c = new HashMap<>();
        action.amount().ifPresent(a -> c.put("amount", new PrimLong(a)));
        action.currency().ifPresent(v -> c.put("currency", new PrimString(v)));
        action.counterparty().ifPresent(v -> c.put("counterparty", new PrimString(v)));
        action.region().ifPresent(v -> c.put("region", new PrimString(v)));
        c.put("classification", new PrimString(action.classification().wireName()));
        c.put("classificationLevel", new PrimLong(action.classification().ordinal()));
        c.put("riskScore", new PrimLong(signals.riskScore()));
        c.put("attestation", new PrimString(signals.attestation()));
        List<Value> approvals = new ArrayList<>();
        signals.approvals().stream().sorted().forEach(a -> approvals.add(new PrimString(a)));
        c.put("approvals", new CedarList(approvals));
        ZonedDateTime utc = at.atZone(ZoneOffset.UTC);
        Map<String, Value> time = new HashMap<>();
        time.put("epochSeconds", new PrimLong(at.getEpochSecond()));
        time.put("weekday", new PrimString(WEEKDAYS[utc.getDayOfWeek().getValue() - 1].toLowerCase(Locale.ROOT)));
        time.put("minuteOfDay", new PrimLong(utc.getHour() * 60L + utc.getMinute()));
        c.put("time", new CedarMap(time));
        return c;
    }
}
