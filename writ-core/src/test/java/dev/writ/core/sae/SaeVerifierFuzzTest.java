package dev.writ.core.sae;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.writ.core.revocation.InMemoryRevocationSource;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing the parser and verifier: no input crashes it (only {@link SaeVerificationException} may escape), none hangs,
 * and no mutation of a valid envelope is ever accepted.
 *
 * <p>In the default build Jazzer runs in regression mode (the stored inputs), and a seeded mutation loop runs a few
 * thousand mutations; {@code ./mvnw -pl writ-core -Pfuzz verify} fuzzes with coverage guidance for several minutes.
 */
class SaeVerifierFuzzTest {
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final TestPki PKI = new TestPki(T0);
    static final TestPki.Issued ED = PKI.agent().issue();
    static final String VALID =
            TestEnvelope.standard(PKI, ED, T0, PKI.ocspGood(ED, T0)).sign(ED.privateKey());
    // Without replay protection the genuine envelope verifies every time, so any other accepted input is a mutation.
    static final SaeVerifier VERIFIER = SaeVerifier.builder()
            .trustAnchors(List.of(PKI.root.certificate()))
            .clock(InstantSource.fixed(T0.plusSeconds(5)))
            .revocationSource(new InMemoryRevocationSource())
            .withoutReplayCheck()
            .build();

    static void check(String input) {
        try {
            VERIFIER.verify(input);
        } catch (SaeVerificationException e) {
            assertThat(e.reason()).startsWith("sae.");
            return;
        }
        if (!input.equals(VALID)) {
            throw new AssertionError("a mutated envelope was accepted: " + input);
        }
    }

    static String mutate(String s, FuzzedDataProvider data) {
        int mode = data.consumeInt(0, 2);
        if (mode == 0) {
            StringBuilder b = new StringBuilder(s);
            int edits = data.consumeInt(1, 4);
            for (int i = 0; i < edits && b.length() > 0; i++) {
                int pos = data.consumeInt(0, b.length() - 1);
                switch (data.consumeInt(0, 2)) {
                    case 0 -> b.setCharAt(pos, data.consumeChar());
                    case 1 -> b.deleteCharAt(pos);
                    default -> b.insert(pos, data.consumeChar());
                }
            }
            return b.toString();
        }
        if (mode == 1) {
            // Re-encode a mutated header or payload, keeping the signature.
            String[] p = s.split("\\.");
            int part = data.consumeInt(0, 1);
            byte[] bytes = Base64.getUrlDecoder().decode(p[part]);
            int pos = data.consumeInt(0, bytes.length - 1);
            bytes[pos] = data.consumeByte();
            p[part] = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            return String.join(".", p);
        }
        return data.consumeRemainingAsString();
    }

    @FuzzTest(maxDuration = "5m")
    void verifyNeverAcceptsAMutation(FuzzedDataProvider data) {
        check(mutate(VALID, data));
    }

    @Test
    void theGenuineEnvelopeVerifies() throws Exception {
        assertThat(VERIFIER.verify(VALID).jti()).isNotEmpty();
    }

    /** A few thousand seeded random mutations in every build (about a second). */
    @Test
    void seededMutationsAreNeverAccepted() {
        Random r = new Random(20260302);
        byte[] raw = VALID.getBytes(StandardCharsets.US_ASCII);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}\"\u00e9\u0000";
        for (int i = 0; i < 3000; i++) {
            StringBuilder b = new StringBuilder(VALID);
            int edits = 1 + r.nextInt(3);
            for (int k = 0; k < edits; k++) {
                int pos = r.nextInt(b.length());
                char c = alphabet.charAt(r.nextInt(alphabet.length()));
                switch (r.nextInt(3)) {
                    case 0 -> b.setCharAt(pos, c);
                    case 1 -> b.deleteCharAt(pos);
                    default -> b.insert(pos, c);
                }
            }
            check(b.toString());
        }
        assertThat(raw).isNotEmpty();
    }
}
