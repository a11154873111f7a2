package dev.writ.server.custody;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Known-answer tests for the in-memory signing keys, from the RFCs that define the algorithms. */
class SoftwareKeyTest {
    private static final HexFormat HEX = HexFormat.of();

    /** RFC 8032 §7.1, TEST 1–3: seed, public key, message, signature. */
    @ParameterizedTest(name = "RFC 8032 test {index}")
    @CsvSource({
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60,"
                + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a,"
                + "'',"
                + "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb,"
                + "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c,"
                + "72,"
                + "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7,"
                + "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025,"
                + "af82,"
                + "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
    })
    void ed25519MatchesRfc8032(String seed, String publicKey, String message, String signature) throws Exception {
        SoftwareKey key = SoftwareKey.of(KeySpec.ED25519, HEX.parseHex(seed));
        assertThat(SubjectPublicKeyInfo.getInstance(key.publicKey().getEncoded())
                        .getPublicKeyData()
                        .getBytes())
                .isEqualTo(HEX.parseHex(publicKey));
        assertThat(HEX.formatHex(key.sign(HEX.parseHex(message)))).isEqualTo(signature);
    }

    /** RFC 6979 §A.2.5, P-256 with SHA-256: deterministic nonces give exactly these signatures. */
    @ParameterizedTest(name = "RFC 6979 A.2.5 \"{0}\"")
    @CsvSource({
        "sample,EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716,"
                + "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
        "test,F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367,"
                + "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"
    })
    void p256MatchesRfc6979(String message, String r, String s) throws Exception {
        SoftwareKey key = SoftwareKey.of(
                KeySpec.EC_P256, HEX.parseHex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721"));
        byte[] pub = SubjectPublicKeyInfo.getInstance(key.publicKey().getEncoded())
                .getPublicKeyData()
                .getBytes();
        assertThat(HEX.formatHex(pub))
                .isEqualToIgnoringCase("04"
                        + "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
                        + "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299");
        byte[] sig = key.sign(message.getBytes(StandardCharsets.US_ASCII));
        assertThat(HEX.formatHex(sig)).isEqualToIgnoringCase(r + s);
        KeyCustodyContract.verify(KeySpec.EC_P256, key.publicKey(), message.getBytes(StandardCharsets.US_ASCII), sig);
    }

    @Test
    void invalidSecretsAreRefused() {
        assertThatThrownBy(() -> SoftwareKey.of(KeySpec.ED25519, new byte[31])).isInstanceOf(CustodyException.class);
        // Zero and the group order are not P-256 private keys.
        assertThatThrownBy(() -> SoftwareKey.of(KeySpec.EC_P256, new byte[32])).isInstanceOf(CustodyException.class);
        assertThatThrownBy(() -> SoftwareKey.of(
                        KeySpec.EC_P256,
                        HEX.parseHex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")))
                .isInstanceOf(CustodyException.class);
    }

    @Test
    void wipedKeysRefuseToSign() throws Exception {
        for (KeySpec spec : KeySpec.values()) {
            byte[] secret = new byte[32];
            secret[31] = 7;
            SoftwareKey key = SoftwareKey.of(spec, secret);
            key.sign(new byte[] {1});
            key.wipe();
            assertThatThrownBy(() -> key.sign(new byte[] {1})).isInstanceOf(CustodyException.class);
        }
    }
}
