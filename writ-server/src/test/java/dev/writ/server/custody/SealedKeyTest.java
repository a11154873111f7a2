package dev.writ.server.custody;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.misc.MiscObjectIdentifiers;
import org.bouncycastle.asn1.misc.ScryptParams;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.crypto.util.ScryptConfig;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEInputDecryptorProviderBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealedKeyTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Cheap enough for tests and still readable by OpenSSL 3 (whose scrypt memory cap is 32 MiB). */
    private static final ScryptConfig TEST_COST =
            new ScryptConfig.Builder(1 << 14, 8, 1).withSaltLength(16).build();

    private static final String PASSPHRASE = "correct horse battery staple 7291";

    @TempDir
    Path tmp;

    @BeforeAll
    static void tools() throws Exception {
        Tools.ensureInstalled("openssl");
    }

    private static char[] pass() {
        return PASSPHRASE.toCharArray();
    }

    @Test
    void rightPassphraseOpensAndSignsForEverySpec() throws Exception {
        for (KeySpec spec : KeySpec.values()) {
            Path file = tmp.resolve(spec + ".key");
            PublicKey pk = SealedKey.generate(spec, pass(), file, RANDOM, TEST_COST);
            byte[] data = "root ceremony".getBytes(StandardCharsets.UTF_8);
            try (SealedSigner signer = SealedKey.open(file, pass())) {
                assertThat(signer.spec()).isEqualTo(spec);
                assertThat(signer.publicKey().getEncoded()).isEqualTo(pk.getEncoded());
                KeyCustodyContract.verify(spec, pk, data, signer.sign(data));
            }
        }
    }

    @Test
    void defaultCostIsScryptTwoToTheSeventeen() throws Exception {
        Path file = tmp.resolve("root.key");
        PublicKey pk = SealedKey.generate(KeySpec.ED25519, pass(), file, RANDOM);
        PKCS8EncryptedPrivateKeyInfo info = read(file);
        PBES2Parameters p =
                PBES2Parameters.getInstance(info.getEncryptionAlgorithm().getParameters());
        assertThat(p.getKeyDerivationFunc().getAlgorithm()).isEqualTo(MiscObjectIdentifiers.id_scrypt);
        ScryptParams sp = ScryptParams.getInstance(p.getKeyDerivationFunc().getParameters());
        assertThat(sp.getCostParameter().intValueExact()).isEqualTo(1 << 17);
        assertThat(sp.getBlockSize().intValueExact()).isEqualTo(8);
        assertThat(sp.getSalt()).hasSize(16);
        try (SealedSigner signer = SealedKey.open(file, pass())) {
            assertThat(signer.publicKey().getEncoded()).isEqualTo(pk.getEncoded());
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    @Test
    void wrongPassphraseIsRejectedWithAFixedMessage() throws Exception {
        Path file = tmp.resolve("root.key");
        SealedKey.generate(KeySpec.ED25519, pass(), file, RANDOM, TEST_COST);
        for (String wrong : List.of("correct horse battery staple 7292", "Tr0ub4dor&3", PASSPHRASE + " ")) {
            assertThatThrownBy(() -> SealedKey.open(file, wrong.toCharArray()))
                    .isInstanceOf(CustodyException.class)
                    .hasMessage("wrong passphrase or corrupted sealed key")
                    .hasNoCause()
                    .satisfies(e -> assertThat(e.toString()).doesNotContain(wrong));
        }
    }

    @Test
    void fileHoldsNoPlaintextKey() throws Exception {
        for (KeySpec spec : KeySpec.values()) {
            Path file = tmp.resolve("plain-" + spec + ".key");
            PublicKey pk = SealedKey.generate(spec, pass(), file, RANDOM, TEST_COST);
            // Decrypt with Bouncy Castle's PKCS#8 reader directly, to learn the plaintext the scan must not find.
            PrivateKeyInfo info = read(file)
                    .decryptPrivateKeyInfo(new JcePKCSPBEInputDecryptorProviderBuilder()
                            .setProvider(new BouncyCastleProvider())
                            .build(pass()));
            byte[] der = info.getEncoded();
            byte[] secret = spec == KeySpec.ED25519
                    ? ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets()
                    : org.bouncycastle.util.BigIntegers.asUnsignedByteArray(
                            32, ECPrivateKey.getInstance(info.parsePrivateKey()).getKey());
            assertThat(pk.getEncoded()).isNotEmpty();
            byte[] content = Files.readAllBytes(file);
            List<byte[]> forbidden = new ArrayList<>(List.of(
                    secret,
                    der,
                    Base64.getEncoder().encode(secret),
                    Base64.getEncoder().encode(der),
                    PASSPHRASE.getBytes(StandardCharsets.UTF_8),
                    "BEGIN PRIVATE KEY".getBytes(StandardCharsets.US_ASCII)));
            for (byte[] needle : forbidden) {
                assertThat(SoftwareCustodyTest.indexOf(content, needle)).isEqualTo(-1);
            }
            assertThat(new String(content, StandardCharsets.US_ASCII))
                    .startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
        }
    }

    @Test
    void openSslDecryptsASealedP256Key() throws Exception {
        // OpenSSL 3.0 reads the P-256 format (at a scrypt cost within its 32 MiB limit); it cannot parse the v2
        // PKCS#8 structure Writ uses for Ed25519, which carries the public key as an integrity check.
        Path file = tmp.resolve("p256.key");
        PublicKey pk = SealedKey.generate(KeySpec.EC_P256, pass(), file, RANDOM, TEST_COST);
        byte[] pubDer = openssl(
                file, "pkey", "-in", file.toString(), "-passin", "env:WRIT_TEST_PASS", "-pubout", "-outform", "DER");
        assertThat(pubDer).isEqualTo(pk.getEncoded());
    }

    @Test
    void opensAnOpenSslSealedP256Key() throws Exception {
        Path plain = tmp.resolve("plain.pem");
        Path sealed = tmp.resolve("sealed.pem");
        openssl(plain, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", plain.toString());
        openssl(
                sealed,
                "pkcs8",
                "-topk8",
                "-in",
                plain.toString(),
                "-v2",
                "aes-256-cbc",
                "-scrypt",
                "-scrypt_N",
                "16384",
                "-scrypt_r",
                "8",
                "-scrypt_p",
                "1",
                "-passout",
                "env:WRIT_TEST_PASS",
                "-out",
                sealed.toString());
        byte[] pubDer = openssl(plain, "pkey", "-in", plain.toString(), "-pubout", "-outform", "DER");
        try (SealedSigner signer = SealedKey.open(sealed, pass())) {
            assertThat(signer.spec()).isEqualTo(KeySpec.EC_P256);
            assertThat(signer.publicKey().getEncoded()).isEqualTo(pubDer);
            byte[] data = {1, 2, 3};
            KeyCustodyContract.verify(KeySpec.EC_P256, signer.publicKey(), data, signer.sign(data));
        }
    }

    @Test
    void everyTamperedCiphertextByteIsRejected() throws Exception {
        Path file = tmp.resolve("root.key");
        SealedKey.generate(KeySpec.EC_P256, pass(), file, RANDOM, TEST_COST);
        byte[] der = read(file).getEncoded();
        int ciphertextLength = read(file).getEncryptedData().length;
        // Flip one bit in each byte of the ciphertext (the end of the DER); sample to keep the scrypt cost bounded.
        for (int i = der.length - ciphertextLength; i < der.length; i += 7) {
            byte[] bad = der.clone();
            bad[i] ^= 0x01;
            Path t = tmp.resolve("t" + i);
            write(t, bad);
            int position = i;
            assertThatThrownBy(() -> SealedKey.open(t, pass()))
                    .as("flipped byte %d", position)
                    .isInstanceOf(CustodyException.class)
                    .hasMessage("wrong passphrase or corrupted sealed key");
        }
    }

    @Test
    void notASealedKeyIsRefused() throws Exception {
        Path plain = tmp.resolve("plain.pem");
        openssl(plain, "genpkey", "-algorithm", "ed25519", "-out", plain.toString());
        assertThatThrownBy(() -> SealedKey.open(plain, pass()))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("not a sealed key file");
        Path legacy = tmp.resolve("legacy.pem");
        // PBES1 with SHA-1 and 3DES (PKCS#12 PBE): refused as a weak scheme.
        openssl(
                legacy,
                "pkcs8",
                "-topk8",
                "-in",
                plain.toString(),
                "-v1",
                "PBE-SHA1-3DES",
                "-passout",
                "env:WRIT_TEST_PASS",
                "-out",
                legacy.toString());
        assertThatThrownBy(() -> SealedKey.open(legacy, pass()))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("not a sealed key file");
        Path garbage = tmp.resolve("garbage");
        Files.writeString(garbage, "hello");
        assertThatThrownBy(() -> SealedKey.open(garbage, pass())).isInstanceOf(CustodyException.class);
        assertThatThrownBy(() -> SealedKey.open(tmp.resolve("missing"), pass()))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("not found");
    }

    @Test
    void refusesEmptyPassphraseAndOverwriting() throws Exception {
        Path file = tmp.resolve("root.key");
        assertThatThrownBy(() -> SealedKey.generate(KeySpec.ED25519, new char[0], file, RANDOM, TEST_COST))
                .isInstanceOf(CustodyException.class)
                .hasMessage("the passphrase must not be empty");
        assertThat(file).doesNotExist();
        SealedKey.generate(KeySpec.ED25519, pass(), file, RANDOM, TEST_COST);
        byte[] before = Files.readAllBytes(file);
        assertThatThrownBy(() -> SealedKey.generate(KeySpec.ED25519, pass(), file, RANDOM, TEST_COST))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("already exists")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSPHRASE));
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void closedSignerRefusesToSign() throws Exception {
        Path file = tmp.resolve("root.key");
        SealedKey.generate(KeySpec.ED25519, pass(), file, RANDOM, TEST_COST);
        SealedSigner signer = SealedKey.open(file, pass());
        signer.sign(new byte[] {1});
        signer.close();
        assertThatThrownBy(() -> signer.sign(new byte[] {1})).isInstanceOf(CustodyException.class);
        signer.close();
        assertThat(signer.toString()).contains("closed");
    }

    private static PKCS8EncryptedPrivateKeyInfo read(Path file) throws IOException {
        try (PemReader r = new PemReader(Files.newBufferedReader(file))) {
            return new PKCS8EncryptedPrivateKeyInfo(r.readPemObject().getContent());
        }
    }

    private static void write(Path file, byte[] der) throws IOException {
        StringWriter s = new StringWriter();
        try (PemWriter w = new PemWriter(s)) {
            w.writeObject(new PemObject(SealedKey.PEM_TYPE, der));
        }
        Files.writeString(file, s.toString());
    }

    /** Runs openssl with the passphrase in the environment (never on the command line) and returns its stdout. */
    private static byte[] openssl(Path near, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false);
        pb.environment().put("WRIT_TEST_PASS", PASSPHRASE);
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("openssl %s: %s", args[0], err).isZero();
        return out.toByteArray();
    }
}
