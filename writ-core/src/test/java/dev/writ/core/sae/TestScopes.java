package dev.writ.core.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.writ.core.action.Classification;
import dev.writ.core.scope.ScopeException;
import dev.writ.core.scope.ScopeViolation;
import org.bouncycastle.asn1.ASN1UTF8String;

/** The scope check used by tests: the real one when the scope codec exists, else a small stand-in. */
final class TestScopes {
    private TestScopes() {}

    static ScopeCheck check() {
        return TestPki.scopeImplemented() ? ScopeCheck.DEFAULT : STAND_IN;
    }

    /** Reads the JSON stand-in written by {@link TestPki#scopeDer}; checks actions, amounts and classification. */
    static final ScopeCheck STAND_IN = der -> {
        JsonNode scope;
        try {
            scope = new ObjectMapper().readTree(ASN1UTF8String.getInstance(der).getString());
        } catch (Exception e) {
            throw new ScopeException("scope.malformed", "not a scope");
        }
        return (action, at) -> {
            boolean ok = false;
            for (JsonNode p : scope.get("actions")) {
                String s = p.textValue();
                ok |= s.equals("*")
                        || s.equals(action.name())
                        || (s.endsWith(".*") && action.name().startsWith(s.substring(0, s.length() - 1)));
            }
            if (!ok) throw new ScopeViolation("scope.action", "action not permitted");
            if (action.amount().isPresent()) {
                JsonNode lim = scope.get("limits").get(action.currency().orElse(""));
                if (lim == null) throw new ScopeViolation("scope.currency", "currency not permitted");
                if (action.amount().get() > lim.longValue()) throw new ScopeViolation("scope.amount", "too much");
            }
            if (action.classification()
                            .compareTo(Classification.fromWire(
                                    scope.get("classification").textValue()))
                    > 0) {
                throw new ScopeViolation("scope.classification", "classification too high");
            }
        };
    };
}
