package dev.writ.server.log;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.json.CanonicalJson;
import dev.writ.server.events.EventSink;
import java.util.Objects;

/**
 * An {@link EventSink} that writes each event to the audit log as one RFC 8785 canonical JSON object,
 * {@code {"type": <type>, ...body}}, and returns only once it is durably sequenced.
 */
public final class AuditLogEventSink implements EventSink {
    private final TransparencyLog log;

    public AuditLogEventSink(TransparencyLog log) {
        this.log = Objects.requireNonNull(log, "log");
    }

    @Override
    public void record(String type, ObjectNode body) throws EventException {
        Objects.requireNonNull(type, "type");
        // The type is part of the signed record; a body cannot override it.
        if (body.has("type")) {
            throw new EventException("event body must not carry its own type", null);
        }
        ObjectNode event = body.deepCopy();
        event.put("type", type);
        try {
            log.append(CanonicalJson.encode(event));
        } catch (LogException | RuntimeException e) {
            throw new EventException("the event could not be logged durably", e);
        }
    }
}
