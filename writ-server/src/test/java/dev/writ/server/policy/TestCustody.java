package dev.writ.server.policy;

import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.X509EncodedKeySpec;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** An in-memory Ed25519 custody for tests (the real software custody lives in the custody package). */
final class TestCustody implements KeyCustody {
    private final Map<String, Ed25519PrivateKeyParameters> keys = new HashMap<>();
    private final SecureRandom random = new SecureRandom();

    @Override
    public synchronized KeyHandle generate(KeySpec spec, String label) throws CustodyException {
        if (spec != KeySpec.ED25519) {
            throw new CustodyException("test custody supports Ed25519 only");
        }
        String id = UUID.randomUUID().toString();
        keys.put(id, new Ed25519PrivateKeyParameters(random));
        return new KeyHandle(id, spec);
    }

    @Override
    public synchronized PublicKey publicKey(KeyHandle handle) throws CustodyException {
        byte[] raw = key(handle).generatePublicKey().getEncoded();
        try {
            byte[] spki = new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), raw)
                    .getEncoded();
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        } catch (Exception e) {
            throw new CustodyException("cannot encode public key", e);
        }
    }

    @Override
    public synchronized byte[] sign(KeyHandle handle, byte[] data) throws CustodyException {
        Ed25519Signer s = new Ed25519Signer();
        s.init(true, key(handle));
        s.update(data, 0, data.length);
        return s.generateSignature();
    }

    @Override
    public synchronized void destroy(KeyHandle handle) {
        keys.remove(handle.id());
    }

    @Override
    public KeySpec defaultSpec() {
        return KeySpec.ED25519;
    }

    @Override
    public void close() {}

    private Ed25519PrivateKeyParameters key(KeyHandle handle) throws CustodyException {
        Ed25519PrivateKeyParameters k = keys.get(handle.id());
        if (k == null) {
            throw new CustodyException("unknown key handle");
        }
        return k;
    }
}
