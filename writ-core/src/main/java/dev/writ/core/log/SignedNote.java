package dev.writ.core.log;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * C2SP signed notes: a UTF-8 text ending in a newline, a blank line, then signature lines
 * {@code — <name> <base64(keyhash ‖ signature)>}.
 *
 * <p>{@link #open} is strict: invalid UTF-8, control characters other than newline, a missing or empty signature
 * block, a malformed signature line, or more than 100 signatures make the note malformed. Signatures by unknown keys
 * are ignored (reported as unverified); a signature by a known key that does not verify rejects the whole note; a note
 * with no verified signature is rejected.
 */
public final class SignedNote {
    private static final String SIG_PREFIX = "\u2014 ";
    private static final int MAX_SIGNATURES = 100;

    private SignedNote() {}

    /** A signature line: key name, key hash and the base64 of {@code keyhash ‖ signature}. */
    public record Signature(String name, int keyHash, String base64) {}

    /** A note whose text is authenticated by at least one known key. Only {@link SignedNote#open} creates one. */
    public static final class Verified {
        private final String text;
        private final List<Signature> verified;
        private final List<Signature> unverified;

        Verified(String text, List<Signature> verified, List<Signature> unverified) {
            this.text = text;
            this.verified = List.copyOf(verified);
            this.unverified = List.copyOf(unverified);
        }

        /** The note text, ending in a newline. */
        public String text() {
            return text;
        }

        /** Signatures by known keys, all valid. */
        public List<Signature> verifiedSignatures() {
            return verified;
        }

        /** Signatures by keys the caller did not know (not checked). */
        public List<Signature> unverifiedSignatures() {
            return unverified;
        }
    }

    /** Whether {@code name} is a valid key name: non-empty, no whitespace, no {@code +}. */
    public static boolean isValidName(String name) {
        if (name == null || name.isEmpty() || name.contains("+")) {
            return false;
        }
        return name.codePoints().noneMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c));
    }

    /**
     * Parses and verifies a signed note against the {@code known} verifier keys.
     *
     * @throws LogVerificationException {@code note.malformed}, {@code note.key.ambiguous},
     *     {@code note.signature.invalid} or {@code note.unverified}
     */
    public static Verified open(byte[] msg, List<NoteVerifier> known) throws LogVerificationException {
        String s;
        try {
            s = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(msg))
                    .toString();
        } catch (CharacterCodingException e) {
            throw malformed();
        }
        // Control characters could hide text from a human reader or split lines differently in another parser.
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\n' || c == 0x7f) {
                throw malformed();
            }
        }
        int split = s.lastIndexOf("\n\n");
        if (split < 0) {
            throw malformed();
        }
        String text = s.substring(0, split + 1);
        String sigs = s.substring(split + 2);
        if (sigs.isEmpty() || !sigs.endsWith("\n")) {
            throw malformed();
        }
        byte[] textBytes = text.getBytes(StandardCharsets.UTF_8);
        List<Signature> verified = new ArrayList<>();
        List<Signature> unverified = new ArrayList<>();
        Set<String> seenKnown = new HashSet<>();
        Set<String> seenUnknown = new HashSet<>();
        int count = 0;
        for (String line : sigs.substring(0, sigs.length() - 1).split("\n", -1)) {
            if (!line.startsWith(SIG_PREFIX)) {
                throw malformed();
            }
            String rest = line.substring(SIG_PREFIX.length());
            int sp = rest.indexOf(' ');
            if (sp < 0) {
                throw malformed();
            }
            String name = rest.substring(0, sp);
            String b64 = rest.substring(sp + 1);
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(b64);
            } catch (IllegalArgumentException e) {
                throw malformed();
            }
            if (!isValidName(name) || b64.isEmpty() || raw.length < 5) {
                throw malformed();
            }
            // Bound the work an attacker can make us do.
            if (++count > MAX_SIGNATURES) {
                throw malformed();
            }
            int hash = ((raw[0] & 0xff) << 24) | ((raw[1] & 0xff) << 16) | ((raw[2] & 0xff) << 8) | (raw[3] & 0xff);
            Signature sig = new Signature(name, hash, b64);
            List<NoteVerifier> matches = known.stream()
                    .filter(v -> v.name().equals(name) && v.keyHash() == hash)
                    .toList();
            if (matches.isEmpty()) {
                // Unknown keys are ignored (witness cosignatures, rotated keys), but never counted.
                if (seenUnknown.add(line)) {
                    unverified.add(sig);
                }
                continue;
            }
            // Two configured keys with one name and hash: refuse to guess which one is meant.
            if (matches.stream().map(NoteVerifier::keyString).distinct().count() > 1) {
                throw new LogVerificationException(
                        "note.key.ambiguous", "ambiguous key " + name + "+" + NoteVerifier.hex(hash));
            }
            if (!seenKnown.add(name + "+" + hash)) {
                continue;
            }
            byte[] sigBytes = java.util.Arrays.copyOfRange(raw, 4, raw.length);
            // A known key that signed badly is an attack or corruption: reject the whole note.
            if (!matches.get(0).verify(textBytes, sigBytes)) {
                throw new LogVerificationException(
                        "note.signature.invalid", "invalid signature for key " + name + "+" + NoteVerifier.hex(hash));
            }
            verified.add(sig);
        }
        if (verified.isEmpty()) {
            throw new LogVerificationException("note.unverified", "note has no verifiable signatures");
        }
        return new Verified(text, verified, unverified);
    }

    /**
     * Formats a signed note with one Ed25519 signature line.
     *
     * @param text the note text; must be non-empty and end in a newline
     * @param signature the 64-byte signature of {@code text}'s UTF-8 bytes
     */
    public static String format(String text, String keyName, int keyHash, byte[] signature) {
        checkText(text);
        if (!isValidName(keyName) || signature == null || signature.length != 64) {
            throw new IllegalArgumentException("invalid signature line");
        }
        byte[] raw = new byte[4 + signature.length];
        raw[0] = (byte) (keyHash >>> 24);
        raw[1] = (byte) (keyHash >>> 16);
        raw[2] = (byte) (keyHash >>> 8);
        raw[3] = (byte) keyHash;
        System.arraycopy(signature, 0, raw, 4, signature.length);
        return text + "\n" + SIG_PREFIX + keyName + " " + Base64.getEncoder().encodeToString(raw) + "\n";
    }

    /** Rejects note texts that {@link #open} would not accept. */
    static void checkText(String text) {
        if (text == null || text.isEmpty() || !text.endsWith("\n") || text.contains("\n\n")) {
            throw new IllegalArgumentException("malformed note text");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\n' || c == 0x7f) {
                throw new IllegalArgumentException("malformed note text");
            }
        }
    }

    private static LogVerificationException malformed() {
        return new LogVerificationException("note.malformed", "malformed note");
    }
}
