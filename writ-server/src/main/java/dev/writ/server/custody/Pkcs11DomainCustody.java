package dev.writ.server.custody;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * The custody of a trust domain whose keys live in a PKCS#11 token: every ECDSA P-256 key (CAs, OCSP responders,
 * policy signing, agents) on the token through {@link Pkcs11Custody}, and the few Ed25519 keys in a software keystore
 * beside it ({@link SoftwareCustody} in {@code <data>/custody}, under the domain's master key file).
 *
 * <p>Why: the audit log signs its checkpoints as C2SP signed notes, whose key type is Ed25519, and the JDK's PKCS#11
 * provider has no EdDSA. Rather than leave a PKCS#11 domain without an audit log (and so without an authorize path),
 * its log/decision signing key is an Ed25519 key in software custody, certified by the audit CA whose key stays on the
 * token. Revoking that one leaf certificate disowns the key. See {@code docs/operations.md}.
 *
 * <p>Guarantees: a handle goes to the side its {@link KeySpec} names and nowhere else; {@link #defaultSpec()} is the
 * token's (P-256), so only callers that ask for Ed25519 by name get a software key. The software keystore and master
 * key are created the first time an Ed25519 key is generated (so an older PKCS#11 domain gains one when its audit CA
 * is re-issued); before that, an Ed25519 handle is an unknown key. Private keys never leave either side.
 */
public final class Pkcs11DomainCustody implements KeyCustody {
    private final Pkcs11Custody token;
    private final Path keystore;
    private final Path masterKeyFile;
    private final SecureRandom random;
    private volatile SoftwareCustody software;

    private Pkcs11DomainCustody(
            Pkcs11Custody token, Path keystore, Path masterKeyFile, SecureRandom random, SoftwareCustody software) {
        this.token = token;
        this.keystore = keystore;
        this.masterKeyFile = masterKeyFile;
        this.random = random;
        this.software = software;
    }

    /**
     * Wraps an open token. When {@code keystore} already holds a software keystore, it is opened now with the master key
     * in {@code masterKeyFile}; on failure the token is closed too.
     *
     * @throws CustodyException when an existing keystore cannot be opened (missing or wrong master key)
     */
    public static Pkcs11DomainCustody of(Pkcs11Custody token, Path keystore, Path masterKeyFile, SecureRandom random)
            throws CustodyException {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(masterKeyFile, "masterKeyFile");
        Objects.requireNonNull(random, "random");
        SoftwareCustody software = null;
        try {
            if (Files.exists(keystore.resolve(SoftwareCustody.KEYSTORE_FILE))) {
                MasterKey mk = MasterKey.load(masterKeyFile);
                try {
                    software = SoftwareCustody.open(keystore, mk, random);
                } finally {
                    mk.destroy();
                }
            }
        } catch (CustodyException | RuntimeException e) {
            token.close();
            throw e;
        }
        return new Pkcs11DomainCustody(token, keystore, masterKeyFile, random, software);
    }

    @Override
    public KeyHandle generate(KeySpec spec, String label) throws CustodyException {
        Objects.requireNonNull(spec, "spec");
        return switch (spec) {
            case EC_P256 -> token.generate(spec, label);
            case ED25519 -> softwareForGeneration().generate(spec, label);
        };
    }

    @Override
    public PublicKey publicKey(KeyHandle handle) throws CustodyException {
        return side(handle).publicKey(handle);
    }

    @Override
    public byte[] sign(KeyHandle handle, byte[] data) throws CustodyException {
        return side(handle).sign(handle, data);
    }

    @Override
    public void destroy(KeyHandle handle) throws CustodyException {
        side(handle).destroy(handle);
    }

    /** The token's kind: P-256. Ed25519 keys are made only when asked for by name. */
    @Override
    public KeySpec defaultSpec() {
        return token.defaultSpec();
    }

    @Override
    public void close() throws CustodyException {
        try {
            SoftwareCustody s = software;
            if (s != null) {
                s.close();
            }
        } finally {
            token.close();
        }
    }

    private KeyCustody side(KeyHandle handle) throws CustodyException {
        Objects.requireNonNull(handle, "handle");
        if (handle.spec() == KeySpec.EC_P256) {
            return token;
        }
        SoftwareCustody s = software;
        // No keystore yet: no Ed25519 key was ever made here, so the handle names nothing.
        if (s == null) {
            throw new CustodyException("unknown key handle " + handle.id());
        }
        return s;
    }

    private synchronized SoftwareCustody softwareForGeneration() throws CustodyException {
        SoftwareCustody s = software;
        if (s == null) {
            MasterKey mk = MasterKey.loadOrCreate(masterKeyFile, random);
            try {
                s = SoftwareCustody.openOrCreate(keystore, mk, random);
            } finally {
                mk.destroy();
            }
            software = s;
        }
        return s;
    }

    @Override
    public String toString() {
        return "Pkcs11DomainCustody[" + token + ", Ed25519 keystore " + keystore + "]";
    }
}
