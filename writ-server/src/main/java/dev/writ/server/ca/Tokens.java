package dev.writ.server.ca;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;

/**
 * Bearer secrets: operator tokens ({@code writ_op_…}) and agent credentials ({@code writ_agent_…}). Each carries 256
 * random bits; only its SHA-256 is stored (a fast hash is right for secrets with that much entropy). The prefix tells
 * the two kinds apart before any lookup, so one kind can never be accepted where the other is expected.
 */
public final class Tokens {
    private Tokens() {}

    public static final String OPERATOR_PREFIX = "writ_op_";
    public static final String AGENT_PREFIX = "writ_agent_";

    /** The operator roles. */
    public static final Set<String> ROLES = Set.of("admin", "operator", "approver", "auditor");

    public static String newOperatorToken(SecureRandom random) {
        return OPERATOR_PREFIX + secret(random);
    }

    public static String newAgentCredential(SecureRandom random) {
        return AGENT_PREFIX + secret(random);
    }

    private static String secret(SecureRandom random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Hex SHA-256 of a token: what the store keeps. */
    public static String hash(String token) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** A random identifier (16 hex characters) for token rows. */
    public static String newId(SecureRandom random) {
        byte[] b = new byte[8];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
