package dev.writ.server.store;

import java.time.Instant;

/** An event in the outbox. */
public record StoredEvent(long seq, String type, String body, Instant createdAt) {}
