package dev.writ.server.cli;

/** A user-facing command failure: one line on stderr and an exit code, never a stack trace. */
public final class CliError extends RuntimeException {
    private final int exitCode;

    public CliError(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    public static CliError usage(String message) {
        return new CliError(ExitCodes.USAGE, message);
    }
}
