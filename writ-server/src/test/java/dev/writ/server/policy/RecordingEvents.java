package dev.writ.server.policy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.events.EventSink;
import java.util.ArrayList;
import java.util.List;

/** An event sink that keeps events in memory, and can be told to fail. */
final class RecordingEvents implements EventSink {
    record Event(String type, ObjectNode body) {}

    final List<Event> events = new ArrayList<>();
    volatile boolean failing;

    @Override
    public synchronized void record(String type, ObjectNode body) throws EventException {
        if (failing) {
            throw new EventException("sink unavailable", null);
        }
        events.add(new Event(type, body.deepCopy()));
    }

    synchronized List<String> types() {
        return events.stream().map(Event::type).toList();
    }
}
