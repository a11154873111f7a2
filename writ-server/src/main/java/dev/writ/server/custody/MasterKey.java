package dev.writ.server.custody;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import javax.security.auth.Destroyable;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * The 256-bit secret under which {@link SoftwareCustody} encrypts every private key at rest.
 *
 * <p>It lives apart from the keystore (by default {@code <data>/master.key}, or the file named by the environment
 * variable {@value #ENV_FILE}), so that a copy of the {@code custody/} directory alone reveals nothing. The file holds
 * one line: the key in base64. It is created with owner-only permissions and never overwritten.
 *
 * <p>The key bytes never leave this package: callers load it, hand it to custody, and {@link #destroy()} it.
 */
public final class MasterKey implements Destroyable {
    /** Environment variable that names the master key file, overriding {@code <data>/master.key}. */
    public static final String ENV_FILE = "WRIT_MASTER_KEY_FILE";

    /** File name of the master key inside the data directory when {@value #ENV_FILE} is not set. */
    public static final String DEFAULT_FILE_NAME = "master.key";

    static final int LENGTH = 32;

    private final byte[] key;
    private volatile boolean destroyed;

    private MasterKey(byte[] key) {
        this.key = key;
    }

    /** A fresh random master key. */
    public static MasterKey generate(SecureRandom random) {
        byte[] k = new byte[LENGTH];
        random.nextBytes(k);
        return new MasterKey(k);
    }

    /**
     * The master key file for a data directory: {@code env[WRIT_MASTER_KEY_FILE]} when set and not blank, otherwise
     * {@code <dataDir>/master.key}.
     */
    public static Path location(Path dataDir, Map<String, String> env) {
        String override = env.get(ENV_FILE);
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        return dataDir.resolve(DEFAULT_FILE_NAME);
    }

    /**
     * Reads a master key file.
     *
     * @throws CustodyException when the file is missing, unreadable, accessible to other users or not a master key
     *     (the message names the file, never its content)
     */
    public static MasterKey load(Path file) throws CustodyException {
        PinSource.requireOwnerOnly(file, "master key file");
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CustodyException("master key file not found: " + file);
        } catch (IOException e) {
            throw new CustodyException(
                    "cannot read master key file " + file + ": " + e.getClass().getSimpleName());
        }
        try {
            String text = new String(raw, StandardCharsets.US_ASCII).strip();
            byte[] k;
            try {
                k = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                // Never echo the content: it may be a real key in a slightly wrong format.
                throw new CustodyException("master key file " + file + " is not a base64 256-bit key");
            }
            if (k.length != LENGTH) {
                Arrays.fill(k, (byte) 0);
                throw new CustodyException("master key file " + file + " is not a base64 256-bit key");
            }
            return new MasterKey(k);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /**
     * Creates a new random master key file with owner-only permissions. Refuses to overwrite an existing file: losing
     * a master key loses every key it protects.
     */
    public static MasterKey create(Path file, SecureRandom random) throws CustodyException {
        if (Files.exists(file)) {
            throw new CustodyException("master key file already exists: " + file);
        }
        MasterKey mk = generate(random);
        byte[] line = (Base64.getEncoder().encodeToString(mk.key) + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            SecureFiles.writeAtomically(file, line, random, false);
        } catch (FileAlreadyExistsException e) {
            mk.destroy();
            throw new CustodyException("master key file already exists: " + file);
        } catch (IOException e) {
            mk.destroy();
            throw new CustodyException(
                    "cannot write master key file " + file + ": " + e.getClass().getSimpleName());
        } finally {
            Arrays.fill(line, (byte) 0);
        }
        return mk;
    }

    /** Loads the master key file when it exists, otherwise creates it. */
    public static MasterKey loadOrCreate(Path file, SecureRandom random) throws CustodyException {
        return Files.exists(file) ? load(file) : create(file, random);
    }

    /** Derives a purpose-bound 256-bit subkey with HKDF-SHA256, so the master key itself never keys a cipher. */
    byte[] derive(String purpose) throws CustodyException {
        Objects.requireNonNull(purpose, "purpose");
        if (destroyed) {
            throw new CustodyException("master key has been destroyed");
        }
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(key, null, purpose.getBytes(StandardCharsets.UTF_8)));
        byte[] out = new byte[32];
        hkdf.generateBytes(out, 0, out.length);
        return out;
    }

    /** Overwrites the key bytes; the object is unusable afterwards. */
    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "MasterKey[redacted]";
    }
}
