package dev.writ.server.ca;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.MasterKey;
import dev.writ.server.custody.Pkcs11Custody;
import dev.writ.server.custody.SoftwareCustody;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;

/**
 * The custody description kept in {@code domain.json} and the code that creates or opens custody from it. Holds no
 * secrets: the software custody's master key lives in its own file ({@code master.key} or
 * {@code $WRIT_MASTER_KEY_FILE}); a PKCS#11 PIN is read from the environment variable or file the description names.
 *
 * <pre>{@code
 * {"type": "software", "dir": "custody"}
 * {"type": "pkcs11", "library": "/usr/lib/softhsm/libsofthsm2.so", "slot": 123, "pin_env": "WRIT_PKCS11_PIN"}
 * {"type": "pkcs11", "library": "...", "slot": 123, "pin_file": "/run/secrets/pin"}
 * }</pre>
 */
public final class CustodyConfig {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String DEFAULT_PIN_ENV = "WRIT_PKCS11_PIN";

    private CustodyConfig() {}

    public static ObjectNode software() {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "software");
        n.put("dir", "custody");
        return n;
    }

    public static ObjectNode pkcs11(Path library, long slot, String pinEnv, Path pinFile) {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "pkcs11");
        n.put("library", library.toString());
        n.put("slot", slot);
        if (pinFile != null) {
            n.put("pin_file", pinFile.toString());
        } else {
            n.put("pin_env", pinEnv == null ? DEFAULT_PIN_ENV : pinEnv);
        }
        return n;
    }

    /** Creates new custody for a new trust domain (software: a new keystore and master key). */
    public static KeyCustody create(Path dataDir, ObjectNode config, Map<String, String> env, SecureRandom random)
            throws CaException {
        return switch (config.path("type").asText()) {
            case "software" -> {
                try {
                    MasterKey mk = MasterKey.loadOrCreate(MasterKey.location(dataDir, env), random);
                    try {
                        yield SoftwareCustody.create(
                                dataDir.resolve(config.path("dir").asText("custody")), mk, random);
                    } finally {
                        mk.destroy();
                    }
                } catch (CustodyException e) {
                    throw new CaException(CaException.Kind.INVALID, "custody.unavailable", e.getMessage(), e);
                }
            }
            case "pkcs11" -> open(dataDir, config, env, random);
            default -> throw CaException.invalid("custody.invalid", "unknown custody type");
        };
    }

    /** Opens the custody of an existing trust domain. */
    public static KeyCustody open(Path dataDir, ObjectNode config, Map<String, String> env, SecureRandom random)
            throws CaException {
        try {
            switch (config.path("type").asText()) {
                case "software" -> {
                    MasterKey mk = MasterKey.load(MasterKey.location(dataDir, env));
                    try {
                        return SoftwareCustody.open(
                                dataDir.resolve(config.path("dir").asText("custody")), mk, random);
                    } finally {
                        mk.destroy();
                    }
                }
                case "pkcs11" -> {
                    char[] pin = pin(config, env);
                    try {
                        return Pkcs11Custody.open(
                                Path.of(config.path("library").asText()),
                                config.path("slot").asLong(),
                                pin,
                                random);
                    } finally {
                        Arrays.fill(pin, '\0');
                    }
                }
                default -> throw CaException.invalid("custody.invalid", "unknown custody type");
            }
        } catch (CustodyException e) {
            throw new CaException(CaException.Kind.INVALID, "custody.unavailable", e.getMessage(), e);
        }
    }

    private static char[] pin(ObjectNode config, Map<String, String> env) throws CaException {
        if (config.hasNonNull("pin_file")) {
            try {
                return Files.readString(Path.of(config.get("pin_file").asText()), StandardCharsets.UTF_8)
                        .strip()
                        .toCharArray();
            } catch (IOException e) {
                throw CaException.invalid("custody.pin_unavailable", "cannot read the PKCS#11 PIN file");
            }
        }
        String name = config.path("pin_env").asText(DEFAULT_PIN_ENV);
        String v = env.get(name);
        if (v == null || v.isEmpty()) {
            throw CaException.invalid("custody.pin_unavailable", "set " + name + " to the PKCS#11 user PIN");
        }
        return v.toCharArray();
    }
}
