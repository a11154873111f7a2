package dev.writ.server.custody;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Software key custody: a keystore directory in which every private key is encrypted at rest with AES-256-GCM under
 * a key derived from a {@link MasterKey}.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>No file in the directory holds a private key in the clear. Each key file is sealed with a fresh random nonce;
 *       the AAD binds the handle id, the key kind and the label, so a file renamed, edited or swapped in from another
 *       keystore fails authentication instead of being used.
 *   <li>Writes are atomic (temp file, fsync, rename, fsync of the directory) and owner-only.
 *   <li>Decrypted keys live only inside this object, in memory; {@link #sign} is lock-free and safe from any number of
 *       threads. Ed25519 uses Bouncy Castle's RFC 8032 implementation with a precomputed public key; ECDSA P-256 uses
 *       deterministic nonces (RFC 6979) and returns raw r‖s.
 *   <li>{@link #open} with the wrong master key fails with a {@link CustodyException} before any key is touched.
 * </ul>
 *
 * <p>Layout of the directory: {@code keystore} (a sealed check value that identifies the master key) and
 * {@code keys/<id>.key}, one file per key. See {@code docs/custody.md} for the byte formats.
 */
public final class SoftwareCustody implements KeyCustody {
    static final String KEYSTORE_FILE = "keystore";
    static final String KEYS_DIR = "keys";
    static final String KEY_SUFFIX = ".key";
    static final String ROTATE_DIR = "rotate";
    static final String COMMITTED = "COMMITTED";

    private static final byte[] KEYSTORE_MAGIC = "WRITKS01".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_MAGIC = "WRITKEY1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHECK_PLAINTEXT =
            "writ software custody keystore v1".getBytes(StandardCharsets.US_ASCII);
    private static final String WRAP_PURPOSE = "writ/custody/software/key-wrap/v1";
    private static final String KEY_AAD_PREFIX = "writ/custody/software/key/v1";
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = 128;
    private static final int SECRET_LENGTH = SoftwareKey.SECRET_LENGTH;
    private static final int MAX_LABEL_BYTES = 1024;
    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");

    private final Path dir;
    private final Path keysDir;
    private final SecureRandom random;
    private final byte[] wrapKey;
    private final ConcurrentHashMap<String, SoftwareKey> loaded = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    private volatile boolean closed;

    private SoftwareCustody(Path dir, byte[] wrapKey, SecureRandom random) {
        this.dir = dir;
        this.keysDir = dir.resolve(KEYS_DIR);
        this.wrapKey = wrapKey;
        this.random = random;
    }

    /**
     * Creates a new, empty keystore in {@code dir} (created owner-only if missing) bound to {@code masterKey}.
     *
     * @throws CustodyException when {@code dir} already holds a keystore or cannot be written
     */
    public static SoftwareCustody create(Path dir, MasterKey masterKey, SecureRandom random) throws CustodyException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(masterKey, "masterKey");
        Objects.requireNonNull(random, "random");
        Path marker = dir.resolve(KEYSTORE_FILE);
        byte[] wrap = masterKey.derive(WRAP_PURPOSE);
        try {
            SecureFiles.createPrivateDirectory(dir);
            SecureFiles.createPrivateDirectory(dir.resolve(KEYS_DIR));
            byte[] content = keystoreContent(wrap, random);
            SecureFiles.writeAtomically(marker, content, random, false);
        } catch (FileAlreadyExistsException e) {
            Arrays.fill(wrap, (byte) 0);
            throw new CustodyException("a keystore already exists in " + dir);
        } catch (IOException e) {
            Arrays.fill(wrap, (byte) 0);
            throw new CustodyException(
                    "cannot create keystore in " + dir + ": " + e.getClass().getSimpleName());
        } catch (GeneralSecurityException e) {
            Arrays.fill(wrap, (byte) 0);
            throw new CustodyException("cannot create keystore in " + dir + ": cipher unavailable");
        }
        return new SoftwareCustody(dir, wrap, random);
    }

    /**
     * Opens an existing keystore. The master key is checked against the keystore's sealed check value first.
     *
     * @throws CustodyException when there is no keystore in {@code dir}, or the master key does not open it
     */
    public static SoftwareCustody open(Path dir, MasterKey masterKey, SecureRandom random) throws CustodyException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(masterKey, "masterKey");
        Objects.requireNonNull(random, "random");
        recoverRotation(dir);
        byte[] content;
        try {
            content = Files.readAllBytes(dir.resolve(KEYSTORE_FILE));
        } catch (NoSuchFileException e) {
            throw new CustodyException("no keystore in " + dir);
        } catch (IOException e) {
            throw new CustodyException(
                    "cannot read keystore in " + dir + ": " + e.getClass().getSimpleName());
        }
        byte[] wrap = masterKey.derive(WRAP_PURPOSE);
        boolean ok = false;
        try {
            // A foreign or truncated file is not a keystore: refuse before trying to decrypt anything.
            if (content.length != KEYSTORE_MAGIC.length + NONCE_LENGTH + CHECK_PLAINTEXT.length + TAG_BITS / 8
                    || !Arrays.equals(content, 0, KEYSTORE_MAGIC.length, KEYSTORE_MAGIC, 0, KEYSTORE_MAGIC.length)) {
                throw new CustodyException("not a Writ keystore: " + dir.resolve(KEYSTORE_FILE));
            }
            byte[] nonce = Arrays.copyOfRange(content, KEYSTORE_MAGIC.length, KEYSTORE_MAGIC.length + NONCE_LENGTH);
            byte[] sealed = Arrays.copyOfRange(content, KEYSTORE_MAGIC.length + NONCE_LENGTH, content.length);
            byte[] check;
            try {
                check = gcm(Cipher.DECRYPT_MODE, wrap, nonce, KEYSTORE_MAGIC, sealed);
            } catch (AEADBadTagException e) {
                // The tag only verifies under the master key the keystore was created with.
                throw new CustodyException("the master key does not open the keystore in " + dir);
            } catch (GeneralSecurityException e) {
                throw new CustodyException("cannot open keystore in " + dir + ": cipher unavailable");
            }
            if (!Arrays.equals(check, CHECK_PLAINTEXT)) {
                throw new CustodyException("the master key does not open the keystore in " + dir);
            }
            if (!Files.isDirectory(dir.resolve(KEYS_DIR), LinkOption.NOFOLLOW_LINKS)) {
                throw new CustodyException("keystore in " + dir + " has no keys directory");
            }
            ok = true;
            return new SoftwareCustody(dir, wrap, random);
        } finally {
            if (!ok) {
                Arrays.fill(wrap, (byte) 0);
            }
        }
    }

    /** Opens the keystore in {@code dir}, creating it first when {@code dir} holds none. */
    public static SoftwareCustody openOrCreate(Path dir, MasterKey masterKey, SecureRandom random)
            throws CustodyException {
        return Files.exists(dir.resolve(KEYSTORE_FILE)) ? open(dir, masterKey, random) : create(dir, masterKey, random);
    }

    /**
     * Re-encrypts every key of the keystore in {@code dir} under {@code next}, replacing {@code current}. An offline
     * operation: no process may use the keystore meanwhile.
     *
     * <p>Crash-safe: the new key files and check value are written to {@code dir/rotate/} first; a {@code COMMITTED}
     * marker written atomically is the switch; then the files are moved into place. {@link #open} finishes a committed
     * rotation (file moves only, no key needed) and discards an uncommitted one. Once this method returns, or once a
     * crash happened after the commit, only {@code next} opens the keystore: keep the new master key file safe before
     * calling, and replace the old one afterwards.
     *
     * @throws CustodyException when {@code current} does not open the keystore or a key file fails authentication (the
     *     keystore is then left unchanged under {@code current}; destroy the damaged key first)
     */
    public static void rotateMasterKey(Path dir, MasterKey current, MasterKey next, SecureRandom random)
            throws CustodyException {
        rotateMasterKey(dir, current, next, random, true);
    }

    static void rotateMasterKey(Path dir, MasterKey current, MasterKey next, SecureRandom random, boolean finish)
            throws CustodyException {
        Objects.requireNonNull(next, "next");
        Path staging = dir.resolve(ROTATE_DIR);
        byte[] newWrap = next.derive(WRAP_PURPOSE);
        try (SoftwareCustody old = open(dir, current, random)) {
            // open() has finished or discarded any earlier attempt, so the staging directory is free.
            SecureFiles.createPrivateDirectory(staging.resolve(KEYS_DIR));
            for (Path file : keyFiles(old.keysDir)) {
                String name = file.getFileName().toString();
                String id = name.substring(0, name.length() - KEY_SUFFIX.length());
                byte[] content = Files.readAllBytes(file);
                specOf(content, id);
                byte[] secret = unseal(old.wrapKey, id, content);
                try {
                    byte[] header = Arrays.copyOfRange(content, 0, headerLength(content));
                    SecureFiles.writeAtomically(
                            staging.resolve(KEYS_DIR).resolve(name),
                            seal(newWrap, id, header, secret, random),
                            random,
                            true);
                } finally {
                    Arrays.fill(secret, (byte) 0);
                }
            }
            SecureFiles.writeAtomically(staging.resolve(KEYSTORE_FILE), keystoreContent(newWrap, random), random, true);
            // The commit point: from here on the rotation is finished, by this call or by the next open().
            SecureFiles.writeAtomically(staging.resolve(COMMITTED), new byte[0], random, true);
        } catch (CustodyException e) {
            discardStaging(staging);
            throw e;
        } catch (IOException e) {
            discardStaging(staging);
            throw new CustodyException("cannot rotate the master key of " + dir + ": "
                    + e.getClass().getSimpleName());
        } catch (GeneralSecurityException e) {
            discardStaging(staging);
            throw new CustodyException("cannot rotate the master key of " + dir + ": cipher unavailable");
        } finally {
            Arrays.fill(newWrap, (byte) 0);
        }
        if (finish) {
            recoverRotation(dir);
        }
    }

    /** Finishes a committed rotation (moves staged files into place; idempotent) or discards an uncommitted one. */
    static void recoverRotation(Path dir) throws CustodyException {
        Path staging = dir.resolve(ROTATE_DIR);
        if (!Files.isDirectory(staging, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.exists(staging.resolve(COMMITTED), LinkOption.NOFOLLOW_LINKS)) {
            discardStaging(staging);
            return;
        }
        try {
            Path stagedKeys = staging.resolve(KEYS_DIR);
            if (Files.isDirectory(stagedKeys)) {
                for (Path f : keyFiles(stagedKeys)) {
                    Files.move(
                            f,
                            dir.resolve(KEYS_DIR).resolve(f.getFileName()),
                            StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                }
                SecureFiles.fsyncDirectory(dir.resolve(KEYS_DIR));
            }
            // The check value moves last: until then an interrupted finish is simply resumed.
            if (Files.exists(staging.resolve(KEYSTORE_FILE))) {
                Files.move(
                        staging.resolve(KEYSTORE_FILE),
                        dir.resolve(KEYSTORE_FILE),
                        StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
                SecureFiles.fsyncDirectory(dir);
            }
            SecureFiles.deleteTree(staging);
            SecureFiles.fsyncDirectory(dir);
        } catch (IOException e) {
            throw new CustodyException("cannot finish the master key rotation in " + dir + ": "
                    + e.getClass().getSimpleName());
        }
    }

    private static void discardStaging(Path staging) throws CustodyException {
        try {
            SecureFiles.deleteTree(staging);
        } catch (IOException e) {
            throw new CustodyException(
                    "cannot remove " + staging + ": " + e.getClass().getSimpleName());
        }
    }

    private static List<Path> keyFiles(Path keysDir) throws IOException {
        try (Stream<Path> files = Files.list(keysDir)) {
            return files.filter(f -> {
                        String n = f.getFileName().toString();
                        return n.endsWith(KEY_SUFFIX)
                                && ID.matcher(n.substring(0, n.length() - KEY_SUFFIX.length()))
                                        .matches();
                    })
                    .sorted()
                    .toList();
        }
    }

    /** The keystore directory. */
    public Path directory() {
        return dir;
    }

    @Override
    public KeyHandle generate(KeySpec spec, String label) throws CustodyException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(label, "label");
        ensureOpen();
        byte[] labelBytes = label.getBytes(StandardCharsets.UTF_8);
        if (labelBytes.length > MAX_LABEL_BYTES) {
            throw new CustodyException("label longer than " + MAX_LABEL_BYTES + " bytes");
        }
        byte[] secret = new byte[SECRET_LENGTH];
        try {
            SoftwareKey.generateSecret(spec, random, secret);
            SoftwareKey key = SoftwareKey.of(spec, secret);
            byte[] idBytes = new byte[16];
            random.nextBytes(idBytes);
            String id = HexFormat.of().formatHex(idBytes);
            byte[] content = seal(wrapKey, id, header(spec, labelBytes), secret, random);
            synchronized (writeLock) {
                // Sealed outside the lock: if custody closed meanwhile, the wrapping key may be gone; write nothing.
                if (closed) {
                    key.wipe();
                    throw new CustodyException("custody is closed");
                }
                try {
                    SecureFiles.writeAtomically(keyFile(id), content, random, false);
                } catch (IOException e) {
                    key.wipe();
                    throw new CustodyException(
                            "cannot write key file: " + e.getClass().getSimpleName());
                }
                loaded.put(id, key);
            }
            return new KeyHandle(id, spec);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
    }

    @Override
    public PublicKey publicKey(KeyHandle handle) throws CustodyException {
        return key(handle).publicKey();
    }

    @Override
    public byte[] sign(KeyHandle handle, byte[] data) throws CustodyException {
        Objects.requireNonNull(data, "data");
        return key(handle).sign(data);
    }

    @Override
    public void destroy(KeyHandle handle) throws CustodyException {
        Objects.requireNonNull(handle, "handle");
        ensureOpen();
        checkId(handle.id());
        synchronized (writeLock) {
            ensureOpen();
            SoftwareKey key;
            try {
                key = loadLocked(handle);
            } catch (CustodyException e) {
                // A key file that fails authentication can never be used, but must still be removable.
                if (!Files.exists(keyFile(handle.id()), LinkOption.NOFOLLOW_LINKS)) {
                    throw e;
                }
                key = null;
            }
            // The handle must name the key it claims to: a handle of the wrong kind destroys nothing.
            if (key != null && key.spec() != handle.spec()) {
                throw new CustodyException("key handle " + handle.id() + " does not match the kind of the stored key");
            }
            loaded.remove(handle.id());
            if (key != null) {
                key.wipe();
            }
            try {
                SecureFiles.deleteDurably(keyFile(handle.id()));
            } catch (IOException e) {
                throw new CustodyException(
                        "cannot delete key file: " + e.getClass().getSimpleName());
            }
        }
    }

    /** Handles of every key in the keystore (read from the directory; labels are not returned). */
    public List<KeyHandle> handles() throws CustodyException {
        ensureOpen();
        List<KeyHandle> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(keysDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (!name.endsWith(KEY_SUFFIX)) {
                    continue;
                }
                String id = name.substring(0, name.length() - KEY_SUFFIX.length());
                if (!ID.matcher(id).matches()) {
                    continue;
                }
                byte[] head = new byte[KEY_MAGIC.length + 1];
                try (var in = Files.newInputStream(f)) {
                    if (in.readNBytes(head, 0, head.length) != head.length) {
                        continue;
                    }
                }
                KeySpec spec = specOf(head[KEY_MAGIC.length]);
                if (spec != null && Arrays.equals(head, 0, KEY_MAGIC.length, KEY_MAGIC, 0, KEY_MAGIC.length)) {
                    out.add(new KeyHandle(id, spec));
                }
            }
        } catch (IOException e) {
            throw new CustodyException("cannot list keystore: " + e.getClass().getSimpleName());
        }
        return out;
    }

    @Override
    public KeySpec defaultSpec() {
        return KeySpec.ED25519;
    }

    /** Wipes every decrypted key and the wrapping key from memory. Idempotent. */
    @Override
    public void close() {
        synchronized (writeLock) {
            closed = true;
            loaded.values().forEach(SoftwareKey::wipe);
            loaded.clear();
            Arrays.fill(wrapKey, (byte) 0);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private SoftwareKey key(KeyHandle handle) throws CustodyException {
        Objects.requireNonNull(handle, "handle");
        ensureOpen();
        SoftwareKey key = loaded.get(handle.id());
        if (key == null) {
            checkId(handle.id());
            synchronized (writeLock) {
                ensureOpen();
                key = loadLocked(handle);
            }
        }
        // A handle claiming another kind of key is a caller bug or a forgery: never sign with a mismatched key.
        if (key.spec() != handle.spec()) {
            throw new CustodyException("key handle " + handle.id() + " does not match the kind of the stored key");
        }
        return key;
    }

    private SoftwareKey loadLocked(KeyHandle handle) throws CustodyException {
        SoftwareKey key = loaded.get(handle.id());
        if (key != null) {
            return key;
        }
        String id = handle.id();
        byte[] content;
        try {
            content = Files.readAllBytes(keyFile(id));
        } catch (NoSuchFileException e) {
            throw new CustodyException("unknown key handle " + id);
        } catch (IOException e) {
            throw new CustodyException("cannot read key file for handle " + id + ": "
                    + e.getClass().getSimpleName());
        }
        KeySpec spec = specOf(content, id);
        byte[] secret = unseal(wrapKey, id, content);
        try {
            key = SoftwareKey.of(spec, secret);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
        loaded.put(id, key);
        return key;
    }

    /** The key kind in a key file's header, after checking that the file has exactly the documented shape. */
    private static KeySpec specOf(byte[] content, String id) throws CustodyException {
        int minimum = KEY_MAGIC.length + 3 + NONCE_LENGTH + SECRET_LENGTH + TAG_BITS / 8;
        // Anything that does not parse exactly is rejected, never guessed at.
        if (content.length < minimum || !Arrays.equals(content, 0, KEY_MAGIC.length, KEY_MAGIC, 0, KEY_MAGIC.length)) {
            throw new CustodyException("key file for handle " + id + " is corrupted");
        }
        KeySpec spec = specOf(content[KEY_MAGIC.length]);
        int headerLength = headerLength(content);
        if (spec == null
                || headerLength - KEY_MAGIC.length - 3 > MAX_LABEL_BYTES
                || content.length != headerLength + NONCE_LENGTH + SECRET_LENGTH + TAG_BITS / 8) {
            throw new CustodyException("key file for handle " + id + " is corrupted");
        }
        return spec;
    }

    private static int headerLength(byte[] content) {
        int labelLength = ((content[KEY_MAGIC.length + 1] & 0xff) << 8) | (content[KEY_MAGIC.length + 2] & 0xff);
        return KEY_MAGIC.length + 3 + labelLength;
    }

    /** Decrypts the secret of a key file whose shape {@link #specOf(byte[], String)} has checked. */
    private static byte[] unseal(byte[] wrap, String id, byte[] content) throws CustodyException {
        int headerLength = headerLength(content);
        byte[] header = Arrays.copyOfRange(content, 0, headerLength);
        byte[] nonce = Arrays.copyOfRange(content, headerLength, headerLength + NONCE_LENGTH);
        byte[] sealed = Arrays.copyOfRange(content, headerLength + NONCE_LENGTH, content.length);
        try {
            return gcm(Cipher.DECRYPT_MODE, wrap, nonce, keyAad(id, header), sealed);
        } catch (AEADBadTagException e) {
            // Authentication covers the id, kind, label and secret: any change to the file or its name lands here.
            throw new CustodyException("key file for handle " + id + " failed authentication (tampered or corrupted)");
        } catch (GeneralSecurityException e) {
            throw new CustodyException("cannot decrypt key file for handle " + id + ": cipher unavailable");
        }
    }

    /** A key file: the header (magic, kind, label) and the secret sealed under {@code wrap} with a fresh nonce. */
    private static byte[] seal(byte[] wrap, String id, byte[] header, byte[] secret, SecureRandom random)
            throws CustodyException {
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        byte[] sealed;
        try {
            sealed = gcm(Cipher.ENCRYPT_MODE, wrap, nonce, keyAad(id, header), secret);
        } catch (GeneralSecurityException e) {
            throw new CustodyException("cannot seal key: cipher unavailable");
        }
        return ByteBuffer.allocate(header.length + NONCE_LENGTH + sealed.length)
                .put(header)
                .put(nonce)
                .put(sealed)
                .array();
    }

    /** The keystore check value sealed under {@code wrap}. */
    private static byte[] keystoreContent(byte[] wrap, SecureRandom random) throws GeneralSecurityException {
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        byte[] sealed = gcm(Cipher.ENCRYPT_MODE, wrap, nonce, KEYSTORE_MAGIC, CHECK_PLAINTEXT);
        return ByteBuffer.allocate(KEYSTORE_MAGIC.length + NONCE_LENGTH + sealed.length)
                .put(KEYSTORE_MAGIC)
                .put(nonce)
                .put(sealed)
                .array();
    }

    private void ensureOpen() throws CustodyException {
        if (closed) {
            throw new CustodyException("custody is closed");
        }
    }

    private static void checkId(String id) throws CustodyException {
        // Ids become file names: anything but our own format (e.g. "../x") is rejected before touching the disk.
        if (!ID.matcher(id).matches()) {
            throw new CustodyException("unknown key handle");
        }
    }

    private Path keyFile(String id) {
        return keysDir.resolve(id + KEY_SUFFIX);
    }

    private static byte[] header(KeySpec spec, byte[] label) {
        return ByteBuffer.allocate(KEY_MAGIC.length + 3 + label.length)
                .put(KEY_MAGIC)
                .put(specCode(spec))
                .putShort((short) label.length)
                .put(label)
                .array();
    }

    private static byte[] keyAad(String id, byte[] header) {
        byte[] prefix = KEY_AAD_PREFIX.getBytes(StandardCharsets.US_ASCII);
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(prefix.length + 1 + idBytes.length + 1 + header.length)
                .put(prefix)
                .put((byte) 0)
                .put(idBytes)
                .put((byte) 0)
                .put(header)
                .array();
    }

    private static byte specCode(KeySpec spec) {
        return switch (spec) {
            case ED25519 -> 1;
            case EC_P256 -> 2;
        };
    }

    private static KeySpec specOf(byte code) {
        return switch (code) {
            case 1 -> KeySpec.ED25519;
            case 2 -> KeySpec.EC_P256;
            default -> null;
        };
    }

    private static byte[] gcm(int mode, byte[] key, byte[] nonce, byte[] aad, byte[] input)
            throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        c.updateAAD(aad);
        return c.doFinal(input);
    }
}
