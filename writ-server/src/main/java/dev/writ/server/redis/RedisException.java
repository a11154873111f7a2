package dev.writ.server.redis;

import java.util.Objects;

/**
 * Redis could not be used: unreachable, refused the credentials, too slow, or given a malformed URI. Carries a stable
 * code for callers ({@code redis.unavailable}, {@code redis.auth}, {@code redis.timeout}, {@code redis.uri}) and a short
 * message naming the endpoint as {@code host:port}. Neither the message nor the cause chain ever carries the password
 * or user name of the URI: causes are replaced by {@linkplain Redaction#scrub scrubbed} copies.
 */
public final class RedisException extends Exception {
    /** Redis cannot be reached (connection refused, reset, DNS, TLS handshake, closed connection). */
    public static final String UNAVAILABLE = "redis.unavailable";
    /** Redis refused the credentials (or demanded some). */
    public static final String AUTH = "redis.auth";
    /** Redis did not answer within the bound. */
    public static final String TIMEOUT = "redis.timeout";
    /** The Redis URI is malformed or uses an unsupported scheme. */
    public static final String URI = "redis.uri";

    private final String code;

    RedisException(String code, String message, Throwable scrubbedCause) {
        super(code + ": " + message, scrubbedCause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The stable code, e.g. {@code redis.unavailable}. */
    public String code() {
        return code;
    }
}
