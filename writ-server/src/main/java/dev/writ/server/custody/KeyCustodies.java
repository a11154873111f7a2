package dev.writ.server.custody;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * Opens the {@link KeyCustody} a {@link CustodyConfig} describes, for a data directory.
 *
 * <p>Software custody: the keystore is {@code <data>/custody/}; the master key is {@code config.masterKeyFile()}, else
 * {@code $WRIT_MASTER_KEY_FILE}, else {@code <data>/master.key}. PKCS#11 custody: the token in the configured slot,
 * logged in with the PIN from the configured source, for P-256 keys, and a software keystore in
 * {@code <data>/custody/} for the domain's Ed25519 keys (the audit log key; see {@link Pkcs11DomainCustody}).
 */
public final class KeyCustodies {
    /** Directory of the software keystore inside the data directory. */
    public static final String CUSTODY_DIR = "custody";

    private KeyCustodies() {}

    /** {@link #open(Path, CustodyConfig, Map, SecureRandom)} with the process environment and a new SecureRandom. */
    public static KeyCustody open(Path dataDir, CustodyConfig config) throws CustodyException {
        return open(dataDir, config, System.getenv(), new SecureRandom());
    }

    /**
     * Opens existing custody.
     *
     * @throws CustodyException when there is no keystore, the master key or PIN is missing or wrong, or the token cannot
     *     be used
     */
    public static KeyCustody open(Path dataDir, CustodyConfig config, Map<String, String> env, SecureRandom random)
            throws CustodyException {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(config, "config");
        return switch (config.kind()) {
            case SOFTWARE -> {
                MasterKey mk = MasterKey.load(masterKeyFile(dataDir, config, env));
                try {
                    yield SoftwareCustody.open(dataDir.resolve(CUSTODY_DIR), mk, random);
                } finally {
                    mk.destroy();
                }
            }
            case PKCS11 ->
                Pkcs11DomainCustody.of(
                        openPkcs11(config, env, random),
                        dataDir.resolve(CUSTODY_DIR),
                        masterKeyFile(dataDir, config, env),
                        random);
        };
    }

    /**
     * Sets custody up for a new trust domain ({@code writ init}). Software: creates the master key file unless it exists
     * already (an operator may provision it beforehand) and a new, empty keystore; fails if a keystore exists. PKCS#11:
     * opens the token, which proves the library, slot and PIN work.
     */
    public static KeyCustody create(Path dataDir, CustodyConfig config, Map<String, String> env, SecureRandom random)
            throws CustodyException {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(config, "config");
        return switch (config.kind()) {
            case SOFTWARE -> {
                Path keystore = dataDir.resolve(CUSTODY_DIR);
                // Checked before the master key is created, so a refused init leaves nothing behind.
                if (Files.exists(keystore.resolve(SoftwareCustody.KEYSTORE_FILE))) {
                    throw new CustodyException("a keystore already exists in " + keystore);
                }
                MasterKey mk = MasterKey.loadOrCreate(masterKeyFile(dataDir, config, env), random);
                try {
                    yield SoftwareCustody.create(keystore, mk, random);
                } finally {
                    mk.destroy();
                }
            }
            case PKCS11 ->
                Pkcs11DomainCustody.of(
                        openPkcs11(config, env, random),
                        dataDir.resolve(CUSTODY_DIR),
                        masterKeyFile(dataDir, config, env),
                        random);
        };
    }

    /** Where software custody (and a PKCS#11 domain's Ed25519 keystore) looks for its master key. */
    public static Path masterKeyFile(Path dataDir, CustodyConfig config, Map<String, String> env) {
        return config.masterKeyFile() != null ? config.masterKeyFile() : MasterKey.location(dataDir, env);
    }

    private static Pkcs11Custody openPkcs11(CustodyConfig config, Map<String, String> env, SecureRandom random)
            throws CustodyException {
        char[] pin = config.pin().read(env);
        try {
            return Pkcs11Custody.open(config.library(), config.slot(), pin, random);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }
}
