package dev.writ.server.ca;

import dev.writ.server.custody.KeyCustody;
import dev.writ.server.events.RevocationEvent;
import dev.writ.server.events.RevocationListener;
import dev.writ.server.store.CertificateRecord;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.RuntimeOperatorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes RFC 5280 CRLs for the online CAs (agents, policy, audit): a full CRL and a delta CRL each, sharing one CRL
 * number sequence per CA. The delta lists what was revoked since the base full CRL (the last scheduled full
 * publication). Both are re-signed on every revocation and on schedule ({@link #publishFull()} hourly,
 * {@link #publishDeltas()} every five minutes). The root's CRL is signed only at ceremonies and read from
 * {@code ca/root.crl}; it has no delta.
 */
public final class CrlPublisher implements RevocationListener {
    private static final Logger LOG = LoggerFactory.getLogger(CrlPublisher.class);
    /** How long a full CRL is valid: twice the full publication interval. */
    public static final Duration FULL_VALIDITY = Duration.ofHours(2);
    /** How long a delta CRL is valid: twice the delta publication interval. */
    public static final Duration DELTA_VALIDITY = Duration.ofMinutes(10);

    private final TrustDomain domain;
    private final KeyCustody custody;
    private final Store store;
    private final InstantSource clock;
    private final Path dataDir;
    private final PkiUrls urls;
    private final Map<CaName, Published> published = new EnumMap<>(CaName.class);

    private record Published(byte[] full, byte[] delta, BigInteger baseNumber, Instant baseTime) {}

    public CrlPublisher(
            TrustDomain domain, KeyCustody custody, Store store, InstantSource clock, Path dataDir, PkiUrls urls) {
        this.domain = domain;
        this.custody = custody;
        this.store = store;
        this.clock = clock;
        this.dataDir = dataDir;
        this.urls = urls;
    }

    /** Signs new base full CRLs (and matching empty deltas) for every online CA. */
    public synchronized void publishFull() throws CaException {
        for (CaName ca : List.of(CaName.AGENTS, CaName.POLICY, CaName.AUDIT)) {
            Instant now = clock.instant();
            BigInteger n = nextNumber(ca);
            byte[] full = build(ca, n, null, now, revoked(ca, now));
            // Revocation times have second precision: a base at the start of its second keeps the delta a superset
            // of everything revoked after the base (repeating an entry of the base is harmless).
            published.put(ca, new Published(full, null, n, now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
            regenerateDelta(ca);
        }
    }

    /** Re-signs the delta CRLs of every online CA (scheduled every five minutes). */
    public synchronized void publishDeltas() throws CaException {
        for (CaName ca : List.of(CaName.AGENTS, CaName.POLICY, CaName.AUDIT)) {
            regenerateDelta(ca);
        }
    }

    private void regenerateDelta(CaName ca) throws CaException {
        Published p = published.get(ca);
        Instant now = clock.instant();
        List<CertificateRecord> since = revoked(ca, now).stream()
                .filter(r -> !r.revokedAt().isBefore(p.baseTime()))
                .toList();
        byte[] delta = build(ca, nextNumber(ca), p.baseNumber(), now, since);
        published.put(ca, new Published(p.full(), delta, p.baseNumber(), p.baseTime()));
    }

    /** Re-signs the full and delta CRL of the revoking CA, keeping the delta's base. */
    @Override
    public synchronized void revoked(RevocationEvent event) {
        Optional<CaName> ca = CaName.parse(event.ca());
        if (ca.isEmpty() || ca.get() == CaName.ROOT || !published.containsKey(ca.get())) {
            return;
        }
        try {
            Published p = published.get(ca.get());
            Instant now = clock.instant();
            byte[] full = build(ca.get(), nextNumber(ca.get()), null, now, revoked(ca.get(), now));
            published.put(ca.get(), new Published(full, p.delta(), p.baseNumber(), p.baseTime()));
            regenerateDelta(ca.get());
        } catch (CaException e) {
            LOG.error("cannot re-sign CRLs of {} after revocation", event.ca(), e);
        }
    }

    /** The current full CRL (DER), or empty when none is published for this CA. */
    public synchronized Optional<byte[]> full(CaName ca) {
        if (ca == CaName.ROOT) {
            try {
                return Optional.of(Files.readAllBytes(TrustDomain.rootCrlPath(dataDir)));
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        Published p = published.get(ca);
        return p == null ? Optional.empty() : Optional.of(p.full().clone());
    }

    /** The current delta CRL (DER), or empty (always for the root). */
    public synchronized Optional<byte[]> delta(CaName ca) {
        Published p = published.get(ca);
        return p == null || p.delta() == null
                ? Optional.empty()
                : Optional.of(p.delta().clone());
    }

    private BigInteger nextNumber(CaName ca) throws CaException {
        try {
            return store.inTransaction(tx -> tx.crlNumbers().next(ca.id()));
        } catch (StoreException e) {
            throw CaException.internal("cannot allocate a CRL number", e);
        }
    }

    private List<CertificateRecord> revoked(CaName ca, Instant now) throws CaException {
        try {
            return store.inTransaction(tx -> tx.certificates().revoked(ca.id(), now));
        } catch (StoreException e) {
            throw CaException.internal("cannot list revoked certificates", e);
        }
    }

    private byte[] build(CaName ca, BigInteger number, BigInteger base, Instant now, List<CertificateRecord> entries)
            throws CaException {
        IssuingCa issuer = domain.ca(ca);
        try {
            return sign(
                    issuer.certificate(),
                    number,
                    base,
                    now,
                    now.plus(base == null ? FULL_VALIDITY : DELTA_VALIDITY),
                    entries,
                    base == null ? urls.deltaCrl(ca) : null,
                    new CustodySigner(custody, issuer.key()));
        } catch (RuntimeOperatorException e) {
            throw CaException.internal("cannot sign the CRL", e);
        }
    }

    /** Builds and signs one CRL. {@code base} non-null makes it a delta CRL (critical delta CRL indicator). */
    static byte[] sign(
            X509CertificateHolder issuer,
            BigInteger number,
            BigInteger base,
            Instant thisUpdate,
            Instant nextUpdate,
            List<CertificateRecord> entries,
            String freshestUrl,
            ContentSigner signer)
            throws CaException {
        try {
            X509v2CRLBuilder b = new X509v2CRLBuilder(issuer.getSubject(), Date.from(thisUpdate));
            b.setNextUpdate(Date.from(nextUpdate));
            for (CertificateRecord r : entries) {
                int reason = r.revocationReason() == null ? CRLReason.unspecified : r.revocationReason();
                b.addCRLEntry(new BigInteger(r.serial(), 16), Date.from(r.revokedAt()), reason);
            }
            b.addExtension(
                    Extension.authorityKeyIdentifier,
                    false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(issuer.getSubjectPublicKeyInfo()));
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            if (base != null) {
                // Critical, as RFC 5280 §5.2.4 requires: a client that does not understand deltas must reject it.
                b.addExtension(Extension.deltaCRLIndicator, true, new CRLNumber(base));
            } else if (freshestUrl != null) {
                b.addExtension(Extension.freshestCRL, false, new CRLDistPoint(new DistributionPoint[] {
                    new DistributionPoint(
                            new DistributionPointName(new GeneralNames(
                                    new GeneralName(GeneralName.uniformResourceIdentifier, freshestUrl))),
                            null,
                            null)
                }));
            }
            X509CRLHolder crl = b.build(signer);
            return crl.getEncoded();
        } catch (IOException | NoSuchAlgorithmException e) {
            throw CaException.internal("cannot build the CRL", e);
        }
    }
}
