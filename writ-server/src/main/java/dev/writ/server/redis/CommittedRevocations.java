package dev.writ.server.redis;

import dev.writ.server.events.RevocationEvent;
import java.time.Instant;
import java.util.List;

/**
 * The shared database's view of revocations, which is the truth Redis only carries news of. The relay uses it to
 * confirm that a revocation read from Redis was committed before delivering it, and to catch up on revocations it may
 * have missed (after a reconnect, a Redis restart that lost the stream, or a node that crashed between its commit and
 * its stream append).
 */
public interface CommittedRevocations {

    /**
     * Whether the certificate with this lower-case hex serial is recorded as revoked.
     *
     * @throws Exception when the database cannot answer (the relay then retries; it never guesses)
     */
    boolean isRevoked(String serialHex) throws Exception;

    /**
     * The committed revocations with {@code revokedAt >= since}, oldest first.
     *
     * @throws Exception when the database cannot answer
     */
    List<RevocationEvent> revokedSince(Instant since) throws Exception;
}
