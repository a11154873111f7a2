package dev.writ.core.revocation;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.security.auth.x500.X500Principal;

/**
 * The local revocation set: thread-safe, updated by the PEP's revocation listener, read by the verifier. Revocation
 * is permanent (RFC 5280 has no un-revoke for {@code keyCompromise} and Writ uses none), so entries are only added;
 * {@link #replaceAll} installs a complete snapshot after a reconnect.
 */
public final class InMemoryRevocationSource implements RevocationSource {
    /** A revoked certificate's issuer and serial number. */
    public record Entry(X500Principal issuer, BigInteger serial) {
        public Entry {
            Objects.requireNonNull(issuer, "issuer");
            Objects.requireNonNull(serial, "serial");
        }
    }

    private volatile Set<Entry> revoked = ConcurrentHashMap.newKeySet();

    /** Marks the certificate with this issuer and serial as revoked. */
    public void revoke(X500Principal issuer, BigInteger serial) {
        revoked.add(new Entry(issuer, serial));
    }

    /** Marks {@code certificate} as revoked. */
    public void revoke(X509Certificate certificate) {
        revoke(certificate.getIssuerX500Principal(), certificate.getSerialNumber());
    }

    /** Replaces the whole set with a complete snapshot. */
    public void replaceAll(Collection<Entry> entries) {
        Set<Entry> next = ConcurrentHashMap.newKeySet();
        next.addAll(entries);
        revoked = next;
    }

    /** The number of revoked certificates known. */
    public int size() {
        return revoked.size();
    }

    @Override
    public boolean isRevoked(X500Principal issuer, BigInteger serial) {
        return revoked.contains(new Entry(issuer, serial));
    }
}
