package dev.writ.server.ca;

import dev.writ.server.custody.KeySpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.crypto.util.ScryptConfig;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS8EncryptedPrivateKeyInfoBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEInputDecryptorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;

/**
 * The offline root key, sealed at rest as passphrase-encrypted PKCS#8 (PBES2 with scrypt N=2^17, r=8, p=1 and
 * AES-256-CBC; {@code openssl pkey} reads it). Opened only by CA ceremonies ({@code writ init}, {@code writ ca ...});
 * {@code writ serve} never constructs this class.
 *
 * <p>The private key stays inside this object: callers get the public key and a signer, and {@link #close()} drops
 * the reference. No method returns key bytes.
 */
final class SealedRoot implements AutoCloseable {
    private static final int SCRYPT_N = 1 << 17;

    private PrivateKey key;
    private final PublicKey publicKey;
    private final KeySpec spec;

    private SealedRoot(PrivateKey key, PublicKey publicKey, KeySpec spec) {
        this.key = key;
        this.publicKey = publicKey;
        this.spec = spec;
    }

    static {
        if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
            Security.addProvider(new BouncyCastleProvider());
        }
    }

    /** Generates a root key and seals it to {@code file}, which must not exist. */
    static SealedRoot create(Path file, KeySpec spec, char[] passphrase, SecureRandom random) throws CaException {
        try {
            KeyPair pair;
            if (spec == KeySpec.ED25519) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519", BouncyCastleProvider.PROVIDER_NAME);
                g.initialize(255, random);
                pair = g.generateKeyPair();
            } else {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC", BouncyCastleProvider.PROVIDER_NAME);
                g.initialize(new ECGenParameterSpec("secp256r1"), random);
                pair = g.generateKeyPair();
            }
            PKCS8EncryptedPrivateKeyInfo sealed = new JcaPKCS8EncryptedPrivateKeyInfoBuilder(pair.getPrivate())
                    .build(new JcePKCSPBEOutputEncryptorBuilder(
                                    new ScryptConfig.Builder(SCRYPT_N, 8, 1)
                                            .withSaltLength(16)
                                            .build(),
                                    NISTObjectIdentifiers.id_aes256_CBC)
                            .setProvider(BouncyCastleProvider.PROVIDER_NAME)
                            .setRandom(random)
                            .build(passphrase));
            Files.createDirectories(file.getParent());
            Files.write(
                    file,
                    Pem.encode("ENCRYPTED PRIVATE KEY", sealed.getEncoded())
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            return new SealedRoot(pair.getPrivate(), pair.getPublic(), spec);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw CaException.internal("cannot create the sealed root key", e);
        }
    }

    /**
     * Opens the sealed root key with its passphrase.
     *
     * @throws CaException {@code root.passphrase} when the passphrase does not open it, {@code root.missing} when the
     *     file is absent
     */
    static SealedRoot open(Path file, KeySpec spec, char[] passphrase) throws CaException {
        byte[] der;
        try {
            der = Pem.decodeBlock(Files.readString(file), "ENCRYPTED PRIVATE KEY");
        } catch (java.nio.file.NoSuchFileException e) {
            throw CaException.notFound("root.missing", "the sealed root key is not in the data directory");
        } catch (IOException e) {
            throw CaException.internal("cannot read the sealed root key", e);
        }
        try {
            PrivateKeyInfo info = new PKCS8EncryptedPrivateKeyInfo(der)
                    .decryptPrivateKeyInfo(new JcePKCSPBEInputDecryptorProviderBuilder()
                            .setProvider(BouncyCastleProvider.PROVIDER_NAME)
                            .build(passphrase));
            PrivateKey key = new JcaPEMKeyConverter()
                    .setProvider(BouncyCastleProvider.PROVIDER_NAME)
                    .getPrivateKey(info);
            return new SealedRoot(key, null, spec);
        } catch (PKCSException | IOException | RuntimeException e) {
            // Wrong passphrase and corrupt file look alike on purpose: no oracle.
            throw CaException.invalid("root.passphrase", "the passphrase does not open the sealed root key");
        }
    }

    /** The public key (null for a root opened from file: use the root certificate). */
    PublicKey publicKey() {
        return publicKey;
    }

    /** A signer with the root key. */
    ContentSigner signer() throws CaException {
        if (key == null) {
            throw new IllegalStateException("sealed root is closed");
        }
        try {
            return new JcaContentSignerBuilder(spec == KeySpec.ED25519 ? "Ed25519" : "SHA256withECDSA")
                    .setProvider(BouncyCastleProvider.PROVIDER_NAME)
                    .build(key);
        } catch (OperatorCreationException e) {
            throw CaException.internal("cannot sign with the root key", e);
        }
    }

    @Override
    public void close() {
        key = null;
    }
}
