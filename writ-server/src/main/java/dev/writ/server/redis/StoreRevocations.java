package dev.writ.server.redis;

import dev.writ.server.ca.CaName;
import dev.writ.server.ca.RevocationReasons;
import dev.writ.server.events.RevocationEvent;
import dev.writ.server.store.CertificateRecord;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** {@link CommittedRevocations} read from a Writ {@link Store} (the shared PostgreSQL database of a multi-node setup). */
public final class StoreRevocations implements CommittedRevocations {
    private final Store store;
    private final InstantSource clock;

    public StoreRevocations(Store store, InstantSource clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public boolean isRevoked(String serialHex) throws StoreException {
        String serial = serialHex.toLowerCase(Locale.ROOT);
        return store.inTransaction(tx -> tx.certificates().find(serial))
                .map(CertificateRecord::revoked)
                .orElse(false);
    }

    @Override
    public List<RevocationEvent> revokedSince(Instant since) throws StoreException {
        Instant now = clock.instant();
        List<CertificateRecord> revoked = new ArrayList<>();
        for (CaName ca : CaName.values()) {
            for (CertificateRecord c :
                    store.inTransaction(tx -> tx.certificates().revoked(ca.id(), now))) {
                if (c.revokedAt() != null && !c.revokedAt().isBefore(since)) {
                    revoked.add(c);
                }
            }
        }
        revoked.sort(Comparator.comparing(CertificateRecord::revokedAt));
        List<RevocationEvent> out = new ArrayList<>(revoked.size());
        for (CertificateRecord c : revoked) {
            out.add(new RevocationEvent(
                    c.serial().toLowerCase(Locale.ROOT),
                    c.ca(),
                    c.agentId(),
                    RevocationReasons.name(c.revocationReason() == null ? 0 : c.revocationReason()),
                    c.revokedAt()));
        }
        return out;
    }
}
