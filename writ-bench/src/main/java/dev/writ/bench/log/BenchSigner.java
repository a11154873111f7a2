package dev.writ.bench.log;

import dev.writ.server.log.CheckpointSigner;
import java.security.SecureRandom;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** A throwaway in-memory Ed25519 checkpoint signer for benchmarks (the server signs through key custody). */
final class BenchSigner implements CheckpointSigner {
    private final Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(new SecureRandom());

    @Override
    public String name() {
        return "bench.writ.dev/log";
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
