package dev.writ.server.cli;

/** The exit codes every {@code writ} command uses. */
public final class ExitCodes {
    private ExitCodes() {}

    /** Success: the thing checked holds. */
    public static final int OK = 0;

    /** The thing checked is false: denied, invalid, revoked. */
    public static final int FALSE = 1;

    /** Usage or input error. */
    public static final int USAGE = 2;
}
