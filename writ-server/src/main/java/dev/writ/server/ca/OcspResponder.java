package dev.writ.server.ca;

import dev.writ.server.custody.KeyCustody;
import dev.writ.server.events.RevocationEvent;
import dev.writ.server.events.RevocationListener;
import dev.writ.server.store.CertificateRecord;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.Req;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.RuntimeOperatorException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 6960 OCSP responder for every CA of a trust domain, signing with each CA's delegated responder certificate
 * (whose key is in custody).
 *
 * <p>Responses without a nonce come from a pre-signed cache keyed by CA, CertID hash algorithm and serial: each entry
 * is valid for {@code validity} and re-signed once half of that has passed, and is dropped the moment the
 * certificate is revoked ({@link #revoked}). Requests with a nonce are signed fresh and echo the nonce. Serials the
 * CA never issued are answered {@code unknown}, and so are requests naming another issuer.
 */
public final class OcspResponder implements RevocationListener {
    private static final Logger LOG = LoggerFactory.getLogger(OcspResponder.class);
    private static final int MAX_REQUESTS = 16;

    private final Map<CaName, Issuer> issuers = new EnumMap<>(CaName.class);
    private final KeyCustody custody;
    private final Store store;
    private final InstantSource clock;
    private final Duration validity;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final DigestCalculatorProvider digests;
    private final java.util.concurrent.atomic.AtomicLong revocations = new java.util.concurrent.atomic.AtomicLong();

    private record Cached(byte[] der, Instant refreshAfter) {}

    /** Which CA issued a certificate and its SHA-1 CertID (keyed by the certificate, whose equality is its DER). */
    private record StapleId(CaName ca, CertificateID id, String key) {}

    private final Map<X509Certificate, StapleId> stapleIds = new ConcurrentHashMap<>();

    private record Issuer(IssuingCa ca, List<byte[]> nameHashes, List<byte[]> keyHashes) {}

    public OcspResponder(TrustDomain domain, KeyCustody custody, Store store, InstantSource clock, Duration validity) {
        this.custody = custody;
        this.store = store;
        this.clock = clock;
        this.validity = validity;
        try {
            this.digests = new JcaDigestCalculatorProviderBuilder().build();
            for (CaName name : CaName.values()) {
                IssuingCa ca = domain.ca(name);
                List<byte[]> names = new ArrayList<>();
                List<byte[]> keys = new ArrayList<>();
                for (AlgorithmIdentifier alg : List.of(CertificateID.HASH_SHA1, sha256())) {
                    CertificateID id = new CertificateID(digests.get(alg), ca.certificate(), BigInteger.ONE);
                    names.add(id.getIssuerNameHash());
                    keys.add(id.getIssuerKeyHash());
                }
                issuers.put(name, new Issuer(ca, names, keys));
            }
        } catch (OperatorCreationException | OCSPException e) {
            throw new IllegalStateException("digest unavailable", e);
        }
    }

    private static AlgorithmIdentifier sha256() {
        return new AlgorithmIdentifier(org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256);
    }

    /**
     * Answers a DER OCSPRequest for {@code ca}. Always returns a DER OCSPResponse: a malformed request gets
     * {@code malformedRequest}, an internal failure {@code internalError}; never throws.
     */
    public byte[] respond(CaName ca, byte[] requestDer) {
        OCSPReq req;
        try {
            req = new OCSPReq(requestDer);
        } catch (IOException | RuntimeException e) {
            return status(OCSPRespBuilder.MALFORMED_REQUEST);
        }
        Req[] list = req.getRequestList();
        // Empty or oversized request lists are malformed (and bound the signing work).
        if (list.length == 0 || list.length > MAX_REQUESTS) {
            return status(OCSPRespBuilder.MALFORMED_REQUEST);
        }
        Extension nonce = req.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
        try {
            if (nonce == null && list.length == 1) {
                return cached(ca, list[0].getCertID());
            }
            List<CertificateID> ids = new ArrayList<>();
            for (Req r : list) {
                ids.add(r.getCertID());
            }
            return sign(ca, ids, nonce);
        } catch (RuntimeException | CaException e) {
            LOG.error("OCSP response for {} failed", ca.id(), e);
            return status(OCSPRespBuilder.INTERNAL_ERROR);
        }
    }

    /**
     * A fresh SHA-1 calculator. Bouncy Castle's calculators are stateful streams: one shared between threads mixes
     * concurrent digests, which would staple responses with a wrong issuer hash, so every use gets its own.
     */
    private DigestCalculator sha1() throws OCSPException {
        try {
            return digests.get(CertificateID.HASH_SHA1);
        } catch (OperatorCreationException e) {
            throw new OCSPException("no SHA-1 digest available", e);
        }
    }

    /**
     * The current OCSP response (DER) for a certificate issued by one of this trust domain's CAs, for stapling: at most
     * half its validity old, never older than the certificate's latest revocation.
     *
     * @throws CaException {@code ocsp.issuer_unknown} when no CA of this domain issued it
     */
    public byte[] responseFor(X509Certificate certificate) throws CaException {
        // The CertID of a certificate never changes: work it out once per certificate, not per staple.
        StapleId known = stapleIds.get(certificate);
        if (known != null) {
            return cached(known.ca(), known.id(), known.key());
        }
        try {
            X509CertificateHolder holder = new X509CertificateHolder(certificate.getEncoded());
            for (Issuer issuer : issuers.values()) {
                if (issuer.ca().certificate().getSubject().equals(holder.getIssuer())) {
                    CertificateID id =
                            new CertificateID(sha1(), issuer.ca().certificate(), certificate.getSerialNumber());
                    if (stapleIds.size() >= 10_000) {
                        stapleIds.clear();
                    }
                    StapleId sid = new StapleId(
                            issuer.ca().name(), id, cacheKey(issuer.ca().name(), id));
                    stapleIds.put(certificate, sid);
                    return cached(sid.ca(), sid.id(), sid.key());
                }
            }
        } catch (CertificateEncodingException | IOException | OCSPException e) {
            throw CaException.invalid("ocsp.certificate_invalid", "cannot encode the certificate");
        }
        throw CaException.invalid("ocsp.issuer_unknown", "no CA of this trust domain issued the certificate");
    }

    /** Parses a DER OCSP response (convenience for callers that staple). */
    public static BasicOCSPResp basic(byte[] der) throws IOException, OCSPException {
        return (BasicOCSPResp) new OCSPResp(der).getResponseObject();
    }

    private byte[] cached(CaName ca, CertificateID id) throws CaException {
        return cached(ca, id, cacheKey(ca, id));
    }

    private static String cacheKey(CaName ca, CertificateID id) {
        return ca.id()
                + ':'
                + id.getHashAlgOID().getId()
                + ':'
                + id.getSerialNumber().toString(16);
    }

    private byte[] cached(CaName ca, CertificateID id, String key) throws CaException {
        Instant now = clock.instant();
        Cached c = cache.get(key);
        if (c != null && now.isBefore(c.refreshAfter())) {
            return c.der();
        }
        long epoch = revocations.get();
        boolean known = issuedHere(ca, id) && lookup(ca, id.getSerialNumber()).isPresent();
        byte[] der = sign(ca, List.of(id), null);
        // A revocation committed while we signed may not be in this response: then do not cache it.
        if (known && revocations.get() == epoch) {
            // Unknown serials are not cached, so random queries cannot grow the cache.
            cache.put(key, new Cached(der, now.plus(validity.dividedBy(2))));
            if (revocations.get() != epoch) {
                cache.remove(key);
            }
        }
        return der;
    }

    private boolean issuedHere(CaName ca, CertificateID id) {
        Issuer issuer = issuers.get(ca);
        for (int i = 0; i < issuer.nameHashes().size(); i++) {
            if (Arrays.equals(issuer.nameHashes().get(i), id.getIssuerNameHash())
                    && Arrays.equals(issuer.keyHashes().get(i), id.getIssuerKeyHash())) {
                return true;
            }
        }
        return false;
    }

    private Optional<CertificateRecord> lookup(CaName ca, BigInteger serial) throws CaException {
        try {
            return store.inTransaction(tx -> tx.certificates().find(serial.toString(16)))
                    .filter(r -> r.ca().equals(ca.id()));
        } catch (StoreException e) {
            throw CaException.internal("certificate status lookup failed", e);
        }
    }

    private byte[] sign(CaName ca, List<CertificateID> ids, Extension nonce) throws CaException {
        Issuer issuer = issuers.get(ca);
        Instant now = clock.instant();
        Instant thisUpdate = now;
        Instant nextUpdate = now.plus(validity);
        try {
            IssuingCa c = issuer.ca();
            BasicOCSPRespBuilder b =
                    new BasicOCSPRespBuilder(c.responderCertificate().getSubjectPublicKeyInfo(), sha1());
            for (CertificateID id : ids) {
                CertificateStatus status;
                if (!issuedHere(ca, id)) {
                    // Not our issuer: we are not authoritative, say unknown.
                    status = new UnknownStatus();
                } else {
                    Optional<CertificateRecord> rec = lookup(ca, id.getSerialNumber());
                    if (rec.isEmpty()) {
                        status = new UnknownStatus();
                    } else if (rec.get().revoked()) {
                        status = new RevokedStatus(
                                java.util.Date.from(rec.get().revokedAt()),
                                rec.get().revocationReason() == null
                                        ? CRLReason.unspecified
                                        : rec.get().revocationReason());
                    } else {
                        status = CertificateStatus.GOOD;
                    }
                }
                b.addResponse(id, status, java.util.Date.from(thisUpdate), java.util.Date.from(nextUpdate), null);
            }
            if (nonce != null) {
                // Echo the client's nonce (RFC 8954) so it can bind the response to its request.
                b.setResponseExtensions(new Extensions(nonce));
            }
            BasicOCSPResp basic = b.build(
                    new CustodySigner(custody, c.responderKey()),
                    new X509CertificateHolder[] {c.responderCertificate()},
                    java.util.Date.from(now));
            return new OCSPRespBuilder()
                    .build(OCSPRespBuilder.SUCCESSFUL, basic)
                    .getEncoded();
        } catch (OCSPException | IOException | RuntimeOperatorException e) {
            throw CaException.internal("cannot sign the OCSP response", e);
        }
    }

    private static byte[] status(int status) {
        try {
            return new OCSPRespBuilder().build(status, null).getEncoded();
        } catch (OCSPException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Drops every cached response for a revoked serial, so the next request sees the revocation. */
    @Override
    public void revoked(RevocationEvent event) {
        revocations.incrementAndGet();
        String suffix = ':' + event.serial();
        cache.keySet().removeIf(k -> k.startsWith(event.ca() + ':') && k.endsWith(suffix));
    }

    /** Number of cached responses (for tests and metrics). */
    public int cacheSize() {
        return cache.size();
    }
}
