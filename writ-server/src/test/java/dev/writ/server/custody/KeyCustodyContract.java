package dev.writ.server.custody;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link KeyCustody} must have, checked against independent verifiers (JCA for P-256 after
 * converting raw r‖s to DER, Bouncy Castle's Ed25519Signer for Ed25519).
 */
abstract class KeyCustodyContract {

    /** A fresh, empty custody. Called once per test. */
    protected abstract KeyCustody openFresh() throws Exception;

    /** Closes {@code custody} and opens the same store again. */
    protected abstract KeyCustody reopen(KeyCustody custody) throws Exception;

    /** The key kinds this custody supports. */
    protected abstract List<KeySpec> supportedSpecs();

    /** Secrets (PINs, passphrases) that must never appear in an exception message. */
    protected List<String> secrets() {
        return List.of();
    }

    protected KeyCustody custody;

    @BeforeEach
    void openCustody() throws Exception {
        custody = openFresh();
    }

    @AfterEach
    void closeCustody() throws Exception {
        if (custody != null) {
            custody.close();
        }
    }

    static void verify(KeySpec spec, PublicKey publicKey, byte[] data, byte[] signature) throws Exception {
        assertThat(signature).hasSize(64);
        switch (spec) {
            case ED25519 -> {
                byte[] raw = SubjectPublicKeyInfo.getInstance(publicKey.getEncoded())
                        .getPublicKeyData()
                        .getBytes();
                Ed25519Signer v = new Ed25519Signer();
                v.init(false, new Ed25519PublicKeyParameters(raw, 0));
                v.update(data, 0, data.length);
                assertThat(v.verifySignature(signature))
                        .as("Ed25519 signature verifies")
                        .isTrue();
            }
            case EC_P256 -> {
                assertThat(publicKey).isInstanceOf(ECPublicKey.class);
                assertThat(((ECPublicKey) publicKey)
                                .getParams()
                                .getCurve()
                                .getField()
                                .getFieldSize())
                        .isEqualTo(256);
                Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
                v.initVerify(publicKey);
                v.update(data);
                assertThat(v.verify(rawToDer(signature)))
                        .as("P-256 signature verifies")
                        .isTrue();
            }
        }
    }

    static boolean verifies(KeySpec spec, PublicKey publicKey, byte[] data, byte[] signature) {
        try {
            verify(spec, publicKey, data, signature);
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    static byte[] rawToDer(byte[] raw) throws Exception {
        BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(raw, 0, 32));
        BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(raw, 32, 64));
        return new DERSequence(new ASN1Integer[] {new ASN1Integer(r), new ASN1Integer(s)}).getEncoded();
    }

    protected void assertNoSecretIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            for (String s : secrets()) {
                assertThat(m).as("exception message").doesNotContain(s);
            }
        }
    }

    @Test
    void generatesSignsAndVerifiesEverySupportedSpec() throws Exception {
        byte[] data = "an action to authorize".getBytes(StandardCharsets.UTF_8);
        for (KeySpec spec : supportedSpecs()) {
            KeyHandle h = custody.generate(spec, "agent " + spec);
            assertThat(h.spec()).isEqualTo(spec);
            PublicKey pk = custody.publicKey(h);
            byte[] sig = custody.sign(h, data);
            verify(spec, pk, data, sig);
            // The signature binds the message: a different message does not verify.
            assertThat(verifies(spec, pk, "another action".getBytes(StandardCharsets.UTF_8), sig))
                    .isFalse();
        }
    }

    @Test
    void defaultSpecIsSupported() throws Exception {
        assertThat(supportedSpecs()).contains(custody.defaultSpec());
        KeyHandle h = custody.generate(custody.defaultSpec(), "default");
        byte[] data = {1, 2, 3};
        verify(custody.defaultSpec(), custody.publicKey(h), data, custody.sign(h, data));
    }

    @Test
    void signsEmptyMessage() throws Exception {
        for (KeySpec spec : supportedSpecs()) {
            KeyHandle h = custody.generate(spec, "empty");
            verify(spec, custody.publicKey(h), new byte[0], custody.sign(h, new byte[0]));
        }
    }

    @Test
    void distinctKeysHaveDistinctPublicKeysAndSignatures() throws Exception {
        byte[] data = "same message".getBytes(StandardCharsets.UTF_8);
        for (KeySpec spec : supportedSpecs()) {
            KeyHandle a = custody.generate(spec, "a");
            KeyHandle b = custody.generate(spec, "b");
            assertThat(a.id()).isNotEqualTo(b.id());
            assertThat(custody.publicKey(a).getEncoded())
                    .isNotEqualTo(custody.publicKey(b).getEncoded());
            byte[] sa = custody.sign(a, data);
            byte[] sb = custody.sign(b, data);
            assertThat(sa).isNotEqualTo(sb);
            // Each signature verifies under its own key only.
            assertThat(verifies(spec, custody.publicKey(a), data, sb)).isFalse();
            assertThat(verifies(spec, custody.publicKey(b), data, sa)).isFalse();
        }
    }

    @Test
    void destroyedKeyCannotSign() throws Exception {
        for (KeySpec spec : supportedSpecs()) {
            KeyHandle h = custody.generate(spec, "doomed");
            custody.sign(h, new byte[] {1});
            custody.destroy(h);
            assertThatThrownBy(() -> custody.sign(h, new byte[] {1})).isInstanceOf(CustodyException.class);
            assertThatThrownBy(() -> custody.publicKey(h)).isInstanceOf(CustodyException.class);
            assertThatThrownBy(() -> custody.destroy(h)).isInstanceOf(CustodyException.class);
            // Destroyed for good: not back after a reopen either.
            custody = reopen(custody);
            assertThatThrownBy(() -> custody.sign(h, new byte[] {1})).isInstanceOf(CustodyException.class);
        }
    }

    @Test
    void destroyLeavesOtherKeysAlone() throws Exception {
        KeySpec spec = custody.defaultSpec();
        KeyHandle keep = custody.generate(spec, "keep");
        KeyHandle drop = custody.generate(spec, "drop");
        custody.destroy(drop);
        byte[] data = {9};
        verify(spec, custody.publicKey(keep), data, custody.sign(keep, data));
    }

    @Test
    void keysSurviveCloseAndReopen() throws Exception {
        List<KeyHandle> handles = new ArrayList<>();
        List<byte[]> publicKeys = new ArrayList<>();
        for (KeySpec spec : supportedSpecs()) {
            KeyHandle h = custody.generate(spec, "persistent");
            handles.add(h);
            publicKeys.add(custody.publicKey(h).getEncoded());
        }
        custody = reopen(custody);
        byte[] data = "after restart".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < handles.size(); i++) {
            KeyHandle h = handles.get(i);
            assertThat(custody.publicKey(h).getEncoded()).isEqualTo(publicKeys.get(i));
            verify(h.spec(), custody.publicKey(h), data, custody.sign(h, data));
        }
    }

    @Test
    void closedCustodyRefusesWork() throws Exception {
        KeyHandle h = custody.generate(custody.defaultSpec(), "x");
        custody.close();
        assertThatThrownBy(() -> custody.sign(h, new byte[] {1})).isInstanceOf(CustodyException.class);
        assertThatThrownBy(() -> custody.generate(custody.defaultSpec(), "y")).isInstanceOf(CustodyException.class);
        custody.close(); // idempotent
        custody = null;
    }

    @Test
    void concurrentSigningFromSeveralThreads() throws Exception {
        List<KeyHandle> handles = new ArrayList<>();
        for (KeySpec spec : supportedSpecs()) {
            handles.add(custody.generate(spec, "busy-1"));
            handles.add(custody.generate(spec, "busy-2"));
        }
        int threads = 6;
        int perThread = 40;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Callable<Integer> job = () -> {
                    // Generation runs alongside the other threads' signing.
                    KeyHandle own = custody.generate(
                            supportedSpecs().get(thread % supportedSpecs().size()), "own");
                    byte[] ownData = {(byte) thread};
                    verify(own.spec(), custody.publicKey(own), ownData, custody.sign(own, ownData));
                    int ok = 0;
                    for (int i = 0; i < perThread; i++) {
                        KeyHandle h = handles.get((thread + i) % handles.size());
                        byte[] data = ("t" + thread + "-" + i).getBytes(StandardCharsets.UTF_8);
                        byte[] sig = custody.sign(h, data);
                        verify(h.spec(), custody.publicKey(h), data, sig);
                        ok++;
                    }
                    return ok;
                };
                results.add(pool.submit(job));
            }
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get();
            }
            assertThat(total).isEqualTo(threads * perThread);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void unknownHandleIsRejected() throws Exception {
        for (KeySpec spec : supportedSpecs()) {
            for (String id : List.of("00000000000000000000000000000000", "../../etc/passwd", "", "nope")) {
                KeyHandle h = new KeyHandle(id, spec);
                assertThatThrownBy(() -> custody.sign(h, new byte[] {1}))
                        .isInstanceOf(CustodyException.class)
                        .satisfies(this::assertNoSecretIn);
                assertThatThrownBy(() -> custody.publicKey(h)).isInstanceOf(CustodyException.class);
                assertThatThrownBy(() -> custody.destroy(h)).isInstanceOf(CustodyException.class);
            }
        }
    }

    @Test
    void handleOfTheWrongSpecIsRejected() throws Exception {
        for (KeySpec spec : supportedSpecs()) {
            KeyHandle real = custody.generate(spec, "typed");
            for (KeySpec other : KeySpec.values()) {
                if (other == spec) {
                    continue;
                }
                KeyHandle forged = new KeyHandle(real.id(), other);
                assertThatThrownBy(() -> custody.sign(forged, new byte[] {1}))
                        .isInstanceOf(CustodyException.class)
                        .satisfies(this::assertNoSecretIn);
                assertThatThrownBy(() -> custody.publicKey(forged)).isInstanceOf(CustodyException.class);
                assertThatThrownBy(() -> custody.destroy(forged)).isInstanceOf(CustodyException.class);
            }
            // The real handle still works after the failed attempts.
            custody.sign(real, new byte[] {1});
        }
    }

    @Test
    void handleIdsAreUnique() throws Exception {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            assertThat(ids.add(custody.generate(custody.defaultSpec(), "k" + i).id()))
                    .isTrue();
        }
    }
}
