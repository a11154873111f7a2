package dev.writ.sdk;

/**
 * A guarded tool call was denied (or its approval was refused or lapsed). The message is only "not permitted":
 * the policy's detail stays with the operators and the audit log. {@link #code()} is the coarse code.
 */
public final class ToolNotPermittedException extends Exception {
    private final String code;

    public ToolNotPermittedException(String code) {
        super("not permitted");
        this.code = code;
    }

    /** {@code denied}, {@code denied.scope}, {@code denied.policy}, {@code approval.denied} or {@code approval.expired}. */
    public String code() {
        return code;
    }
}
