package dev.writ.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;

class ReceiptAndCheckpointTest {
    static final String ORIGIN = "writ.example/log";
    static final Ed25519PrivateKeyParameters KEY = new Ed25519PrivateKeyParameters(new byte[32], 0);
    static final NoteVerifier VERIFIER =
            NoteVerifier.ofEd25519(ORIGIN, KEY.generatePublicKey().getEncoded());

    static String sign(String text, Ed25519PrivateKeyParameters key, String name) {
        Ed25519Signer s = new Ed25519Signer();
        s.init(true, key);
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        s.update(t, 0, t.length);
        return SignedNote.format(
                text, name, NoteVerifier.keyHash(name, key.generatePublicKey().getEncoded()), s.generateSignature());
    }

    @Test
    void checkpointParsesAndRejectsNonCanonicalText() throws Exception {
        String root = Base64.getEncoder().encodeToString(new byte[32]);
        Checkpoint cp = Checkpoint.parse(ORIGIN + "\n42\n" + root + "\next\n");
        assertThat(cp.size()).isEqualTo(42);
        assertThat(cp.extensions()).containsExactly("ext");
        assertThat(cp.text()).isEqualTo(ORIGIN + "\n42\n" + root + "\next\n");
        for (String bad : List.of(
                ORIGIN + "\n42\n" + root,
                ORIGIN + "\n042\n" + root + "\n",
                ORIGIN + "\n+42\n" + root + "\n",
                ORIGIN + "\n-1\n" + root + "\n",
                ORIGIN + "\n99999999999999999999\n" + root + "\n",
                ORIGIN + "\n42\n" + root.substring(1) + "\n",
                ORIGIN + "\n42\n" + Base64.getEncoder().encodeToString(new byte[31]) + "\n",
                "\n42\n" + root + "\n",
                ORIGIN + "\n42\n",
                ORIGIN + "\n42\n" + root + "\n\n")) {
            assertThatThrownBy(() -> Checkpoint.parse(bad))
                    .as(bad)
                    .isInstanceOf(LogVerificationException.class)
                    .extracting(e -> ((LogVerificationException) e).code())
                    .isEqualTo("checkpoint.malformed");
        }
    }

    @Test
    void receiptVerifiesAndEveryAlterationFails() throws Exception {
        NaiveTree t = MerklePropertiesTest.tree(13);
        int index = 6;
        Checkpoint cp = new Checkpoint(ORIGIN, 13, t.root(13), List.of());
        String note = sign(cp.text(), KEY, ORIGIN);
        LogReceipt r = new LogReceipt(index, t.path(index, 0, 13), note.getBytes(StandardCharsets.UTF_8));
        VerifiedLogReceipt v = r.verify(NaiveTree.entry(index), VERIFIER);
        assertThat(v.index()).isEqualTo(6);
        assertThat(v.checkpoint().checkpoint().size()).isEqualTo(13);

        // JSON round trip.
        LogReceipt back = LogReceipt.fromJson(r.toJson());
        back.verify(NaiveTree.entry(index), VERIFIER);

        assertCode(() -> r.verify(NaiveTree.entry(7), VERIFIER), "proof.inclusion.mismatch");
        LogReceipt wrongIndex = new LogReceipt(7, r.proof(), r.checkpoint());
        assertCode(() -> wrongIndex.verify(NaiveTree.entry(index), VERIFIER), "proof.inclusion.mismatch");
        List<byte[]> p = new ArrayList<>(r.proof());
        p.remove(p.size() - 1);
        assertCode(
                () -> new LogReceipt(index, p, r.checkpoint()).verify(NaiveTree.entry(index), VERIFIER),
                "proof.inclusion.malformed");
        // A checkpoint signed by another key.
        byte[] seed = new byte[32];
        seed[0] = 1;
        String forged = sign(cp.text(), new Ed25519PrivateKeyParameters(seed, 0), ORIGIN);
        assertCode(
                () -> new LogReceipt(index, r.proof(), forged.getBytes(StandardCharsets.UTF_8))
                        .verify(NaiveTree.entry(index), VERIFIER),
                "note.unverified");
        // A checkpoint whose size was changed after signing.
        String altered = note.replace("\n13\n", "\n14\n");
        assertCode(
                () -> new LogReceipt(index, r.proof(), altered.getBytes(StandardCharsets.UTF_8))
                        .verify(NaiveTree.entry(index), VERIFIER),
                "note.signature.invalid");
        // The right key signing a checkpoint for another origin.
        Checkpoint otherOrigin = new Checkpoint("other.example/log", 13, t.root(13), List.of());
        NoteVerifier otherName = NoteVerifier.ofEd25519(
                "other.example/log", KEY.generatePublicKey().getEncoded());
        String n2 = sign(otherOrigin.text(), KEY, "other.example/log");
        LogReceipt r2 = new LogReceipt(index, r.proof(), n2.getBytes(StandardCharsets.UTF_8));
        r2.verify(NaiveTree.entry(index), otherName);
        assertCode(() -> r2.verify(NaiveTree.entry(index), VERIFIER), "note.unverified");
    }

    @Test
    void malformedReceiptJsonIsRejected() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String bad : List.of(
                "{}",
                "[]",
                "{\"index\":\"1\",\"proof\":[],\"checkpoint\":\"x\"}",
                "{\"index\":-1,\"proof\":[],\"checkpoint\":\"x\"}",
                "{\"index\":1.5,\"proof\":[],\"checkpoint\":\"x\"}",
                "{\"index\":1,\"proof\":[\"%%\"],\"checkpoint\":\"x\"}",
                "{\"index\":1,\"proof\":[1],\"checkpoint\":\"x\"}")) {
            assertCode(() -> LogReceipt.fromJson(json.readTree(bad)), "receipt.malformed");
        }
    }

    interface Call {
        void run() throws Exception;
    }

    static void assertCode(Call c, String code) {
        assertThatThrownBy(c::run)
                .isInstanceOf(LogVerificationException.class)
                .extracting(e -> ((LogVerificationException) e).code())
                .isEqualTo(code);
    }
}
