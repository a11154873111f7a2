package dev.writ.core.cert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.junit.jupiter.api.Test;

class ModelInfoTest {
    static final ModelInfo MODEL = TestCa.model();

    @Test
    void roundTripsWithAndWithoutSbom() throws Exception {
        assertThat(ModelInfo.fromDer(MODEL.toDer())).isEqualTo(MODEL);
        ModelInfo bare = new ModelInfo(MODEL.sha256(), "m", "1", Optional.empty());
        assertThat(ModelInfo.fromDer(bare.toDer())).isEqualTo(bare);
        assertThat(MODEL.digestString())
                .isEqualTo("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    }

    @Test
    void encodingMatchesTheModule() {
        // SEQUENCE { OCTET STRING (32), UTF8String, UTF8String, [0] IMPLICIT IA5String }
        String hex = HexFormat.of().formatHex(MODEL.toDer());
        assertThat(hex).startsWith("30").contains("0420" + "9f86d081").contains("0c0b" + "6c6c616d612d6775617264");
        assertThat(hex).contains("8034"); // [0] IMPLICIT, primitive, 52 characters
    }

    @Test
    void copiesTheDigest() {
        byte[] d = MODEL.sha256();
        d[0] ^= 1;
        assertThat(MODEL.sha256()).isNotEqualTo(d);
    }

    @Test
    void constructorChecksRanges() {
        assertThatThrownBy(() -> new ModelInfo(new byte[31], "m", "1", Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ModelInfo(new byte[32], "", "1", Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ModelInfo(new byte[32], "m\n", "1", Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ModelInfo(new byte[32], "m", "1", Optional.of("has space")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static byte[] der(ASN1Encodable... fields) throws Exception {
        return new DERSequence(fields).getEncoded("DER");
    }

    @Test
    void rejectsEverythingButCanonicalDer() throws Exception {
        byte[] good = MODEL.toDer();
        DEROctetString digest = new DEROctetString(MODEL.sha256());
        List<byte[]> bad = List.of(
                new byte[0],
                Arrays.copyOf(good, good.length + 1),
                Arrays.copyOf(good, good.length - 1),
                der(new DEROctetString(new byte[31]), new DERUTF8String("m"), new DERUTF8String("1")),
                der(digest, new DERUTF8String("m")),
                der(digest, new DERUTF8String(""), new DERUTF8String("1")),
                der(digest, new DERIA5String("m"), new DERUTF8String("1")),
                der(
                        digest,
                        new DERUTF8String("m"),
                        new DERUTF8String("1"),
                        new DERTaggedObject(false, 1, new DERIA5String("x"))),
                der(
                        digest,
                        new DERUTF8String("m"),
                        new DERUTF8String("1"),
                        new DERTaggedObject(true, 0, new DERIA5String("x"))),
                der(
                        digest,
                        new DERUTF8String("m"),
                        new DERUTF8String("1"),
                        new DERTaggedObject(false, 0, new DERIA5String("x")),
                        new DERUTF8String("extra")),
                HexFormat.of().parseHex("3080" + HexFormat.of().formatHex(good).substring(4) + "0000"));
        for (byte[] b : bad) {
            assertThatThrownBy(() -> ModelInfo.fromDer(b))
                    .as(HexFormat.of().formatHex(b))
                    .isInstanceOf(CertificateProfileException.class)
                    .extracting(e -> ((CertificateProfileException) e).code())
                    .isEqualTo("cert.profile.model");
        }
    }

    @Property(tries = 1000)
    void decoderOnlyEverThrowsItsCheckedException(
            @ForAll @Size(min = 1, max = 4) List<Integer> positions, @ForAll byte value) {
        byte[] der = MODEL.toDer();
        for (int p : positions) {
            der[Math.floorMod(p, der.length)] ^= value == 0 ? 1 : value;
        }
        try {
            assertThat(ModelInfo.fromDer(der).toDer()).isEqualTo(der);
        } catch (CertificateProfileException expected) {
            assertThat(expected.code()).isEqualTo("cert.profile.model");
        }
    }
}
