package dev.writ.server.redis;

import java.util.List;

/**
 * Keeps URI credentials out of messages. A Redis client library may echo what it was given (a URI, an AUTH argument)
 * in an exception; before such an exception leaves this package its whole cause chain is copied with every known secret
 * replaced by {@code ***}, keeping the class names and stack traces for diagnosis.
 */
final class Redaction {
    private static final String MASK = "***";

    private Redaction() {}

    /** {@code text} with each non-empty secret replaced by {@code ***}. */
    static String redact(String text, List<String> secrets) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String s : secrets) {
            if (s != null && !s.isEmpty()) {
                out = out.replace(s, MASK);
            }
        }
        return out;
    }

    /**
     * A copy of {@code t}'s cause chain (at most 16 deep) as plain exceptions whose messages are redacted; {@code null}
     * for {@code null}.
     */
    static Throwable scrub(Throwable t, List<String> secrets) {
        if (t == null) {
            return null;
        }
        return scrub(t, secrets, 0);
    }

    private static Throwable scrub(Throwable t, List<String> secrets, int depth) {
        Throwable cause = t.getCause() != null && t.getCause() != t && depth < 16
                ? scrub(t.getCause(), secrets, depth + 1)
                : null;
        String message =
                t.getClass().getName() + (t.getMessage() == null ? "" : ": " + redact(t.getMessage(), secrets));
        Scrubbed copy = new Scrubbed(message, cause);
        copy.setStackTrace(t.getStackTrace());
        return copy;
    }

    /** A redacted stand-in for a library exception; its message starts with the original class name. */
    static final class Scrubbed extends RuntimeException {
        Scrubbed(String message, Throwable cause) {
            super(message, cause, false, true);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
