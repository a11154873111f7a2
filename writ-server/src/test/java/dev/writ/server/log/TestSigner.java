package dev.writ.server.log;

import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** A software Ed25519 checkpoint signer for tests (production signs through key custody). */
public final class TestSigner implements CheckpointSigner {
    private final String name;
    private final Ed25519PrivateKeyParameters key;

    public TestSigner(String name, int seed) {
        this.name = name;
        byte[] s = new byte[32];
        s[0] = (byte) seed;
        this.key = new Ed25519PrivateKeyParameters(s, 0);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public byte[] publicKey() {
        return key.generatePublicKey().getEncoded();
    }

    @Override
    public byte[] sign(byte[] message) {
        Ed25519Signer s = new Ed25519Signer();
        s.init(true, key);
        s.update(message, 0, message.length);
        return s.generateSignature();
    }
}
