package dev.writ.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Signed-note vectors from the Go {@code golang.org/x/mod/sumdb/note} tests and the C2SP spec. */
class SignedNoteTest {
    static final String PETER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    static final String ENOCH_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    static final String TEXT = "If you think cryptography is the answer to your problem,\n"
            + "then you don't know what your problem is.\n";
    static final String PETER_SIG =
            "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    static final String ENOCH_SIG =
            "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesVerifierKeyAndRoundTrips() throws Exception {
        NoteVerifier v = NoteVerifier.parse(PETER_KEY);
        assertThat(v.name()).isEqualTo("PeterNeumann");
        assertThat(v.keyHash()).isEqualTo(0xc74f20a3);
        assertThat(v.keyString()).isEqualTo(PETER_KEY);
        assertThat(NoteVerifier.ofEd25519("PeterNeumann", v.publicKey()).keyString())
                .isEqualTo(PETER_KEY);
    }

    @Test
    void rejectsEveryManglingOfTheKey() {
        byte[] k = b(PETER_KEY);
        for (int i = 0; i <= k.length; i++) {
            for (int j = i + 1; j <= k.length; j++) {
                if (i != 0 || j != k.length) {
                    String sub = new String(k, i, j - i, StandardCharsets.UTF_8);
                    assertThatThrownBy(() -> NoteVerifier.parse(sub))
                            .as(sub)
                            .isInstanceOf(LogVerificationException.class);
                }
            }
        }
        for (int i = 0; i < k.length; i++) {
            k[i]++;
            String bad = new String(k, StandardCharsets.UTF_8);
            assertThatThrownBy(() -> NoteVerifier.parse(bad)).as(bad).isInstanceOf(LogVerificationException.class);
            k[i]--;
        }
        // wrong key length and unknown algorithm, each with an adjusted key hash
        assertThatThrownBy(() -> NoteVerifier.parse(
                        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="))
                .isInstanceOf(LogVerificationException.class);
        assertThatThrownBy(
                        () -> NoteVerifier.parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
                .isInstanceOf(LogVerificationException.class);
    }

    @Test
    void opensNoteSignedByKnownKeyAndIgnoresUnknownOnes() throws Exception {
        NoteVerifier peter = NoteVerifier.parse(PETER_KEY);
        NoteVerifier enoch = NoteVerifier.parse(ENOCH_KEY);
        SignedNote.Verified n = SignedNote.open(b(TEXT + "\n" + PETER_SIG + ENOCH_SIG), List.of(peter));
        assertThat(n.text()).isEqualTo(TEXT);
        assertThat(n.verifiedSignatures())
                .extracting(SignedNote.Signature::name)
                .containsExactly("PeterNeumann");
        assertThat(n.unverifiedSignatures())
                .extracting(SignedNote.Signature::name)
                .containsExactly("EnochRoot");

        n = SignedNote.open(b(TEXT + "\n" + PETER_SIG + ENOCH_SIG), List.of(peter, enoch));
        assertThat(n.verifiedSignatures()).hasSize(2);
        assertThat(n.unverifiedSignatures()).isEmpty();
    }

    @Test
    void signsLikeTheReference() throws Exception {
        // The expected note of the Go reference; Ed25519 is deterministic, so re-verifying the signature line suffices.
        String expected = TEXT + "\n" + PETER_SIG;
        byte[] sig = java.util.Arrays.copyOfRange(
                java.util.Base64.getDecoder().decode(PETER_SIG.substring(15, PETER_SIG.length() - 1)), 4, 68);
        assertThat(SignedNote.format(TEXT, "PeterNeumann", 0xc74f20a3, sig)).isEqualTo(expected);
    }

    @Test
    void rejectsNotesWithoutKnownSignature() {
        assertThatThrownBy(() -> SignedNote.open(b(TEXT + "\n" + PETER_SIG + ENOCH_SIG), List.of()))
                .isInstanceOf(LogVerificationException.class)
                .extracting(e -> ((LogVerificationException) e).code())
                .isEqualTo("note.unverified");
    }

    @Test
    void rejectsBadSignatureFromKnownKey() throws Exception {
        NoteVerifier peter = NoteVerifier.parse(PETER_KEY);
        String bad = TEXT + "\n" + PETER_SIG.substring(0, 60) + "ABCD" + PETER_SIG.substring(60);
        assertThatThrownBy(() -> SignedNote.open(b(bad), List.of(peter)))
                .extracting(e -> ((LogVerificationException) e).code())
                .isEqualTo("note.signature.invalid");
        // Same note, altered text.
        String altered = TEXT.replace("answer", "Answer") + "\n" + PETER_SIG;
        assertThatThrownBy(() -> SignedNote.open(b(altered), List.of(peter)))
                .extracting(e -> ((LogVerificationException) e).code())
                .isEqualTo("note.signature.invalid");
    }

    @Test
    void rejectsTooManySignaturesAndAmbiguousKeys() throws Exception {
        NoteVerifier peter = NoteVerifier.parse(PETER_KEY);
        assertThatThrownBy(() -> SignedNote.open(b(TEXT + "\n" + PETER_SIG.repeat(101)), List.of(peter)))
                .extracting(e -> ((LogVerificationException) e).code())
                .isEqualTo("note.malformed");
        // Duplicates of a verified signature are dropped, not counted twice.
        SignedNote.Verified n =
                SignedNote.open(b(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG), List.of(peter));
        assertThat(n.verifiedSignatures()).hasSize(1);
        assertThat(n.unverifiedSignatures()).hasSize(1);
    }

    @Test
    void rejectsMalformedNotes() throws Exception {
        NoteVerifier peter = NoteVerifier.parse(PETER_KEY);
        List<byte[]> bad = List.of(
                b(TEXT),
                b(TEXT + "\n"),
                b(TEXT + "\n" + PETER_SIG.substring(0, PETER_SIG.length() - 1)),
                b("\u0001" + TEXT + "\n" + PETER_SIG),
                concat(new byte[] {(byte) 0xff}, b(TEXT + "\n" + PETER_SIG)),
                b(
                        TEXT + "\n"
                                + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="),
                b(TEXT + "\n" + PETER_SIG + "Unexpected line.\n"),
                b(TEXT.replace("\n", "\r\n") + "\n" + PETER_SIG),
                b(
                        TEXT + "\n"
                                + "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
                b(TEXT + "\n" + "\u2014 PeterNeumann x08g!\n"));
        for (byte[] msg : bad) {
            assertThatThrownBy(() -> SignedNote.open(msg, List.of(peter)))
                    .as(new String(msg, StandardCharsets.UTF_8))
                    .isInstanceOf(LogVerificationException.class)
                    .extracting(e -> ((LogVerificationException) e).code())
                    .isEqualTo("note.malformed");
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
