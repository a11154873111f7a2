package dev.writ.server.cli;

import dev.writ.core.nonce.NonceStore;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.redis.RedisException;
import dev.writ.server.redis.RedisNonceStore;
import java.nio.file.Path;
import java.time.InstantSource;

/** Replay nonces of an enforcing gateway shared through Redis with every other PEP of the trust domain. */
final class GatewayNonces {
    private GatewayNonces() {}

    /**
     * Connects to the configured Redis and checks that it answers. The keys are scoped by the trust domain's name:
     * {@code trustDomain}, else the one in {@code <dataDir>/domain.json}.
     *
     * @throws CliError (exit 1) naming host and port, never the password, when Redis is unreachable; (exit 2) when the
     *     trust domain's name is unknown
     */
    static NonceStore redis(NodeConfig config, String trustDomain, Path dataDir, InstantSource clock) {
        String domain = trustDomain;
        if (domain == null) {
            if (!TrustDomain.exists(dataDir)) {
                throw CliError.usage("--redis needs --trust-domain NAME (the keys of each trust domain are separate)");
            }
            try {
                domain = TrustDomain.load(dataDir).name();
            } catch (CaException e) {
                throw CliError.usage(e.getMessage());
            }
        }
        try {
            return RedisNonceStore.connect(
                    config.redisLocationWithPassword(), NodeServices.REDIS_TIMEOUT, domain, clock);
        } catch (RedisException e) {
            throw new CliError(
                    ExitCodes.FALSE,
                    "cannot connect to Redis at " + NodeConfig.describe(config.redis()) + " (" + e.code() + ")");
        } catch (IllegalArgumentException e) {
            throw CliError.usage("--trust-domain: " + e.getMessage());
        }
    }
}
