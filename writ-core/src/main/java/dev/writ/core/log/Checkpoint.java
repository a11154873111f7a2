package dev.writ.core.log;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * A C2SP tlog-checkpoint note text: origin, tree size, base64 root hash, then optional non-empty extension lines.
 *
 * <p>This is the unsigned body. {@link #verify} opens a signed checkpoint note and returns a {@link Verified}
 * checkpoint only when a known key signed it.
 *
 * @param origin the log's identity, non-empty, no {@code +} or whitespace
 * @param size the number of leaves
 * @param rootHash the 32-byte RFC 6962 root hash
 * @param extensions extension lines (usually none)
 */
public record Checkpoint(String origin, long size, byte[] rootHash, List<String> extensions) {

    public Checkpoint {
        if (origin == null || origin.isEmpty() || origin.contains("\n")) {
            throw new IllegalArgumentException("origin must be a non-empty line");
        }
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative");
        }
        if (rootHash == null || rootHash.length != Merkle.HASH_SIZE) {
            throw new IllegalArgumentException("root hash must be 32 bytes");
        }
        rootHash = rootHash.clone();
        extensions = List.copyOf(extensions == null ? List.of() : extensions);
        for (String e : extensions) {
            if (e.isEmpty() || e.contains("\n")) {
                throw new IllegalArgumentException("extension lines must be non-empty single lines");
            }
        }
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    /** The note text, one line each, ending in a newline. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append(origin).append('\n').append(size).append('\n');
        sb.append(Base64.getEncoder().encodeToString(rootHash)).append('\n');
        for (String e : extensions) {
            sb.append(e).append('\n');
        }
        return sb.toString();
    }

    /**
     * Parses a checkpoint note text (without signatures).
     *
     * @throws LogVerificationException {@code checkpoint.malformed} when a line is missing or not canonical
     */
    public static Checkpoint parse(String text) throws LogVerificationException {
        if (text == null || !text.endsWith("\n")) {
            throw malformed("checkpoint text must end in a newline");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (lines.length < 3) {
            throw malformed("checkpoint has fewer than three lines");
        }
        String origin = lines[0];
        if (origin.isEmpty()) {
            throw malformed("checkpoint origin is empty");
        }
        String sizeLine = lines[1];
        // Exactly one spelling per size: ASCII digits, no sign, no leading zeros.
        if (sizeLine.isEmpty()
                || sizeLine.length() > 19
                || !sizeLine.chars().allMatch(c -> c >= '0' && c <= '9')
                || (sizeLine.length() > 1 && sizeLine.charAt(0) == '0')) {
            throw malformed("checkpoint size is not a canonical decimal number");
        }
        long size;
        try {
            size = Long.parseLong(sizeLine);
        } catch (NumberFormatException e) {
            throw malformed("checkpoint size is out of range");
        }
        byte[] root;
        try {
            root = Base64.getDecoder().decode(lines[2]);
        } catch (IllegalArgumentException e) {
            throw malformed("checkpoint root hash is not base64");
        }
        if (root.length != Merkle.HASH_SIZE
                || !Base64.getEncoder().encodeToString(root).equals(lines[2])) {
            throw malformed("checkpoint root hash is not a canonical 32-byte hash");
        }
        List<String> ext = List.of(lines).subList(3, lines.length);
        for (String e : ext) {
            if (e.isEmpty()) {
                throw malformed("checkpoint extension line is empty");
            }
        }
        return new Checkpoint(origin, size, root, ext);
    }

    /**
     * Opens a signed checkpoint note: the signature of {@code verifier} must be valid and the origin must equal the
     * key's name (so a key for one log cannot vouch for another).
     *
     * @throws LogVerificationException a {@code note.*} code from {@link SignedNote#open}, {@code checkpoint.malformed}
     *     or {@code checkpoint.origin.mismatch}
     */
    public static Verified verify(byte[] signedNote, NoteVerifier verifier) throws LogVerificationException {
        SignedNote.Verified note = SignedNote.open(signedNote, List.of(verifier));
        Checkpoint cp = parse(note.text());
        // The key names the log it speaks for; a checkpoint for another origin is not this log's.
        if (!cp.origin().equals(verifier.name())) {
            throw new LogVerificationException(
                    "checkpoint.origin.mismatch", "checkpoint origin does not match the log key name");
        }
        return new Verified(cp, signedNote);
    }

    /** A checkpoint whose signature by the log key has been checked. Only {@link #verify} creates one. */
    public static final class Verified {
        private final Checkpoint checkpoint;
        private final byte[] note;

        Verified(Checkpoint checkpoint, byte[] note) {
            this.checkpoint = checkpoint;
            this.note = note.clone();
        }

        public Checkpoint checkpoint() {
            return checkpoint;
        }

        /** The signed note bytes that were verified. */
        public byte[] signedNote() {
            return note.clone();
        }

        public String signedNoteText() {
            return new String(note, StandardCharsets.UTF_8);
        }
    }

    private static LogVerificationException malformed(String message) {
        return new LogVerificationException("checkpoint.malformed", message);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c
                && c.origin.equals(origin)
                && c.size == size
                && java.util.Arrays.equals(c.rootHash, rootHash)
                && c.extensions.equals(extensions);
    }

    @Override
    public int hashCode() {
        return origin.hashCode() * 31 + Long.hashCode(size);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + origin + ", " + size + ", " + Base64.getEncoder().encodeToString(rootHash) + "]";
    }
}
