package dev.writ.server.custody;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoftwareCustodyTest extends KeyCustodyContract {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path tmp;

    private Path dir;
    private MasterKey masterKey;

    @Override
    protected KeyCustody openFresh() throws Exception {
        dir = tmp.resolve("custody");
        masterKey = MasterKey.create(tmp.resolve("master.key"), RANDOM);
        return SoftwareCustody.create(dir, masterKey, RANDOM);
    }

    @Override
    protected KeyCustody reopen(KeyCustody c) throws Exception {
        c.close();
        return SoftwareCustody.open(dir, MasterKey.load(tmp.resolve("master.key")), RANDOM);
    }

    @Override
    protected List<KeySpec> supportedSpecs() {
        return List.of(KeySpec.ED25519, KeySpec.EC_P256);
    }

    @Override
    protected List<String> secrets() {
        try {
            byte[] mk = Base64.getDecoder()
                    .decode(Files.readString(tmp.resolve("master.key")).strip());
            return List.of(HexFormat.of().formatHex(mk), Base64.getEncoder().encodeToString(mk));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private SoftwareCustody software() {
        return (SoftwareCustody) custody;
    }

    private Path keyFile(KeyHandle h) {
        return dir.resolve("keys").resolve(h.id() + ".key");
    }

    /**
     * Decrypts a key file by following the documented format independently of the implementation, to learn the raw
     * secret the scan below must not find in the clear.
     */
    private byte[] decryptIndependently(KeyHandle h) throws Exception {
        return decryptIndependently(h, tmp.resolve("master.key"));
    }

    private byte[] decryptIndependently(KeyHandle h, Path masterKeyFile) throws Exception {
        byte[] content = Files.readAllBytes(keyFile(h));
        int labelLength = ((content[9] & 0xff) << 8) | (content[10] & 0xff);
        int headerLength = 11 + labelLength;
        byte[] header = Arrays.copyOfRange(content, 0, headerLength);
        byte[] prefix = "writ/custody/software/key/v1".getBytes(StandardCharsets.US_ASCII);
        byte[] id = h.id().getBytes(StandardCharsets.US_ASCII);
        byte[] aad = ByteBuffer.allocate(prefix.length + 2 + id.length + header.length)
                .put(prefix)
                .put((byte) 0)
                .put(id)
                .put((byte) 0)
                .put(header)
                .array();
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        byte[] wrap = MasterKey.load(masterKeyFile).derive("writ/custody/software/key-wrap/v1");
        c.init(
                Cipher.DECRYPT_MODE,
                new SecretKeySpec(wrap, "AES"),
                new GCMParameterSpec(128, content, headerLength, 12));
        c.updateAAD(aad);
        return c.doFinal(content, headerLength + 12, content.length - headerLength - 12);
    }

    @Test
    void keyFilesFollowTheDocumentedFormat() throws Exception {
        KeyHandle ed = custody.generate(KeySpec.ED25519, "agent-7");
        byte[] seed = decryptIndependently(ed);
        assertThat(seed).hasSize(32);
        byte[] pk = new byte[32];
        Ed25519.generatePublicKey(seed, 0, pk, 0);
        assertThat(custody.publicKey(ed).getEncoded()).endsWith(pk);
        byte[] header = Files.readAllBytes(keyFile(ed));
        assertThat(new String(header, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("WRITKEY1");
        assertThat(header[8]).isEqualTo((byte) 1);
        assertThat(new String(header, 11, 7, StandardCharsets.UTF_8)).isEqualTo("agent-7");
    }

    @Test
    void custodyDirectoryHoldsNoPlaintextKey() throws Exception {
        List<byte[]> forbidden = new ArrayList<>();
        for (KeySpec spec : supportedSpecs()) {
            for (int i = 0; i < 3; i++) {
                KeyHandle h = custody.generate(spec, "scan " + i);
                custody.sign(h, new byte[] {1});
                byte[] secret = decryptIndependently(h);
                forbidden.add(secret);
                forbidden.add(HexFormat.of().formatHex(secret).getBytes(StandardCharsets.US_ASCII));
                forbidden.add(Base64.getEncoder().encode(secret));
                byte[] pkcs8 =
                        switch (spec) {
                            case ED25519 ->
                                PrivateKeyInfoFactory.createPrivateKeyInfo(new Ed25519PrivateKeyParameters(secret))
                                        .getEncoded();
                            case EC_P256 ->
                                PrivateKeyInfoFactory.createPrivateKeyInfo(new ECPrivateKeyParameters(
                                                new BigInteger(1, secret),
                                                ECNamedDomainParameters.lookup(SECObjectIdentifiers.secp256r1)))
                                        .getEncoded();
                        };
                forbidden.add(pkcs8);
                forbidden.add(Base64.getEncoder().encode(pkcs8));
            }
        }
        forbidden.add("PRIVATE KEY".getBytes(StandardCharsets.US_ASCII));
        forbidden.add("-----BEGIN".getBytes(StandardCharsets.US_ASCII));
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).hasSize(1 + supportedSpecs().size() * 3);
        for (Path f : files) {
            byte[] content = Files.readAllBytes(f);
            for (byte[] needle : forbidden) {
                assertThat(indexOf(content, needle))
                        .as("plaintext key material in %s", f)
                        .isEqualTo(-1);
            }
        }
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void everyTamperedByteIsDetected() throws Exception {
        KeyHandle h = custody.generate(KeySpec.ED25519, "victim");
        byte[] original = Files.readAllBytes(keyFile(h));
        byte[] seed = decryptIndependently(h);
        for (int i = 0; i < original.length; i++) {
            byte[] tampered = original.clone();
            tampered[i] ^= 0x01;
            Files.write(keyFile(h), tampered);
            custody = reopen(custody);
            int position = i;
            assertThatThrownBy(() -> custody.sign(h, new byte[] {1}))
                    .as("flipped byte %d", position)
                    .isInstanceOf(CustodyException.class)
                    .satisfies(this::assertNoSecretIn)
                    .satisfies(e -> assertThat(e.toString())
                            .doesNotContain(HexFormat.of().formatHex(seed))
                            .doesNotContain(Base64.getEncoder().encodeToString(seed)));
        }
        Files.write(keyFile(h), original);
        custody = reopen(custody);
        custody.sign(h, new byte[] {1});
    }

    @Test
    void aKeyWhoseFileWasDamagedCanStillBeDestroyed() throws Exception {
        KeyHandle h = custody.generate(KeySpec.ED25519, "damaged");
        byte[] content = Files.readAllBytes(keyFile(h));
        content[content.length - 1] ^= 0x01;
        Files.write(keyFile(h), content);
        custody = reopen(custody);
        assertThatThrownBy(() -> custody.sign(h, new byte[] {1})).isInstanceOf(CustodyException.class);
        custody.destroy(h);
        assertThat(keyFile(h)).doesNotExist();
        assertThatThrownBy(() -> custody.destroy(h)).isInstanceOf(CustodyException.class);
    }

    @Test
    void truncatedOrExtendedKeyFileIsRejected() throws Exception {
        KeyHandle h = custody.generate(KeySpec.EC_P256, "victim");
        byte[] original = Files.readAllBytes(keyFile(h));
        for (byte[] bad : List.of(
                new byte[0],
                Arrays.copyOf(original, original.length - 1),
                Arrays.copyOf(original, original.length + 1),
                Arrays.copyOf(original, 11))) {
            Files.write(keyFile(h), bad);
            custody = reopen(custody);
            assertThatThrownBy(() -> custody.sign(h, new byte[] {1})).isInstanceOf(CustodyException.class);
        }
    }

    @Test
    void keyFileRenamedToAnotherIdIsRejected() throws Exception {
        KeyHandle a = custody.generate(KeySpec.ED25519, "a");
        KeyHandle b = custody.generate(KeySpec.ED25519, "b");
        // Swap the files: each is intact but bound to the other id by its AAD.
        Path tmpFile = dir.resolve("keys").resolve("swap");
        Files.move(keyFile(a), tmpFile);
        Files.move(keyFile(b), keyFile(a));
        Files.move(tmpFile, keyFile(b));
        custody = reopen(custody);
        assertThatThrownBy(() -> custody.sign(a, new byte[] {1}))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("failed authentication");
        assertThatThrownBy(() -> custody.sign(b, new byte[] {1})).isInstanceOf(CustodyException.class);
    }

    @Test
    void keyFileFromAnotherKeystoreIsRejected() throws Exception {
        Path otherDir = tmp.resolve("other");
        KeyHandle foreign;
        try (SoftwareCustody other = SoftwareCustody.create(otherDir, MasterKey.generate(RANDOM), RANDOM)) {
            foreign = other.generate(KeySpec.ED25519, "foreign");
        }
        Files.copy(
                otherDir.resolve("keys").resolve(foreign.id() + ".key"),
                keyFile(foreign),
                StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> custody.sign(foreign, new byte[] {1}))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("failed authentication");
    }

    @Test
    void wrongMasterKeyIsRejectedWithoutDetail() throws Exception {
        custody.generate(KeySpec.ED25519, "x");
        custody.close();
        MasterKey wrong = MasterKey.generate(RANDOM);
        assertThatThrownBy(() -> SoftwareCustody.open(dir, wrong, RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessage("the master key does not open the keystore in " + dir)
                .hasNoCause()
                .satisfies(this::assertNoSecretIn);
        custody = null;
    }

    @Test
    void openingWithoutKeystoreOrOverAnExistingOneFails() throws Exception {
        assertThatThrownBy(() -> SoftwareCustody.open(tmp.resolve("nothing"), masterKey, RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("no keystore");
        assertThatThrownBy(() -> SoftwareCustody.create(dir, masterKey, RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("already exists");
        Files.write(dir.resolve("keystore"), "garbage".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> SoftwareCustody.open(dir, masterKey, RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("not a Writ keystore");
    }

    @Test
    void filesAreOwnerOnly() throws Exception {
        KeyHandle h = custody.generate(KeySpec.ED25519, "private");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys"))))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile(h))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keystore"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("master.key"))))
                .isEqualTo("rw-------");
        // No temp files are left behind by the atomic writes.
        try (Stream<Path> walk = Files.walk(dir)) {
            assertThat(walk.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }
    }

    @Test
    void destroyRemovesTheKeyFile() throws Exception {
        KeyHandle h = custody.generate(KeySpec.ED25519, "gone");
        assertThat(keyFile(h)).exists();
        assertThat(software().handles()).contains(h);
        custody.destroy(h);
        assertThat(keyFile(h)).doesNotExist();
        assertThat(software().handles()).doesNotContain(h);
    }

    @Test
    void handlesListsEveryKey() throws Exception {
        KeyHandle a = custody.generate(KeySpec.ED25519, "a");
        KeyHandle b = custody.generate(KeySpec.EC_P256, "b");
        custody = reopen(custody);
        assertThat(((SoftwareCustody) custody).handles()).containsExactlyInAnyOrder(a, b);
    }

    @Test
    void ed25519SignaturesAreDeterministicAndMatchRfc8032() throws Exception {
        KeyHandle h = custody.generate(KeySpec.ED25519, "det");
        byte[] seed = decryptIndependently(h);
        byte[] data = "rfc 8032".getBytes(StandardCharsets.UTF_8);
        Ed25519PrivateKeyParameters reference = new Ed25519PrivateKeyParameters(seed);
        org.bouncycastle.crypto.signers.Ed25519Signer s = new org.bouncycastle.crypto.signers.Ed25519Signer();
        s.init(true, reference);
        s.update(data, 0, data.length);
        assertThat(custody.sign(h, data)).isEqualTo(s.generateSignature());
    }

    @Test
    void masterKeyFileIsCreatedOnceAndValidated() throws Exception {
        Path file = tmp.resolve("master.key");
        assertThatThrownBy(() -> MasterKey.create(file, RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("already exists");
        Path bad = tmp.resolve("bad.key");
        Files.writeString(bad, "c2hvcnQ=\n");
        Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> MasterKey.load(bad))
                .isInstanceOf(CustodyException.class)
                .hasMessageNotContaining("c2hvcnQ");
        Files.writeString(bad, "not base64 at all!!\n");
        assertThatThrownBy(() -> MasterKey.load(bad))
                .isInstanceOf(CustodyException.class)
                .hasMessageNotContaining("at all");
        assertThatThrownBy(() -> MasterKey.load(tmp.resolve("missing.key")))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("not found");
        Path shared = tmp.resolve("shared.key");
        Files.copy(file, shared);
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> MasterKey.load(shared))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("accessible to other users")
                .satisfies(this::assertNoSecretIn);
        assertThat(MasterKey.location(tmp, Map.of())).isEqualTo(tmp.resolve("master.key"));
        assertThat(MasterKey.location(tmp, Map.of(MasterKey.ENV_FILE, "/elsewhere/mk")))
                .isEqualTo(Path.of("/elsewhere/mk"));
        assertThat(masterKey.toString()).doesNotContain(secrets().get(1));
        MasterKey other = MasterKey.load(file);
        other.destroy();
        assertThat(other.isDestroyed()).isTrue();
        assertThatThrownBy(() -> SoftwareCustody.open(dir, other, RANDOM)).isInstanceOf(CustodyException.class);
    }

    @Test
    void keysFromBeforeTheMasterKeyWasReloadedStillWork() throws Exception {
        KeyHandle h = custody.generate(KeySpec.EC_P256, "p");
        byte[] pk = custody.publicKey(h).getEncoded();
        masterKey.destroy(); // custody keeps only its derived wrapping key
        byte[] data = {4, 2};
        verify(KeySpec.EC_P256, custody.publicKey(h), data, custody.sign(h, data));
        custody = reopen(custody);
        assertThat(custody.publicKey(h).getEncoded()).isEqualTo(pk);
    }

    private record Snapshot(List<KeyHandle> handles, List<byte[]> publicKeys) {}

    private Snapshot twoKeys() throws Exception {
        KeyHandle ed = custody.generate(KeySpec.ED25519, "ed");
        KeyHandle ec = custody.generate(KeySpec.EC_P256, "ec");
        return new Snapshot(
                List.of(ed, ec),
                List.of(
                        custody.publicKey(ed).getEncoded(),
                        custody.publicKey(ec).getEncoded()));
    }

    private void assertKeysWork(Snapshot snap) throws Exception {
        for (int i = 0; i < snap.handles().size(); i++) {
            KeyHandle h = snap.handles().get(i);
            assertThat(custody.publicKey(h).getEncoded())
                    .isEqualTo(snap.publicKeys().get(i));
            byte[] data = {(byte) i, 42};
            verify(h.spec(), custody.publicKey(h), data, custody.sign(h, data));
        }
    }

    @Test
    void rotatingTheMasterKeyReencryptsEveryKey() throws Exception {
        Snapshot snap = twoKeys();
        List<byte[]> secrets = new ArrayList<>();
        for (KeyHandle h : snap.handles()) {
            secrets.add(decryptIndependently(h));
        }
        custody.close();
        Path nextFile = tmp.resolve("next.key");
        MasterKey next = MasterKey.create(nextFile, RANDOM);
        SoftwareCustody.rotateMasterKey(dir, MasterKey.load(tmp.resolve("master.key")), next, RANDOM);
        assertThat(dir.resolve("rotate")).doesNotExist();
        assertThatThrownBy(() -> SoftwareCustody.open(dir, MasterKey.load(tmp.resolve("master.key")), RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("does not open the keystore");
        for (KeyHandle h : snap.handles()) {
            // The old master key decrypts nothing any more; the new one yields the same secrets.
            assertThatThrownBy(() -> decryptIndependently(h)).isInstanceOf(javax.crypto.AEADBadTagException.class);
            assertThat(decryptIndependently(h, nextFile))
                    .isEqualTo(secrets.get(snap.handles().indexOf(h)));
        }
        custody = SoftwareCustody.open(dir, MasterKey.load(nextFile), RANDOM);
        assertKeysWork(snap);
    }

    @Test
    void anUncommittedRotationIsDiscardedOnOpen() throws Exception {
        Snapshot snap = twoKeys();
        custody.close();
        // A crash before the commit leaves a staging directory with partial content under another key.
        Path stagedKeys = dir.resolve("rotate/keys");
        Files.createDirectories(stagedKeys);
        Files.write(stagedKeys.resolve(snap.handles().get(0).id() + ".key"), new byte[] {1, 2, 3});
        custody = SoftwareCustody.open(dir, MasterKey.load(tmp.resolve("master.key")), RANDOM);
        assertThat(dir.resolve("rotate")).doesNotExist();
        assertKeysWork(snap);
    }

    @Test
    void aCommittedRotationIsFinishedOnOpenEvenWhenHalfDone() throws Exception {
        Snapshot snap = twoKeys();
        custody.close();
        Path nextFile = tmp.resolve("next.key");
        SoftwareCustody.rotateMasterKey(
                dir, MasterKey.load(tmp.resolve("master.key")), MasterKey.create(nextFile, RANDOM), RANDOM, false);
        assertThat(dir.resolve("rotate/COMMITTED")).exists();
        // Simulate a crash in the middle of the finishing moves: one key file already moved, the rest not.
        KeyHandle first = snap.handles().get(0);
        Files.move(
                dir.resolve("rotate/keys").resolve(first.id() + ".key"),
                keyFile(first),
                StandardCopyOption.REPLACE_EXISTING);
        custody = SoftwareCustody.open(dir, MasterKey.load(nextFile), RANDOM);
        assertThat(dir.resolve("rotate")).doesNotExist();
        assertKeysWork(snap);
    }

    @Test
    void aRotationThatMeetsADamagedKeyChangesNothing() throws Exception {
        Snapshot snap = twoKeys();
        KeyHandle damaged = custody.generate(KeySpec.ED25519, "damaged");
        byte[] content = Files.readAllBytes(keyFile(damaged));
        content[content.length - 1] ^= 0x01;
        Files.write(keyFile(damaged), content);
        custody.close();
        assertThatThrownBy(() -> SoftwareCustody.rotateMasterKey(
                        dir, MasterKey.load(tmp.resolve("master.key")), MasterKey.generate(RANDOM), RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("failed authentication")
                .satisfies(this::assertNoSecretIn);
        assertThat(dir.resolve("rotate")).doesNotExist();
        custody = SoftwareCustody.open(dir, MasterKey.load(tmp.resolve("master.key")), RANDOM);
        assertKeysWork(snap);
        // With the damaged key destroyed, the rotation goes through.
        custody.destroy(damaged);
        custody.close();
        Path nextFile = tmp.resolve("next.key");
        SoftwareCustody.rotateMasterKey(
                dir, MasterKey.load(tmp.resolve("master.key")), MasterKey.create(nextFile, RANDOM), RANDOM);
        custody = SoftwareCustody.open(dir, MasterKey.load(nextFile), RANDOM);
        assertKeysWork(snap);
    }

    @Test
    void rotationWithTheWrongCurrentKeyIsRefused() throws Exception {
        twoKeys();
        custody.close();
        assertThatThrownBy(() -> SoftwareCustody.rotateMasterKey(
                        dir, MasterKey.generate(RANDOM), MasterKey.generate(RANDOM), RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("does not open the keystore");
        assertThat(dir.resolve("rotate")).doesNotExist();
        custody = null;
    }
}
