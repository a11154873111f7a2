package dev.writ.server.custody;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.login.LoginException;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.BigIntegers;

/**
 * Key custody in a PKCS#11 token (an HSM, or SoftHSM2 for tests), through the JDK's SunPKCS11 provider.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Keys are ECDSA P-256, generated on the token as token objects that are private, sensitive and not extractable:
 *       the private key never exists outside the token, not even inside this process.
 *   <li>A key is found by its alias, which is the handle id (CKA_LABEL of its certificate object, CKA_ID of the key).
 *       The JDK's PKCS#11 key store only lists private keys that have a certificate, so each key is stored with a
 *       self-signed placeholder certificate that carries its public key; it is never used as a real certificate.
 *   <li>{@link #sign} hashes with SHA-256 on the token and returns raw r‖s (64 bytes), converted from DER.
 *   <li>The PIN is used to log in and then wiped; it is never logged and never part of a message.
 * </ul>
 *
 * <p>The JDK's PKCS#11 provider has no EdDSA, so asking for {@link KeySpec#ED25519} fails. PKCS#11 login state belongs
 * to the process: keep one {@code Pkcs11Custody} per token open at a time; {@link #close()} logs the process out.
 */
public final class Pkcs11Custody implements KeyCustody {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern CKR = Pattern.compile("CKR_[A-Z_]+");

    private final Provider provider;
    private final KeyStore keyStore;
    private final SecureRandom random;
    private final ConcurrentHashMap<String, TokenKey> keys = new ConcurrentHashMap<>();
    private final Object storeLock = new Object();
    private volatile boolean closed;

    private record TokenKey(PrivateKey privateKey, PublicKey publicKey) {}

    private Pkcs11Custody(Provider provider, KeyStore keyStore, SecureRandom random) {
        this.provider = provider;
        this.keyStore = keyStore;
        this.random = random;
    }

    /**
     * Loads the PKCS#11 library, selects the token in {@code slot} (the PKCS#11 slot id) and logs in with {@code pin}.
     * The caller keeps ownership of {@code pin} and should wipe it afterwards.
     *
     * @throws CustodyException when the library cannot be loaded, the slot has no usable token, or the login fails; the
     *     message names the PKCS#11 return code (e.g. {@code CKR_PIN_INCORRECT}) and never the PIN
     */
    public static Pkcs11Custody open(Path library, long slot, char[] pin, SecureRandom random) throws CustodyException {
        Objects.requireNonNull(library, "library");
        Objects.requireNonNull(pin, "pin");
        Objects.requireNonNull(random, "random");
        if (!Files.isRegularFile(library)) {
            throw new CustodyException("PKCS#11 library not found: " + library);
        }
        String path = library.toAbsolutePath().toString();
        // The config language has no escaping: refuse paths it would misread rather than load something else.
        if (!path.matches("[A-Za-z0-9_./+:@-]+")) {
            throw new CustodyException("PKCS#11 library path has unsupported characters: " + library);
        }
        String config = String.join(
                "\n",
                "--name = Writ-" + Long.toUnsignedString(slot),
                "library = " + path,
                "slot = " + Long.toUnsignedString(slot),
                // New private keys: token objects, usable only after login, never revealed or exported.
                "attributes(generate, CKO_PRIVATE_KEY, CKK_EC) = {",
                "  CKA_TOKEN = true",
                "  CKA_PRIVATE = true",
                "  CKA_SENSITIVE = true",
                "  CKA_EXTRACTABLE = false",
                "  CKA_SIGN = true",
                "}",
                // The public half lives in the placeholder certificate; the generated public object is a session one.
                "attributes(generate, CKO_PUBLIC_KEY, CKK_EC) = {",
                "  CKA_TOKEN = false",
                "}",
                "");
        Provider provider;
        try {
            Provider base = Security.getProvider("SunPKCS11");
            if (base == null) {
                throw new CustodyException("this JDK has no SunPKCS11 provider");
            }
            provider = base.configure(config);
        } catch (RuntimeException e) {
            throw new CustodyException(
                    "cannot use PKCS#11 slot " + Long.toUnsignedString(slot) + " of " + library + reason(e));
        }
        KeyStore ks;
        try {
            ks = KeyStore.getInstance("PKCS11", provider);
            ks.load(null, pin);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            logout(provider);
            throw new CustodyException(
                    "cannot log in to the PKCS#11 token in slot " + Long.toUnsignedString(slot) + reason(e));
        }
        return new Pkcs11Custody(provider, ks, random);
    }

    @Override
    public KeyHandle generate(KeySpec spec, String label) throws CustodyException {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(label, "label");
        ensureOpen();
        requireP256(spec);
        byte[] idBytes = new byte[16];
        random.nextBytes(idBytes);
        String id = HexFormat.of().formatHex(idBytes);
        try {
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", provider);
            kpg.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair kp = kpg.generateKeyPair();
            X509Certificate placeholder = placeholderCertificate(kp, id, label);
            synchronized (storeLock) {
                ensureOpen();
                keyStore.setKeyEntry(id, kp.getPrivate(), null, new Certificate[] {placeholder});
            }
            keys.put(id, new TokenKey(kp.getPrivate(), placeholder.getPublicKey()));
            return new KeyHandle(id, KeySpec.EC_P256);
        } catch (GeneralSecurityException | OperatorCreationException | RuntimeException e) {
            throw new CustodyException("cannot generate a key on the PKCS#11 token" + reason(e));
        }
    }

    @Override
    public PublicKey publicKey(KeyHandle handle) throws CustodyException {
        return key(handle).publicKey();
    }

    @Override
    public byte[] sign(KeyHandle handle, byte[] data) throws CustodyException {
        Objects.requireNonNull(data, "data");
        TokenKey key = key(handle);
        byte[] der;
        try {
            Signature s = Signature.getInstance("SHA256withECDSA", provider);
            s.initSign(key.privateKey());
            s.update(data);
            der = s.sign();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new CustodyException("PKCS#11 signing failed for key " + handle.id() + reason(e));
        }
        return derToRaw(der);
    }

    @Override
    public void destroy(KeyHandle handle) throws CustodyException {
        Objects.requireNonNull(handle, "handle");
        ensureOpen();
        checkHandle(handle);
        synchronized (storeLock) {
            try {
                if (!keyStore.isKeyEntry(handle.id())) {
                    throw new CustodyException("unknown key handle " + handle.id());
                }
                keyStore.deleteEntry(handle.id());
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new CustodyException("cannot destroy key " + handle.id() + " on the PKCS#11 token" + reason(e));
            } finally {
                keys.remove(handle.id());
            }
        }
    }

    @Override
    public KeySpec defaultSpec() {
        return KeySpec.EC_P256;
    }

    /** Forgets the key references and logs the process out of the token. Idempotent. */
    @Override
    public void close() {
        synchronized (storeLock) {
            if (closed) {
                return;
            }
            closed = true;
            keys.clear();
            logout(provider);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private TokenKey key(KeyHandle handle) throws CustodyException {
        Objects.requireNonNull(handle, "handle");
        ensureOpen();
        checkHandle(handle);
        TokenKey key = keys.get(handle.id());
        if (key != null) {
            return key;
        }
        synchronized (storeLock) {
            ensureOpen();
            key = keys.get(handle.id());
            if (key != null) {
                return key;
            }
            try {
                Key k = keyStore.getKey(handle.id(), null);
                Certificate cert = keyStore.getCertificate(handle.id());
                if (!(k instanceof PrivateKey pk) || cert == null) {
                    throw new CustodyException("unknown key handle " + handle.id());
                }
                // Only P-256 keys are ours: an object of another kind under this alias is never used to sign.
                if (!"EC".equals(pk.getAlgorithm()) || !isP256(cert.getPublicKey())) {
                    throw new CustodyException("key " + handle.id() + " on the token is not a P-256 key");
                }
                key = new TokenKey(pk, cert.getPublicKey());
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new CustodyException("cannot read key " + handle.id() + " from the PKCS#11 token" + reason(e));
            }
            keys.put(handle.id(), key);
            return key;
        }
    }

    private void checkHandle(KeyHandle handle) throws CustodyException {
        // Aliases of our own format only: other objects on a shared token are not reachable through custody.
        if (!ID.matcher(handle.id()).matches()) {
            throw new CustodyException("unknown key handle");
        }
        // PKCS#11 custody holds P-256 keys only; a handle claiming another kind is refused before the token is asked.
        if (handle.spec() != KeySpec.EC_P256) {
            throw new CustodyException(
                    "key handle " + handle.id() + " is " + handle.spec() + "; PKCS#11 custody holds EC_P256 keys only");
        }
    }

    private static void requireP256(KeySpec spec) throws CustodyException {
        if (spec != KeySpec.EC_P256) {
            throw new CustodyException("PKCS#11 custody cannot generate " + spec
                    + " keys: the JDK's PKCS#11 provider has no EdDSA; use EC_P256");
        }
    }

    private static boolean isP256(PublicKey key) {
        if (!(key instanceof ECPublicKey)) {
            return false;
        }
        try {
            AlgorithmIdentifier alg =
                    SubjectPublicKeyInfo.getInstance(key.getEncoded()).getAlgorithm();
            return X9ObjectIdentifiers.id_ecPublicKey.equals(alg.getAlgorithm())
                    && SECObjectIdentifiers.secp256r1.equals(alg.getParameters());
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void ensureOpen() throws CustodyException {
        if (closed) {
            throw new CustodyException("custody is closed");
        }
    }

    private X509Certificate placeholderCertificate(KeyPair kp, String id, String label)
            throws OperatorCreationException, GeneralSecurityException {
        X500NameBuilder name = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Writ key custody placeholder")
                .addRDN(BCStyle.SERIALNUMBER, id);
        String cn = label.isBlank() ? "writ key" : label.strip();
        name.addRDN(BCStyle.CN, cn.length() > 64 ? cn.substring(0, 64) : cn);
        X500Name subject = name.build();
        // Fixed validity: the certificate only carries the public key for the key store; nobody validates it.
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                subject,
                new BigInteger(1, HexFormat.of().parseHex(id)),
                new Date(0L),
                new Date(253402300799000L),
                subject,
                kp.getPublic());
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA")
                .setProvider(provider)
                .build(kp.getPrivate());
        X509CertificateHolder holder = b.build(signer);
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    /** DER ECDSA-Sig-Value → raw r‖s (32 bytes each). Anything but two positive integers below 2^256 is refused. */
    static byte[] derToRaw(byte[] der) throws CustodyException {
        try {
            ASN1Primitive parsed = der.length == 0 ? null : ASN1Primitive.fromByteArray(der);
            if (!(parsed instanceof ASN1Sequence seq)
                    || seq.size() != 2
                    // Strict DER only: trailing bytes or a non-canonical encoding are not a signature we produced.
                    || !java.util.Arrays.equals(seq.getEncoded(ASN1Encoding.DER), der)) {
                throw new CustodyException("token returned a malformed ECDSA signature");
            }
            BigInteger r = ASN1Integer.getInstance(seq.getObjectAt(0)).getValue();
            BigInteger s = ASN1Integer.getInstance(seq.getObjectAt(1)).getValue();
            if (r.signum() <= 0 || s.signum() <= 0 || r.bitLength() > 256 || s.bitLength() > 256) {
                throw new CustodyException("token returned a malformed ECDSA signature");
            }
            byte[] out = new byte[64];
            BigIntegers.asUnsignedByteArray(r, out, 0, 32);
            BigIntegers.asUnsignedByteArray(s, out, 32, 32);
            return out;
        } catch (IOException | IllegalArgumentException | ClassCastException e) {
            throw new CustodyException("token returned a malformed ECDSA signature");
        }
    }

    /**
     * A safe detail for a message: the PKCS#11 return code (CKR_…) found in the cause chain, or the exception type.
     * Provider messages are not copied, so nothing a library might put there (a PIN, a path) leaks.
     */
    static String reason(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null) {
                Matcher ckr = CKR.matcher(m);
                if (ckr.find()) {
                    return " (" + ckr.group() + ")";
                }
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof LoginException) {
            return " (login failed)";
        }
        return " (" + root.getClass().getSimpleName() + ")";
    }

    private static void logout(Provider provider) {
        if (provider instanceof AuthProvider auth) {
            try {
                auth.logout();
            } catch (LoginException | RuntimeException ignored) {
                // Logging out of a token that is gone or not logged in: nothing more to do.
            }
        }
    }

    @Override
    public String toString() {
        return "Pkcs11Custody[" + provider.getName() + (closed ? ", closed]" : "]");
    }
}
