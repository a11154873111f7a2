package dev.writ.server.custody;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.interfaces.ECPrivateKey;
import java.util.List;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.junit.jupiter.api.Test;

class Pkcs11CustodyTest extends KeyCustodyContract {
    private static final SecureRandom RANDOM = new SecureRandom();

    private SoftHsm.Token token;

    @Override
    protected KeyCustody openFresh() throws Exception {
        token = SoftHsm.token();
        return Pkcs11Custody.open(token.library(), token.slot(), SoftHsm.PIN.toCharArray(), RANDOM);
    }

    @Override
    protected KeyCustody reopen(KeyCustody c) throws Exception {
        c.close();
        return Pkcs11Custody.open(token.library(), token.slot(), SoftHsm.PIN.toCharArray(), RANDOM);
    }

    @Override
    protected List<KeySpec> supportedSpecs() {
        return List.of(KeySpec.EC_P256);
    }

    @Override
    protected List<String> secrets() {
        return List.of(SoftHsm.PIN, SoftHsm.SO_PIN, "wrong-pin-3391");
    }

    @Test
    void ed25519IsRefusedWithAClearMessage() {
        assertThat(custody.defaultSpec()).isEqualTo(KeySpec.EC_P256);
        assertThatThrownBy(() -> custody.generate(KeySpec.ED25519, "root"))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("no EdDSA")
                .hasMessageContaining("EC_P256");
    }

    @Test
    void wrongPinIsRejectedWithoutRevealingIt() throws Exception {
        // Login state belongs to the process: log out first, or the token would not ask for the PIN again.
        custody.close();
        custody = null;
        assertThatThrownBy(
                        () -> Pkcs11Custody.open(token.library(), token.slot(), "wrong-pin-3391".toCharArray(), RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("CKR_PIN_INCORRECT")
                .satisfies(this::assertNoSecretIn);
        // The right PIN still works afterwards.
        custody = Pkcs11Custody.open(token.library(), token.slot(), SoftHsm.PIN.toCharArray(), RANDOM);
        custody.generate(KeySpec.EC_P256, "after wrong pin");
    }

    @Test
    void missingLibraryAndUnknownSlotAreClearErrors() throws Exception {
        assertThatThrownBy(() -> Pkcs11Custody.open(
                        Path.of("/nonexistent/libpkcs11.so"), token.slot(), SoftHsm.PIN.toCharArray(), RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("PKCS#11 library not found")
                .satisfies(this::assertNoSecretIn);
        assertThatThrownBy(() -> Pkcs11Custody.open(token.library(), 4242L, SoftHsm.PIN.toCharArray(), RANDOM))
                .isInstanceOf(CustodyException.class)
                .hasMessageContaining("slot 4242")
                .satisfies(this::assertNoSecretIn);
    }

    @Test
    void privateKeysAreSensitiveAndNotExtractable() throws Exception {
        KeyHandle h = custody.generate(KeySpec.EC_P256, "locked");
        // Look at the token through a second, independent provider instance (the session is already logged in).
        Provider p = Security.getProvider("SunPKCS11")
                .configure("--name = WritTestProbe\nlibrary = " + token.library() + "\nslot = " + token.slot() + "\n");
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, null);
        assertThat(ks.isKeyEntry(h.id())).isTrue();
        Key key = ks.getKey(h.id(), null);
        assertThat(key.getAlgorithm()).isEqualTo("EC");
        // A sensitive, non-extractable key has no encoding and does not expose its scalar.
        assertThat(key.getEncoded()).isNull();
        assertThat(key).isNotInstanceOf(ECPrivateKey.class);
        assertThat(key.toString()).contains("token object").contains("sensitive");
    }

    @Test
    void derToRawRejectsMalformedSignatures() throws Exception {
        byte[] raw = Pkcs11Custody.derToRaw(new DERSequence(
                        new ASN1Integer[] {new ASN1Integer(1), new ASN1Integer(java.math.BigInteger.TWO.pow(255))})
                .getEncoded());
        assertThat(raw).hasSize(64);
        assertThat(raw[31]).isEqualTo((byte) 1);
        assertThat(raw[32]).isEqualTo((byte) 0x80);
        for (byte[] bad : List.of(
                new byte[0],
                new byte[] {0x30, 0x00},
                new DERSequence(new ASN1Integer[] {new ASN1Integer(1)}).getEncoded(),
                new DERSequence(new ASN1Integer[] {new ASN1Integer(0), new ASN1Integer(1)}).getEncoded(),
                new DERSequence(new ASN1Integer[] {new ASN1Integer(-1), new ASN1Integer(1)}).getEncoded(),
                new DERSequence(new ASN1Integer[] {
                            new ASN1Integer(java.math.BigInteger.TWO.pow(256)), new ASN1Integer(1)
                        })
                        .getEncoded())) {
            assertThatThrownBy(() -> Pkcs11Custody.derToRaw(bad)).isInstanceOf(CustodyException.class);
        }
    }
}
