package dev.writ.server.log;

import dev.writ.core.log.SignedNote;
import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import java.util.Objects;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/** A {@link CheckpointSigner} backed by an Ed25519 key in {@link KeyCustody} (the audit chain's log key). */
public final class CustodyCheckpointSigner implements CheckpointSigner {
    private final KeyCustody custody;
    private final KeyHandle handle;
    private final String name;
    private final byte[] publicKey;

    /**
     * @param origin the log origin and key name
     * @throws LogException {@code log.signer} when the key is not an Ed25519 key or its public key cannot be read
     */
    public CustodyCheckpointSigner(KeyCustody custody, KeyHandle handle, String origin) throws LogException {
        this.custody = Objects.requireNonNull(custody, "custody");
        this.handle = Objects.requireNonNull(handle, "handle");
        // Checkpoints of a tlog-tiles log are Ed25519 signed notes; another key type would be unverifiable.
        if (handle.spec() != KeySpec.ED25519) {
            throw new LogException("log.signer", "the log key must be an Ed25519 key");
        }
        if (!SignedNote.isValidName(origin)) {
            throw new LogException("log.signer", "the log origin must be non-empty, without spaces or '+'");
        }
        this.name = origin;
        try {
            byte[] spki = custody.publicKey(handle).getEncoded();
            this.publicKey =
                    SubjectPublicKeyInfo.getInstance(spki).getPublicKeyData().getBytes();
        } catch (CustodyException | RuntimeException e) {
            throw new LogException("log.signer", "cannot read the log public key", e);
        }
        if (publicKey.length != 32) {
            throw new LogException("log.signer", "the log key is not an Ed25519 key");
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] sign(byte[] message) throws LogException {
        try {
            return custody.sign(handle, message);
        } catch (CustodyException e) {
            throw new LogException("log.signer", "the log key could not sign the checkpoint", e);
        }
    }
}
