package dev.writ.server.cli;

import dev.writ.core.nonce.NonceStore;
import dev.writ.core.nonce.NonceStoreException;
import dev.writ.server.sae.RedisNonceStore;
import java.time.Duration;

/** Replay nonces of an enforcing gateway shared through Redis with every other PEP of the trust domain. */
final class GatewayNonces {
    /** Bound on each Redis command: slower is a failure, and the PEP denies. */
    static final Duration TIMEOUT = Duration.ofMillis(500);

    private GatewayNonces() {}

    /**
     * Connects to the configured Redis and checks that it answers.
     *
     * @throws CliError (exit 1) naming host and port, never the password, when Redis is unreachable
     */
    static NonceStore redis(NodeConfig config) {
        String where = NodeConfig.describe(config.redis());
        try {
            return RedisNonceStore.connect(config.redisLocationWithPassword(), TIMEOUT);
        } catch (NonceStoreException | RuntimeException e) {
            throw new CliError(ExitCodes.FALSE, "cannot connect to Redis at " + where);
        }
    }
}
