package dev.writ.server.custody;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.util.BigIntegers;

/**
 * A decrypted private key held in memory inside custody, with its precomputed public key. {@link #sign} is safe to call
 * from any number of threads. Never leaves this package.
 *
 * <p>The secret is 32 bytes for both kinds: the RFC 8032 seed for Ed25519, the big-endian scalar d for P-256.
 */
abstract sealed class SoftwareKey permits SoftwareKey.Ed25519Key, SoftwareKey.P256Key {
    static final int SECRET_LENGTH = 32;
    static final ECNamedDomainParameters P256 = ECNamedDomainParameters.lookup(SECObjectIdentifiers.secp256r1);

    static {
        Ed25519.precompute();
    }

    abstract KeySpec spec();

    abstract PublicKey publicKey();

    abstract byte[] sign(byte[] data) throws CustodyException;

    /** Overwrites what the JVM lets us overwrite; later {@link #sign} calls fail. */
    abstract void wipe();

    /** The key as an unencrypted PKCS#8 structure, for sealing under a passphrase. Never written out as is. */
    abstract PrivateKeyInfo toPrivateKeyInfo() throws CustodyException;

    /** Fills {@code out} (32 bytes) with a fresh secret for {@code spec}. */
    static void generateSecret(KeySpec spec, SecureRandom random, byte[] out) {
        switch (spec) {
            case ED25519 -> Ed25519.generatePrivateKey(random, out);
            case EC_P256 -> {
                BigInteger d = BigIntegers.createRandomInRange(
                        BigInteger.ONE, P256.getN().subtract(BigInteger.ONE), random);
                BigIntegers.asUnsignedByteArray(d, out, 0, SECRET_LENGTH);
            }
        }
    }

    /** A key from its 32-byte secret. The caller keeps ownership of (and wipes) {@code secret}. */
    static SoftwareKey of(KeySpec spec, byte[] secret) throws CustodyException {
        if (secret.length != SECRET_LENGTH) {
            throw new CustodyException("stored key has the wrong length");
        }
        return switch (spec) {
            case ED25519 -> new Ed25519Key(secret);
            case EC_P256 -> new P256Key(secret);
        };
    }

    /**
     * A key from a decrypted PKCS#8 structure. Accepts only Ed25519 and P-256 keys that carry their public key, and
     * checks that public key against the private one, so a corrupted or altered key is refused rather than used.
     */
    static SoftwareKey fromPrivateKeyInfo(PrivateKeyInfo info) throws CustodyException {
        AlgorithmIdentifier alg = info.getPrivateKeyAlgorithm();
        byte[] secret = null;
        try {
            if (EdECObjectIdentifiers.id_Ed25519.equals(alg.getAlgorithm())) {
                // RFC 8410: no parameters for Ed25519.
                if (alg.getParameters() != null) {
                    throw new CustodyException("sealed key has unexpected algorithm parameters");
                }
                secret = ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets();
                SoftwareKey key = of(KeySpec.ED25519, secret);
                requireMatchingPublicKey(key, info.getPublicKeyData());
                return key;
            }
            if (X9ObjectIdentifiers.id_ecPublicKey.equals(alg.getAlgorithm())) {
                ASN1Encodable params = alg.getParameters();
                // Only the named curve P-256; explicit curve parameters are a classic attack surface.
                if (params == null || !SECObjectIdentifiers.secp256r1.equals(params)) {
                    throw new CustodyException("sealed key is not on P-256");
                }
                ECPrivateKey ec = ECPrivateKey.getInstance(info.parsePrivateKey());
                BigInteger d = ec.getKey();
                if (d.bitLength() > 256) {
                    throw new CustodyException("sealed key is invalid");
                }
                secret = BigIntegers.asUnsignedByteArray(SECRET_LENGTH, d);
                SoftwareKey key = of(KeySpec.EC_P256, secret);
                requireMatchingPublicKey(key, ec.getPublicKey());
                return key;
            }
            throw new CustodyException("sealed key is neither Ed25519 nor P-256");
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            throw new CustodyException("sealed key is malformed");
        } finally {
            if (secret != null) {
                Arrays.fill(secret, (byte) 0);
            }
        }
    }

    private static void requireMatchingPublicKey(SoftwareKey key, ASN1BitString embedded) throws CustodyException {
        // The embedded public key is an integrity check inside the encrypted payload: a changed scalar would not match.
        if (embedded == null) {
            key.wipe();
            throw new CustodyException("sealed key does not carry its public key");
        }
        byte[] expected = SubjectPublicKeyInfo.getInstance(key.publicKey().getEncoded())
                .getPublicKeyData()
                .getBytes();
        if (!Arrays.equals(expected, embedded.getBytes())) {
            key.wipe();
            throw new CustodyException("sealed key is corrupted");
        }
    }

    static PublicKey jcaPublicKey(SubjectPublicKeyInfo spki, String algorithm) throws CustodyException {
        try {
            return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(spki.getEncoded()));
        } catch (GeneralSecurityException | IOException e) {
            throw new CustodyException("cannot build " + algorithm + " public key");
        }
    }

    static final class Ed25519Key extends SoftwareKey {
        private final byte[] sk;
        private final byte[] pk = new byte[Ed25519.PUBLIC_KEY_SIZE];
        private final PublicKey publicKey;
        private volatile boolean wiped;

        Ed25519Key(byte[] secret) throws CustodyException {
            this.sk = secret.clone();
            Ed25519.generatePublicKey(sk, 0, pk, 0);
            this.publicKey = jcaPublicKey(
                    new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), pk), "Ed25519");
        }

        @Override
        KeySpec spec() {
            return KeySpec.ED25519;
        }

        @Override
        PublicKey publicKey() {
            return publicKey;
        }

        @Override
        byte[] sign(byte[] data) throws CustodyException {
            byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
            // A pure function of its arguments (public key precomputed): safe from many threads at once.
            Ed25519.sign(sk, 0, pk, 0, data, 0, data.length, sig, 0);
            // Checked after signing: a wipe racing with this call zeroes sk first, so a result made from a partly
            // wiped key is never returned.
            if (wiped) {
                throw new CustodyException("key has been destroyed");
            }
            return sig;
        }

        @Override
        void wipe() {
            wiped = true;
            Arrays.fill(sk, (byte) 0);
        }

        @Override
        PrivateKeyInfo toPrivateKeyInfo() throws CustodyException {
            try {
                // Bouncy Castle writes a v2 (OneAsymmetricKey) structure that includes the public key.
                return PrivateKeyInfoFactory.createPrivateKeyInfo(new Ed25519PrivateKeyParameters(sk));
            } catch (IOException e) {
                throw new CustodyException("cannot encode Ed25519 key");
            }
        }
    }

    static final class P256Key extends SoftwareKey {
        private final ECPrivateKeyParameters priv;
        private final PublicKey publicKey;
        private volatile boolean wiped;

        P256Key(byte[] secret) throws CustodyException {
            BigInteger d = BigIntegers.fromUnsignedByteArray(secret);
            // A scalar outside [1, n-1] is not a P-256 private key.
            if (d.signum() <= 0 || d.compareTo(P256.getN()) >= 0) {
                throw new CustodyException("stored P-256 key is invalid");
            }
            this.priv = new ECPrivateKeyParameters(d, P256);
            ECPoint q = P256.getG().multiply(d).normalize();
            try {
                this.publicKey = jcaPublicKey(
                        SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(new ECPublicKeyParameters(q, P256)),
                        "EC");
            } catch (IOException e) {
                throw new CustodyException("cannot encode P-256 public key");
            }
        }

        @Override
        KeySpec spec() {
            return KeySpec.EC_P256;
        }

        @Override
        PublicKey publicKey() {
            return publicKey;
        }

        @Override
        byte[] sign(byte[] data) throws CustodyException {
            if (wiped) {
                throw new CustodyException("key has been destroyed");
            }
            SHA256Digest sha = new SHA256Digest();
            sha.update(data, 0, data.length);
            byte[] digest = new byte[32];
            sha.doFinal(digest, 0);
            // Deterministic k (RFC 6979): signing never depends on the quality of a random source.
            ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
            signer.init(true, priv);
            BigInteger[] rs = signer.generateSignature(digest);
            byte[] out = new byte[64];
            BigIntegers.asUnsignedByteArray(rs[0], out, 0, 32);
            BigIntegers.asUnsignedByteArray(rs[1], out, 32, 32);
            return out;
        }

        @Override
        void wipe() {
            // BigInteger cannot be overwritten; dropping the reference is all the JVM allows.
            wiped = true;
        }

        @Override
        PrivateKeyInfo toPrivateKeyInfo() throws CustodyException {
            if (wiped) {
                throw new CustodyException("key has been destroyed");
            }
            try {
                // Named curve, ECPrivateKey with the public key included (RFC 5915).
                return PrivateKeyInfoFactory.createPrivateKeyInfo(priv);
            } catch (IOException e) {
                throw new CustodyException("cannot encode P-256 key");
            }
        }
    }
}
