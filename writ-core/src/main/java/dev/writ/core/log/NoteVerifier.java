package dev.writ.core.log;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * An Ed25519 signed-note verifier key, written {@code <name>+<hash>+<base64(0x01 ‖ public key)>} (C2SP signed-note).
 *
 * <p>The key hash is the first four bytes of {@code SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)}. {@link #parse} accepts
 * only well-formed keys whose hash matches; {@link #verify} never throws and treats any provider error as an invalid
 * signature.
 */
public final class NoteVerifier {
    /** The signature type byte of Ed25519 in signed notes. */
    public static final byte ALG_ED25519 = 0x01;

    private final String name;
    private final int keyHash;
    private final byte[] publicKey;
    private final Ed25519PublicKeyParameters params;

    private NoteVerifier(String name, int keyHash, byte[] publicKey) {
        this.name = name;
        this.keyHash = keyHash;
        this.publicKey = publicKey.clone();
        this.params = new Ed25519PublicKeyParameters(publicKey, 0);
    }

    /** A verifier for a raw 32-byte Ed25519 public key. */
    public static NoteVerifier ofEd25519(String name, byte[] publicKey) {
        if (!SignedNote.isValidName(name)) {
            throw new IllegalArgumentException("invalid key name");
        }
        if (publicKey == null || publicKey.length != 32) {
            throw new IllegalArgumentException("Ed25519 public key must be 32 bytes");
        }
        return new NoteVerifier(name, keyHash(name, publicKey), publicKey);
    }

    /**
     * Parses a verifier key string.
     *
     * @throws LogVerificationException {@code note.key.malformed} when the string is not a valid Ed25519 verifier key
     */
    public static NoteVerifier parse(String vkey) throws LogVerificationException {
        if (vkey == null) {
            throw malformed();
        }
        int p1 = vkey.indexOf('+');
        int p2 = p1 < 0 ? -1 : vkey.indexOf('+', p1 + 1);
        if (p1 < 0 || p2 < 0) {
            throw malformed();
        }
        String name = vkey.substring(0, p1);
        String hash = vkey.substring(p1 + 1, p2);
        String b64 = vkey.substring(p2 + 1);
        if (!SignedNote.isValidName(name) || hash.length() != 8 || !isLowerHex(hash)) {
            throw malformed();
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw malformed();
        }
        // Only canonical base64 of a type byte plus a 32-byte key: anything else is a different or mangled key.
        if (key.length != 33
                || key[0] != ALG_ED25519
                || !Base64.getEncoder().encodeToString(key).equals(b64)) {
            throw malformed();
        }
        byte[] pub = Arrays.copyOfRange(key, 1, 33);
        int h = (int) Long.parseLong(hash, 16);
        // The hash binds name and key together; a mismatch means one of them was altered.
        if (h != keyHash(name, pub)) {
            throw malformed();
        }
        try {
            return new NoteVerifier(name, h, pub);
        } catch (RuntimeException e) {
            throw malformed();
        }
    }

    /** The key hash of an Ed25519 key: first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ key), big-endian. */
    public static int keyHash(String name, byte[] publicKey) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(name.getBytes(StandardCharsets.UTF_8));
            md.update((byte) '\n');
            md.update(ALG_ED25519);
            md.update(publicKey);
            byte[] d = md.digest();
            return ((d[0] & 0xff) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The verifier key string {@code name+hash+base64}. */
    public String keyString() {
        byte[] k = new byte[33];
        k[0] = ALG_ED25519;
        System.arraycopy(publicKey, 0, k, 1, 32);
        return name + "+" + String.format("%08x", keyHash) + "+"
                + Base64.getEncoder().encodeToString(k);
    }

    public String name() {
        return name;
    }

    public int keyHash() {
        return keyHash;
    }

    /** The raw 32-byte Ed25519 public key (a copy). */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** Whether {@code signature} is a valid Ed25519 signature of {@code message}; false on any error. */
    public boolean verify(byte[] message, byte[] signature) {
        if (signature == null || signature.length != 64) {
            return false;
        }
        try {
            Ed25519Signer s = new Ed25519Signer();
            s.init(false, params);
            s.update(message, 0, message.length);
            return s.verifySignature(signature);
        } catch (RuntimeException e) {
            // A provider failure is an invalid signature, never a pass.
            return false;
        }
    }

    @Override
    public String toString() {
        return keyString();
    }

    private static boolean isLowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    static String hex(int h) {
        return HexFormat.of().toHexDigits(h);
    }

    private static LogVerificationException malformed() {
        return new LogVerificationException("note.key.malformed", "verifier key is malformed");
    }
}
