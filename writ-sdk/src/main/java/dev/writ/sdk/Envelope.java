package dev.writ.sdk;

import dev.writ.core.log.LogReceipt;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A Signed Action Envelope the trust service issued for one allowed action, to be attached to that action's request
 * in the {@code Writ-SAE} header. Single use: the PEP records its {@code jti}.
 *
 * @param compact the envelope in JWS compact form
 * @param jti its replay nonce
 * @param expiresAt when it stops being accepted
 * @param receipt the audit-log receipt returned with it (verified when the client has a log key), or {@code null}
 */
public record Envelope(String compact, String jti, Instant expiresAt, LogReceipt receipt) {
    /** The request header a PEP reads the envelope from. */
    public static final String HEADER = "Writ-SAE";

    public Envelope {
        Objects.requireNonNull(compact, "compact");
        Objects.requireNonNull(jti, "jti");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    public Optional<LogReceipt> logReceipt() {
        return Optional.ofNullable(receipt);
    }

    /** Adds the {@code Writ-SAE} header to {@code request}. */
    public HttpRequest.Builder attach(HttpRequest.Builder request) {
        return request.header(HEADER, compact);
    }

    @Override
    public String toString() {
        // The envelope is a bearer credential for one action: keep it out of logs.
        return "Envelope[jti=" + jti + ", expiresAt=" + expiresAt + "]";
    }
}
