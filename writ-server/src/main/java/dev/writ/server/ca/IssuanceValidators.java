package dev.writ.server.ca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.scope.Scope;
import dev.writ.core.scope.ScopeException;
import dev.writ.server.store.AgentRecord;
import dev.writ.server.store.CertificateRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Agent issuance as a chain of small typed steps (after step-ca): each step checks or fills one aspect of a
 * {@link Draft} and throws a {@link CaException} with a stable code. An unknown request field fails the request.
 */
final class IssuanceValidators {
    private IssuanceValidators() {}

    static final Duration DEFAULT_VALIDITY = Duration.ofHours(24);
    static final Duration MIN_VALIDITY = Duration.ofMinutes(5);
    static final Duration MAX_VALIDITY = Duration.ofDays(365);
    /** SPIFFE path segments allow letters, digits, '.', '-' and '_'. */
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");

    /** What a request is turned into, one step at a time. */
    static final class Draft {
        final ObjectNode body;
        final Instant now;
        String tenant;
        String name;
        Scope scope;
        String modelJson;
        Instant notAfter;
        AgentRecord parent;
        CertificateRecord parentCertificate;
        Scope parentScope;

        Draft(ObjectNode body, Instant now) {
            this.body = body;
            this.now = now;
        }
    }

    @FunctionalInterface
    interface Step {
        void apply(Draft d) throws CaException;
    }

    static void run(List<Step> steps, Draft d) throws CaException {
        for (Step s : steps) {
            s.apply(d);
        }
    }

    /** Any field outside {@code allowed} fails the request: deny what we do not understand. */
    static Step knownFields(Set<String> allowed) {
        return d -> {
            for (Iterator<String> it = d.body.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!allowed.contains(f)) {
                    throw CaException.invalid("request.unknown_field", "unknown field: " + f);
                }
            }
        };
    }

    static Step tenantSyntax() {
        return d -> {
            JsonNode t = d.body.get("tenant");
            if (t == null || !t.isTextual()) {
                throw CaException.invalid("tenant.missing", "tenant is required");
            }
            if (!SEGMENT.matcher(t.asText()).matches()) {
                throw CaException.invalid("tenant.invalid", "tenant must be 1-64 letters, digits, '.', '-' or '_'");
            }
            d.tenant = t.asText();
        };
    }

    static Step name() {
        return d -> {
            JsonNode n = d.body.get("name");
            if (n == null || !n.isTextual() || n.asText().isBlank()) {
                throw CaException.invalid("name.missing", "name is required");
            }
            String s = n.asText();
            // Names go into the certificate subject; keep them printable and bounded.
            if (s.length() > 128 || s.chars().anyMatch(Character::isISOControl)) {
                throw CaException.invalid("name.invalid", "name must be at most 128 printable characters");
            }
            d.name = s;
        };
    }

    static Step scope() {
        return d -> {
            JsonNode s = d.body.get("scope");
            if (s == null || s.isNull()) {
                throw CaException.invalid("scope.missing", "scope is required");
            }
            Scope parsed;
            try {
                parsed = Scope.parseJson(s.isTextual() ? s.asText() : s.toString());
            } catch (ScopeException e) {
                throw CaException.invalid(e.code(), e.getMessage());
            }
            if (d.parentScope != null) {
                try {
                    // Authority only shrinks: the child gets requested ∩ parent, depth min(requested, parent - 1).
                    parsed = d.parentScope.delegate(parsed);
                } catch (ScopeException e) {
                    throw CaException.invalid(e.code(), e.getMessage());
                }
            }
            d.scope = parsed;
        };
    }

    static Step model() {
        return d -> {
            JsonNode m = d.body.get("model");
            if (m == null || m.isNull()) {
                if (d.parent != null) {
                    d.modelJson = d.parent.modelJson();
                }
                return;
            }
            if (!m.isObject()) {
                throw CaException.invalid("model.invalid", "model must be an object");
            }
            for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!Set.of("digest", "name", "version", "sbom").contains(f)
                        || !m.get(f).isTextual()) {
                    throw CaException.invalid("model.invalid", "model fields are digest, name, version, sbom (text)");
                }
            }
            if (!m.has("digest") || !SHA256.matcher(m.get("digest").asText()).matches()) {
                throw CaException.invalid("model.digest_invalid", "model.digest must be sha256:<64 hex>");
            }
            try {
                ModelExtension.model(m.toString());
            } catch (IllegalArgumentException e) {
                throw CaException.invalid("model.invalid", e.getMessage());
            }
            d.modelJson = m.toString();
        };
    }

    static Step validity() {
        return d -> {
            JsonNode v = d.body.get("validity_seconds");
            Duration validity = DEFAULT_VALIDITY;
            if (v != null && !v.isNull()) {
                if (!v.canConvertToLong() || !v.isIntegralNumber()) {
                    throw CaException.invalid("validity.invalid", "validity_seconds must be an integer");
                }
                validity = Duration.ofSeconds(v.asLong());
            }
            if (validity.compareTo(MIN_VALIDITY) < 0 || validity.compareTo(MAX_VALIDITY) > 0) {
                throw CaException.invalid(
                        "validity.out_of_bounds", "validity must be between 300 seconds and 365 days");
            }
            d.notAfter = d.now.plus(validity);
        };
    }

    /** A sub-agent's certificate never outlives its parent's: cap, do not fail. */
    static Step capToParent() {
        return d -> {
            if (d.parentCertificate != null && d.notAfter.isAfter(d.parentCertificate.notAfter())) {
                d.notAfter = d.parentCertificate.notAfter();
            }
        };
    }
}
