package dev.writ.core.scope;

import dev.writ.core.action.ActionRequest;
import dev.writ.core.action.Classification;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * An agent's authority ceiling, carried in the critical {@code id-writ-ce-scope} certificate extension.
 *
 * <p>Immutable. Scopes form a lattice: {@link #intersect} is the greatest scope permitted by both operands and
 * {@code a.isWithin(b)} holds exactly when {@code a.intersect(b).equals(a)}. Parsing fails closed: a missing or
 * malformed dimension is an error; "any" is written explicitly as {@code "*"}.
 *
 * <p>JSON form (also the form of the HTTP API and the CLI):
 *
 * <pre>{@code
 * {
 *   "actions": ["payments.*", "erp.purchase_order.create"],   // or ["*"]
 *   "limits": {"EUR": 1000000, "USD": 500000},                // minor units per ISO 4217 currency
 *   "counterparties": ["vendor-y"],                           // or ["*"]
 *   "regions": ["eu-west-1"],                                 // or ["*"]
 *   "hours": {"tz": "Europe/Berlin", "days": ["mon","tue","wed","thu","fri"], "start": 480, "end": 1080},
 *                                                             // or "*"
 *   "classification": "confidential",                         // the maximum level
 *   "delegation": 2                                           // maximum delegation depth, >= 0
 * }
 * }</pre>
 */
public final class Scope {
    private Scope() {}

    /**
     * Parses the JSON form, failing closed.
     *
     * @throws ScopeException when the input is empty, malformed, has unknown fields, a missing dimension, an unknown
     *     currency, a negative limit, an invalid time zone or window, or a negative delegation depth
     */
    public static Scope parseJson(String json) throws ScopeException {
        throw new UnsupportedOperationException("pending");
    }

    /** The canonical JSON form: {@code parseJson(s.toJson()).equals(s)}. */
    public String toJson() {
        throw new UnsupportedOperationException("pending");
    }

    /**
     * Decodes the DER value of the {@code id-writ-ce-scope} extension (the extnValue contents).
     *
     * @throws ScopeException when the encoding is not valid DER of the documented ASN.1 module
     */
    public static Scope fromDer(byte[] der) throws ScopeException {
        throw new UnsupportedOperationException("pending");
    }

    /** The DER encoding of the extension value; deterministic. */
    public byte[] toDer() {
        throw new UnsupportedOperationException("pending");
    }

    /** The greatest scope permitted by both this scope and {@code other}. */
    public Scope intersect(Scope other) {
        throw new UnsupportedOperationException("pending");
    }

    /** True exactly when {@code this.intersect(other).equals(this)}. */
    public boolean isWithin(Scope other) {
        throw new UnsupportedOperationException("pending");
    }

    /** The maximum delegation depth; 0 means this agent may not delegate. */
    public int delegationDepth() {
        throw new UnsupportedOperationException("pending");
    }

    /** A copy with another delegation depth. */
    public Scope withDelegationDepth(int depth) {
        throw new UnsupportedOperationException("pending");
    }

    /**
     * The scope a child may receive: {@code requested ∩ this}, with delegation depth
     * {@code min(requested, this − 1)}.
     *
     * @throws ScopeException with code {@code scope.delegation} when this scope's delegation depth is 0
     */
    public Scope delegate(Scope requested) throws ScopeException {
        throw new UnsupportedOperationException("pending");
    }

    /**
     * Checks an action against this scope at an instant (for operating hours).
     *
     * @throws ScopeViolation naming the first dimension the action exceeds
     */
    public void check(ActionRequest action, Instant at) throws ScopeViolation {
        throw new UnsupportedOperationException("pending");
    }

    /** Action patterns: exact names, prefix wildcards such as {@code payments.*}, or {@code *}. */
    public Set<String> actions() {
        throw new UnsupportedOperationException("pending");
    }

    /** Amount limits in minor units per ISO 4217 currency. */
    public Map<String, Long> limits() {
        throw new UnsupportedOperationException("pending");
    }

    /** The maximum data classification. */
    public Classification classification() {
        throw new UnsupportedOperationException("pending");
    }
}
