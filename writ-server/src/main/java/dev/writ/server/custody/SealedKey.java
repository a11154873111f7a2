package dev.writ.server.custody;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.misc.MiscObjectIdentifiers;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.crypto.util.PBKDFConfig;
import org.bouncycastle.crypto.util.ScryptConfig;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfoBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEInputDecryptorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * A key that exists at rest only as a passphrase-encrypted PKCS#8 file: the root CA key (the "offline root").
 *
 * <p>The file is a PEM {@code ENCRYPTED PRIVATE KEY} (RFC 5958 EncryptedPrivateKeyInfo) using PBES2 with scrypt
 * (N = 2^17, r = 8, p = 1, 16-byte salt) and AES-256-CBC: standard formats, though OpenSSL 3.0 will not open it at
 * this cost (its scrypt memory limit is 32 MiB) nor parse the PKCS#8 v2 structure used for Ed25519. The encrypted
 * payload carries the public key, which is checked against the private key on every open, so a corrupted or altered
 * file is refused rather than used. {@link #open} also reads PBES2 (scrypt or PBKDF2) files made by other tools, if they
 * carry their public key.
 *
 * <p>Only CA ceremonies open a sealed key; the long-running server never does. Passphrases are the caller's
 * {@code char[]}: this class never copies them into a {@code String} and never puts them in a message.
 */
public final class SealedKey {
    static final String PEM_TYPE = "ENCRYPTED PRIVATE KEY";

    /** The scrypt cost used for new files: 128 MiB and roughly a second per attempt, for the owner and a guesser alike. */
    static final ScryptConfig DEFAULT_COST =
            new ScryptConfig.Builder(1 << 17, 8, 1).withSaltLength(16).build();

    private static final String WRONG = "wrong passphrase or corrupted sealed key";
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private SealedKey() {}

    /**
     * Generates a key pair, writes the private key sealed under {@code passphrase} to {@code file} (owner-only, atomic,
     * never overwriting an existing file) and returns the public key. The private key is wiped from memory before this
     * method returns.
     *
     * @throws CustodyException when the passphrase is empty, the file exists, or it cannot be written
     */
    public static PublicKey generate(KeySpec spec, char[] passphrase, Path file, SecureRandom random)
            throws CustodyException {
        return generate(spec, passphrase, file, random, DEFAULT_COST);
    }

    static PublicKey generate(KeySpec spec, char[] passphrase, Path file, SecureRandom random, PBKDFConfig cost)
            throws CustodyException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(passphrase, "passphrase");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(random, "random");
        if (passphrase.length == 0) {
            throw new CustodyException("the passphrase must not be empty");
        }
        if (Files.exists(file)) {
            throw new CustodyException("sealed key file already exists: " + file);
        }
        byte[] secret = new byte[SoftwareKey.SECRET_LENGTH];
        SoftwareKey key = null;
        try {
            SoftwareKey.generateSecret(spec, random, secret);
            key = SoftwareKey.of(spec, secret);
            PrivateKeyInfo info = key.toPrivateKeyInfo();
            OutputEncryptor encryptor = new JcePKCSPBEOutputEncryptorBuilder(cost, NISTObjectIdentifiers.id_aes256_CBC)
                    .setProvider(BC)
                    .setRandom(random)
                    .build(passphrase);
            PKCS8EncryptedPrivateKeyInfo sealed = new PKCS8EncryptedPrivateKeyInfoBuilder(info).build(encryptor);
            StringWriter pem = new StringWriter();
            try (PemWriter w = new PemWriter(pem)) {
                w.writeObject(new PemObject(PEM_TYPE, sealed.getEncoded()));
            }
            Path parent = file.toAbsolutePath().getParent();
            SecureFiles.createPrivateDirectory(parent);
            SecureFiles.writeAtomically(file, pem.toString().getBytes(StandardCharsets.US_ASCII), random, false);
            return key.publicKey();
        } catch (FileAlreadyExistsException e) {
            throw new CustodyException("sealed key file already exists: " + file);
        } catch (IOException e) {
            throw new CustodyException(
                    "cannot write sealed key file " + file + ": " + e.getClass().getSimpleName());
        } catch (OperatorCreationException e) {
            throw new CustodyException("cannot seal key: cipher unavailable");
        } finally {
            Arrays.fill(secret, (byte) 0);
            if (key != null) {
                key.wipe();
            }
        }
    }

    /**
     * Opens a sealed key file for signing. Close the returned signer as soon as the ceremony is over.
     *
     * @throws CustodyException {@code "wrong passphrase or corrupted sealed key"} when the passphrase does not decrypt
     *     the file or the decrypted key is not intact; another message when the file is missing or is not a sealed key
     */
    public static SealedSigner open(Path file, char[] passphrase) throws CustodyException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(passphrase, "passphrase");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new CustodyException("sealed key file not found: " + file);
        } catch (IOException e) {
            throw new CustodyException(
                    "cannot read sealed key file " + file + ": " + e.getClass().getSimpleName());
        }
        PKCS8EncryptedPrivateKeyInfo sealed = parse(text, file);
        PrivateKeyInfo info;
        try {
            info = sealed.decryptPrivateKeyInfo(new JcePKCSPBEInputDecryptorProviderBuilder()
                    .setProvider(BC)
                    .build(passphrase));
        } catch (PKCSException | RuntimeException e) {
            // Bad padding, a garbage structure and a wrong passphrase look alike, and must: no oracle, no detail.
            throw new CustodyException(WRONG);
        }
        try {
            return new SealedSigner(SoftwareKey.fromPrivateKeyInfo(info));
        } catch (CustodyException | RuntimeException e) {
            // CBC has no integrity: a damaged ciphertext can decrypt to a well-padded garbage structure, which must
            // fail the same way as a wrong passphrase, never escape as an unchecked exception.
            throw new CustodyException(WRONG);
        }
    }

    private static PKCS8EncryptedPrivateKeyInfo parse(String text, Path file) throws CustodyException {
        PemObject pem;
        try (PemReader r = new PemReader(new StringReader(text))) {
            pem = r.readPemObject();
        } catch (IOException | RuntimeException e) {
            throw new CustodyException("not a sealed key file: " + file);
        }
        // Only an encrypted key is a sealed key: a plaintext "PRIVATE KEY" here is refused, never used.
        if (pem == null || !PEM_TYPE.equals(pem.getType())) {
            throw new CustodyException("not a sealed key file: " + file);
        }
        try {
            PKCS8EncryptedPrivateKeyInfo sealed = new PKCS8EncryptedPrivateKeyInfo(pem.getContent());
            requireStrongScheme(sealed.getEncryptionAlgorithm());
            return sealed;
        } catch (IOException | RuntimeException e) {
            throw new CustodyException("not a sealed key file: " + file);
        }
    }

    private static void requireStrongScheme(AlgorithmIdentifier alg) throws IOException {
        // Legacy PBES1 / PKCS#12 schemes (DES, RC2, SHA-1 KDFs) are refused: a sealed key is PBES2 with a modern KDF.
        if (!PKCSObjectIdentifiers.id_PBES2.equals(alg.getAlgorithm())) {
            throw new IOException("not PBES2");
        }
        PBES2Parameters p = PBES2Parameters.getInstance(alg.getParameters());
        ASN1Encodable kdf = p.getKeyDerivationFunc().getAlgorithm();
        if (!MiscObjectIdentifiers.id_scrypt.equals(kdf) && !PKCSObjectIdentifiers.id_PBKDF2.equals(kdf)) {
            throw new IOException("unsupported KDF");
        }
    }
}
