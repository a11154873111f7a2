package dev.writ.core.scope;

/** A scope that cannot be parsed or decoded: malformed, empty, or with a value out of range. Fails closed. */
public final class ScopeException extends Exception {
    private final String code;

    /**
     * @param code stable reason code, for example {@code scope.malformed}, {@code scope.currency_unknown}
     * @param message a short sentence for the caller; never contains secrets
     */
    public ScopeException(String code, String message) {
        super(message);
        this.code = code;
    }

    /** The stable reason code. */
    public String code() {
        return code;
    }
}
