package dev.writ.core.sae;

import java.math.BigInteger;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * The signature path of envelope verification, through Bouncy Castle's lightweight API. Any exception from the
 * provider counts as an invalid signature.
 */
final class JwsSignatures {
    private JwsSignatures() {}

    /** Ed25519 (RFC 8032, pure): a 64-byte signature. */
    static boolean verifyEd25519(Ed25519PublicKeyParameters key, byte[] message, int length, byte[] signature) {
        try {
            if (signature.length != Ed25519PublicKeyParameters.KEY_SIZE * 2) {
                return false;
            }
            Ed25519Signer signer = new Ed25519Signer();
            signer.init(false, key);
            signer.update(message, 0, length);
            return signer.verifySignature(signature);
        } catch (RuntimeException e) {
            return false; // a provider failure is never a pass
        }
    }

    /** ES256: ECDSA P-256 with SHA-256, the signature raw r‖s (IEEE P1363, 64 bytes), not DER. */
    static boolean verifyEs256(ECPublicKeyParameters key, byte[] message, int length, byte[] signature) {
        try {
            if (signature.length != 64) {
                return false; // JWS fixes the length: anything else is not an ES256 signature
            }
            BigInteger r = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 0, 32));
            BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(signature, 32, 64));
            SHA256Digest d = new SHA256Digest();
            d.update(message, 0, length);
            byte[] hash = new byte[32];
            d.doFinal(hash, 0);
            ECDSASigner signer = new ECDSASigner();
            signer.init(false, key);
            // ECDSASigner rejects r or s outside [1, n-1].
            return signer.verifySignature(hash, r, s);
        } catch (RuntimeException e) {
            return false; // a provider failure is never a pass
        }
    }
}
