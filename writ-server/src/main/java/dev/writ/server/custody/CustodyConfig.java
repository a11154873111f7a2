package dev.writ.server.custody;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;

/**
 * Which key custody a trust domain uses, as stored under {@code "custody"} in {@code domain.json}. Holds no secret:
 * a PKCS#11 PIN is named by its {@link PinSource} (a file path or an environment variable), never included.
 *
 * <p>JSON forms (unknown fields are rejected):
 *
 * <pre>{@code
 * {"kind": "software"}
 * {"kind": "software", "masterKeyFile": "/etc/writ/master.key"}
 * {"kind": "pkcs11", "library": "/usr/lib/softhsm/libsofthsm2.so", "slot": 1666404581, "pin": {"env": "WRIT_PKCS11_PIN"}}
 * {"kind": "pkcs11", "library": "...", "slot": 0, "pin": {"file": "/etc/writ/pkcs11.pin"}}
 * }</pre>
 *
 * @param kind software keystore or PKCS#11 token
 * @param masterKeyFile software only, optional: the master key file; when absent, {@code $WRIT_MASTER_KEY_FILE} or
 *     {@code <data>/master.key}
 * @param library PKCS#11 only: path of the PKCS#11 module
 * @param slot PKCS#11 only: slot id (as listed by {@code softhsm2-util --show-slots} or {@code pkcs11-tool -L})
 * @param pin PKCS#11 only: where the user PIN comes from
 */
public record CustodyConfig(Kind kind, Path masterKeyFile, Path library, Long slot, PinSource pin) {

    /** The kinds of custody. */
    public enum Kind {
        SOFTWARE("software"),
        PKCS11("pkcs11");

        private final String json;

        Kind(String json) {
            this.json = json;
        }

        /** The name used in JSON and on the command line. */
        public String jsonName() {
            return json;
        }

        static Kind fromJson(String s) throws CustodyException {
            for (Kind k : values()) {
                if (k.json.equals(s)) {
                    return k;
                }
            }
            throw new CustodyException("unknown custody kind: " + s);
        }
    }

    public CustodyConfig {
        Objects.requireNonNull(kind, "kind");
        switch (kind) {
            case SOFTWARE -> {
                if (library != null || slot != null || pin != null) {
                    throw new IllegalArgumentException("software custody takes no PKCS#11 library, slot or PIN");
                }
            }
            case PKCS11 -> {
                if (library == null || slot == null || pin == null) {
                    throw new IllegalArgumentException("PKCS#11 custody needs a library, a slot and a PIN source");
                }
                if (slot < 0) {
                    throw new IllegalArgumentException("PKCS#11 slot must not be negative");
                }
                if (masterKeyFile != null) {
                    throw new IllegalArgumentException("PKCS#11 custody takes no master key file");
                }
            }
        }
    }

    /** Software custody with the default master key location. */
    public static CustodyConfig software() {
        return new CustodyConfig(Kind.SOFTWARE, null, null, null, null);
    }

    /** Software custody with the master key in {@code masterKeyFile}. */
    public static CustodyConfig software(Path masterKeyFile) {
        return new CustodyConfig(
                Kind.SOFTWARE, Objects.requireNonNull(masterKeyFile, "masterKeyFile"), null, null, null);
    }

    /** PKCS#11 custody on {@code slot} of the module {@code library}. */
    public static CustodyConfig pkcs11(Path library, long slot, PinSource pin) {
        return new CustodyConfig(Kind.PKCS11, null, library, slot, pin);
    }

    /** This configuration as a JSON object (see the class comment). */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("kind", kind.jsonName());
        if (masterKeyFile != null) {
            o.put("masterKeyFile", masterKeyFile.toString());
        }
        if (kind == Kind.PKCS11) {
            o.put("library", library.toString());
            o.put("slot", slot);
            ObjectNode p = o.putObject("pin");
            switch (pin) {
                case PinSource.File f -> p.put("file", f.path().toString());
                case PinSource.Env e -> p.put("env", e.variable());
            }
        }
        return o;
    }

    /**
     * Reads the JSON form. Deny by default: unknown fields, wrong types and missing fields are errors.
     *
     * @throws CustodyException naming what is wrong
     */
    public static CustodyConfig fromJson(JsonNode json) throws CustodyException {
        if (json == null || !json.isObject()) {
            throw new CustodyException("custody configuration must be a JSON object");
        }
        Kind kind = Kind.fromJson(text(json, "kind", true));
        try {
            return switch (kind) {
                case SOFTWARE -> {
                    onlyFields(json, Set.of("kind", "masterKeyFile"));
                    String mk = text(json, "masterKeyFile", false);
                    yield new CustodyConfig(kind, mk == null ? null : Path.of(mk), null, null, null);
                }
                case PKCS11 -> {
                    onlyFields(json, Set.of("kind", "library", "slot", "pin"));
                    JsonNode slot = json.get("slot");
                    if (slot == null || !slot.isIntegralNumber() || !slot.canConvertToLong() || slot.asLong() < 0) {
                        throw new CustodyException("custody field \"slot\" must be a non-negative integer");
                    }
                    yield new CustodyConfig(
                            kind,
                            null,
                            Path.of(text(json, "library", true)),
                            slot.asLong(),
                            pinFromJson(json.get("pin")));
                }
            };
        } catch (IllegalArgumentException e) {
            throw new CustodyException("invalid custody configuration: " + e.getMessage());
        }
    }

    private static PinSource pinFromJson(JsonNode pin) throws CustodyException {
        if (pin == null || !pin.isObject() || pin.size() != 1) {
            throw new CustodyException("custody field \"pin\" must be {\"file\": path} or {\"env\": name}");
        }
        if (pin.has("file")) {
            return new PinSource.File(Path.of(text(pin, "file", true)));
        }
        if (pin.has("env")) {
            return new PinSource.Env(text(pin, "env", true));
        }
        throw new CustodyException("custody field \"pin\" must be {\"file\": path} or {\"env\": name}");
    }

    private static void onlyFields(JsonNode json, Set<String> allowed) throws CustodyException {
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new CustodyException("unknown custody field: " + f);
            }
        }
    }

    private static String text(JsonNode json, String field, boolean required) throws CustodyException {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new CustodyException("custody field \"" + field + "\" is missing");
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new CustodyException("custody field \"" + field + "\" must be a non-empty string");
        }
        return v.asText();
    }
}
