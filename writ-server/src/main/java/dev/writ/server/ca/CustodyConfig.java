package dev.writ.server.ca;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustodies;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.PinSource;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;

/**
 * The custody description kept in {@code domain.json} (the JSON form of {@link dev.writ.server.custody.CustodyConfig},
 * no secrets) and the calls that create or open custody from it, with failures as {@link CaException}s.
 */
public final class CustodyConfig {
    /** The default environment variable for a PKCS#11 PIN. */
    public static final String DEFAULT_PIN_ENV = "WRIT_PKCS11_PIN";

    private CustodyConfig() {}

    public static ObjectNode software() {
        return dev.writ.server.custody.CustodyConfig.software().toJson();
    }

    /** A PKCS#11 description; the PIN comes from {@code pinFile} when given, else from {@code pinEnv}. */
    public static ObjectNode pkcs11(Path library, long slot, String pinEnv, Path pinFile) {
        PinSource pin = pinFile != null
                ? new PinSource.File(pinFile)
                : new PinSource.Env(pinEnv == null ? DEFAULT_PIN_ENV : pinEnv);
        return dev.writ.server.custody.CustodyConfig.pkcs11(library, slot, pin).toJson();
    }

    /** Creates new custody for a new trust domain (software: a new keystore, and a master key if none exists). */
    public static KeyCustody create(Path dataDir, ObjectNode config, Map<String, String> env, SecureRandom random)
            throws CaException {
        try {
            return KeyCustodies.create(dataDir, dev.writ.server.custody.CustodyConfig.fromJson(config), env, random);
        } catch (CustodyException e) {
            throw new CaException(CaException.Kind.INVALID, "custody.unavailable", e.getMessage(), e);
        }
    }

    /** Opens the custody of an existing trust domain. */
    public static KeyCustody open(Path dataDir, ObjectNode config, Map<String, String> env, SecureRandom random)
            throws CaException {
        try {
            return KeyCustodies.open(dataDir, dev.writ.server.custody.CustodyConfig.fromJson(config), env, random);
        } catch (CustodyException e) {
            throw new CaException(CaException.Kind.INVALID, "custody.unavailable", e.getMessage(), e);
        }
    }
}
