package dev.writ.server.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.ca.AgentService;
import dev.writ.server.ca.AuthenticatedAgent;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.CrlPublisher;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.DomainCeremony;
import dev.writ.server.ca.IssuedAgent;
import dev.writ.server.ca.PkiUrls;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.events.OutboxEventSink;
import dev.writ.server.events.RevocationBus;
import dev.writ.server.store.StoreTx;
import dev.writ.server.store.StoredEvent;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Map;
import org.bouncycastle.cert.X509CRLHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust domain's own services on a PostgreSQL store: the init ceremony, issuance, delegation, authentication,
 * cascading revocation, CRLs and the event outbox, as {@code writ serve} wires them on SQLite.
 */
class TrustDomainOnPostgresTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCOPE = "{\"actions\":[\"payments.*\"],\"limits\":{\"EUR\":100000},"
            + "\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\",\"classification\":\"confidential\","
            + "\"delegation\":2}";

    @TempDir
    Path dir;

    @Test
    void issueDelegateAuthenticateRevokeAndPublish() throws Exception {
        SecureRandom random = new SecureRandom();
        InstantSource clock = InstantSource.system();
        ObjectNode custodyConfig = CustodyConfig.software();
        try (PostgresStore store =
                        PostgresStore.open(PostgresFixture.newDatabase().uri());
                KeyCustody custody = CustodyConfig.create(dir, custodyConfig, Map.of(), random)) {
            TrustDomain domain = DomainCeremony.init(
                            dir,
                            "writ.local",
                            "http://127.0.0.1:7070",
                            custody,
                            custodyConfig,
                            store,
                            "correct horse battery staple".toCharArray(),
                            "acme",
                            clock,
                            random)
                    .domain();
            RevocationBus bus = new RevocationBus();
            PkiUrls urls = new PkiUrls("http://127.0.0.1:7070");
            AgentService agents = new AgentService(
                    domain, custody, store, new OutboxEventSink(store, clock), bus, urls, clock, random);
            CrlPublisher crls = new CrlPublisher(domain, custody, store, clock, dir, urls);
            bus.subscribe(crls);
            crls.publishFull();

            IssuedAgent parent = agents.create(
                    (ObjectNode) JSON.readTree("{\"tenant\":\"acme\",\"name\":\"buyer\",\"scope\":" + SCOPE + "}"));
            AuthenticatedAgent who = agents.authenticate(parent.credential()).orElseThrow();
            assertThat(who.agentId()).isEqualTo(parent.agentId());
            IssuedAgent child = agents.delegate(
                    who, (ObjectNode) JSON.readTree("{\"name\":\"sub\",\"scope\":" + SCOPE.replace("2}", "1}") + "}"));
            assertThat(agents.list("acme")).hasSize(2);

            AgentService.Revocation r = agents.revoke(parent.serial(), "keyCompromise");
            assertThat(r.cascaded()).hasSize(1);
            assertThat(agents.authenticate(parent.credential())).isEmpty();
            assertThatThrownBy(() -> agents.revoke(parent.serial(), null))
                    .isInstanceOfSatisfying(
                            CaException.class, e -> assertThat(e.code()).isEqualTo("certificate.already_revoked"));

            X509CRLHolder crl = new X509CRLHolder(crls.full(CaName.AGENTS).orElseThrow());
            assertThat(crl.getRevokedCertificate(new BigInteger(parent.serial(), 16)))
                    .isNotNull();
            assertThat(crl.getRevokedCertificate(new BigInteger(child.serial(), 16)))
                    .isNotNull();

            // Every lifecycle event is in the outbox, in order, in the same database.
            var events = store.inTransaction((StoreTx tx) -> tx.events().after(0, 100));
            assertThat(events).extracting(StoredEvent::seq).isSorted();
            assertThat(events).extracting(StoredEvent::type).contains("cert.issued", "cert.revoked");
        }
    }
}
