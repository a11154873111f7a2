package dev.writ.server.redis;

import java.util.Objects;

/**
 * The key layout, in one place (documented in {@code docs/redis.md}): every key starts with {@code writ:<domain>:}, so
 * several trust domains can share one Redis and an operator can find all of Writ's keys with one pattern.
 */
final class Keys {
    private Keys() {}

    /** {@code writ:<domain>:nonce:}, followed by the envelope's {@code jti}. */
    static String nonces(String trustDomain) {
        return "writ:" + domain(trustDomain) + ":nonce:";
    }

    /** {@code writ:<domain>:revocations}, the revocation stream. */
    static String revocations(String trustDomain) {
        return "writ:" + domain(trustDomain) + ":revocations";
    }

    /** Checks a domain name so it cannot break out of its key space (no {@code :}, {@code *}, spaces, braces). */
    static String domain(String trustDomain) {
        Objects.requireNonNull(trustDomain, "trustDomain");
        if (trustDomain.isEmpty() || trustDomain.length() > 253) {
            throw new IllegalArgumentException("trust domain must have 1 to 253 characters");
        }
        for (int i = 0; i < trustDomain.length(); i++) {
            char c = trustDomain.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || (c >= '0' && c <= '9')
                    || c == '.'
                    || c == '-'
                    || c == '_';
            if (!ok) {
                throw new IllegalArgumentException("trust domain must use only letters, digits, '.', '-' and '_'");
            }
        }
        return trustDomain;
    }
}
