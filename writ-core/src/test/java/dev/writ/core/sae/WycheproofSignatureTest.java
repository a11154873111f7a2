package dev.writ.core.sae;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.sec.SECNamedCurves;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.junit.jupiter.api.Test;

/**
 * Wycheproof vectors through the verifier's signature path ({@link JwsSignatures}): every {@code invalid} vector is
 * rejected, every {@code valid} one accepted. Failures are reported by {@code tcId}. {@code acceptable} vectors (none
 * in these files today) may go either way.
 */
class WycheproofSignatureTest {
    private static final HexFormat HEX = HexFormat.of();

    static JsonNode load(String name) throws Exception {
        try (InputStream in = WycheproofSignatureTest.class.getResourceAsStream("/testdata/wycheproof/" + name)) {
            return new ObjectMapper().readTree(in);
        }
    }

    interface Check {
        boolean verify(JsonNode group, byte[] msg, byte[] sig) throws Exception;
    }

    static void run(String file, Check check) throws Exception {
        JsonNode root = load(file);
        List<String> failures = new ArrayList<>();
        int count = 0;
        for (JsonNode g : root.get("testGroups")) {
            for (JsonNode t : g.get("tests")) {
                count++;
                String result = t.get("result").textValue();
                boolean ok;
                try {
                    ok = check.verify(
                            g,
                            HEX.parseHex(t.get("msg").textValue()),
                            HEX.parseHex(t.get("sig").textValue()));
                } catch (Exception e) {
                    ok = false; // a key that cannot be loaded is a rejection
                }
                if (result.equals("valid") && !ok) {
                    failures.add("tcId " + t.get("tcId") + " (valid) rejected: "
                            + t.get("comment").textValue());
                } else if (result.equals("invalid") && ok) {
                    failures.add("tcId " + t.get("tcId") + " (invalid) accepted: "
                            + t.get("comment").textValue());
                }
            }
        }
        assertThat(count).isEqualTo(root.get("numberOfTests").intValue());
        assertThat(failures).as(file).isEmpty();
    }

    @Test
    void ed25519() throws Exception {
        run(
                "ed25519_test.json",
                (g, msg, sig) -> JwsSignatures.verifyEd25519(
                        new Ed25519PublicKeyParameters(
                                HEX.parseHex(g.get("publicKey").get("pk").textValue())),
                        msg,
                        msg.length,
                        sig));
    }

    @Test
    void ecdsaP256P1363() throws Exception {
        X9ECParameters p = SECNamedCurves.getByName("secp256r1");
        ECDomainParameters domain = new ECDomainParameters(p.getCurve(), p.getG(), p.getN(), p.getH());
        run(
                "ecdsa_secp256r1_sha256_p1363_test.json",
                (g, msg, sig) -> JwsSignatures.verifyEs256(
                        new ECPublicKeyParameters(
                                p.getCurve()
                                        .decodePoint(HEX.parseHex(g.get("publicKey")
                                                .get("uncompressed")
                                                .textValue())),
                                domain),
                        msg,
                        msg.length,
                        sig));
    }
}
