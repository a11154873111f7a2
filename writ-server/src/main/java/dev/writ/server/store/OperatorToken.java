package dev.writ.server.store;

import java.time.Instant;

/** An operator token's stored form: its id, role and label, never the token. */
public record OperatorToken(String id, String role, String label, Instant createdAt, Instant disabledAt) {}
