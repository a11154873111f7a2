package dev.writ.server.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The manifest of a policy bundle ({@code manifest.json}): its name, version and description.
 *
 * <p>Parsing is strict: the three fields are required strings, no other field is allowed, the name is a lower-case
 * slug and the version a short printable token.
 *
 * @param name bundle name, {@code [a-z0-9][a-z0-9._-]{0,63}}
 * @param version the author's version label (for example {@code 1.0.0}); the store assigns its own sequence number
 * @param description a free-text description, at most 1,000 characters
 */
public record BundleManifest(String name, String version, String description) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}");
    private static final Set<String> FIELDS = Set.of("name", "version", "description");
    private static final ObjectMapper JSON = new ObjectMapper();

    public BundleManifest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(description, "description");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("manifest name must match [a-z0-9][a-z0-9._-]{0,63}");
        }
        if (!VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("manifest version must match [A-Za-z0-9][A-Za-z0-9.+_-]{0,63}");
        }
        if (description.length() > 1000) {
            throw new IllegalArgumentException("manifest description must be at most 1000 characters");
        }
    }

    /**
     * Parses {@code manifest.json}.
     *
     * @throws PolicyException {@code policy.invalid_bundle} when it is not a JSON object with exactly the three string
     *     fields, or a field is out of range
     */
    public static BundleManifest parse(byte[] json) throws PolicyException {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            throw new PolicyException("policy.invalid_bundle", "manifest.json is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new PolicyException("policy.invalid_bundle", "manifest.json must be a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            // Unknown fields are refused: a manifest we do not fully understand is not signed or loaded.
            if (!FIELDS.contains(f)) {
                throw new PolicyException("policy.invalid_bundle", "manifest.json has an unknown field: " + f);
            }
        }
        try {
            return new BundleManifest(text(node, "name"), text(node, "version"), text(node, "description"));
        } catch (IllegalArgumentException e) {
            throw new PolicyException("policy.invalid_bundle", e.getMessage());
        }
    }

    private static String text(JsonNode node, String field) throws PolicyException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new PolicyException("policy.invalid_bundle", "manifest.json needs a string field: " + field);
        }
        return v.textValue();
    }

    /** The manifest as a JSON object with the three fields. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("name", name);
        o.put("version", version);
        o.put("description", description);
        return o;
    }
}
