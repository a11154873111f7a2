package dev.writ.server.ca;

import dev.writ.server.custody.CustodyException;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.custody.KeyHandle;
import dev.writ.server.custody.KeySpec;
import dev.writ.server.custody.SealedSigner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.RuntimeOperatorException;

/**
 * A Bouncy Castle {@link ContentSigner} whose signature comes from {@link KeyCustody}: X.509, OCSP and CRL building
 * never see key bytes. ECDSA signatures arrive raw (r‖s) and are DER-encoded here, as X.509 requires.
 *
 * <p>{@link #getSignature()} throws {@link RuntimeOperatorException} wrapping the {@link CustodyException} when
 * custody refuses; callers turn it into a checked failure.
 */
public final class CustodySigner implements ContentSigner {
    /** Something that signs raw: custody with a handle, or an opened sealed root. */
    @FunctionalInterface
    private interface RawSigner {
        byte[] sign(byte[] data) throws CustodyException;
    }

    private final RawSigner raw;
    private final KeySpec spec;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);

    public CustodySigner(KeyCustody custody, KeyHandle handle) {
        this.raw = data -> custody.sign(handle, data);
        this.spec = handle.spec();
    }

    /** A signer over the opened sealed root key (CA ceremonies only). */
    public CustodySigner(SealedSigner sealed) {
        this.raw = sealed::sign;
        this.spec = sealed.spec();
    }

    /** The X.509 signature algorithm of a key spec. */
    public static AlgorithmIdentifier algorithm(KeySpec spec) {
        return switch (spec) {
            case ED25519 -> new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519);
            case EC_P256 -> new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
        };
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
        return algorithm(spec);
    }

    @Override
    public OutputStream getOutputStream() {
        return buffer;
    }

    @Override
    public byte[] getSignature() {
        try {
            byte[] signature = raw.sign(buffer.toByteArray());
            return spec == KeySpec.EC_P256 ? rawToDer(signature) : signature;
        } catch (CustodyException e) {
            throw new RuntimeOperatorException("custody refused to sign", e);
        } finally {
            buffer.reset();
        }
    }

    /** Converts a raw r‖s ECDSA signature to the DER SEQUENCE { r INTEGER, s INTEGER } X.509 uses. */
    static byte[] rawToDer(byte[] raw) {
        if (raw.length % 2 != 0 || raw.length == 0) {
            throw new RuntimeOperatorException("malformed raw ECDSA signature");
        }
        int half = raw.length / 2;
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(raw, 0, half))));
        v.add(new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(raw, half, raw.length))));
        try {
            return new DERSequence(v).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new RuntimeOperatorException("cannot encode ECDSA signature", e);
        }
    }
}
