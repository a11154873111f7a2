package dev.writ.core.scope;

/**
 * An action that falls outside a scope. The code names the dimension that was exceeded, one of
 * {@code scope.action}, {@code scope.amount}, {@code scope.currency}, {@code scope.counterparty}, {@code scope.region},
 * {@code scope.hours}, {@code scope.classification}.
 */
public final class ScopeViolation extends Exception {
    private final String code;

    public ScopeViolation(String code, String message) {
        super(message);
        this.code = code;
    }

    /** The stable reason code of the dimension that was exceeded. */
    public String code() {
        return code;
    }
}
