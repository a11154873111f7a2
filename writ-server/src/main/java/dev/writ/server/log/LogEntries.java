package dev.writ.server.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/** What every log implementation reads out of an entry. */
public final class LogEntries {
    private static final JsonFactory JSON = new JsonFactory();

    private LogEntries() {}

    /**
     * The {@code jti} a log indexes {@code entry} under: the top-level string field {@code jti} of a JSON object, or
     * null when the entry is not such an object.
     */
    public static String jtiOf(byte[] entry) {
        try (JsonParser p = JSON.createParser(entry)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if ("jti".equals(field) && t == JsonToken.VALUE_STRING) {
                    return p.getText();
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
