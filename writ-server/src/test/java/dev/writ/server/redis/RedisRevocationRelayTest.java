package dev.writ.server.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.writ.server.events.RevocationBus;
import dev.writ.server.events.RevocationEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Revocation fan-out between nodes: each node is a {@link RevocationBus} with a subscriber, joined to the others by its
 * own {@link RedisRevocationRelay} and connection, against a real {@code redis-server}.
 */
class RedisRevocationRelayTest {
    static final String DOMAIN = "writ.local";
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /** The shared database: what was committed, by serial. */
    static final class Database implements CommittedRevocations {
        final Map<String, RevocationEvent> rows = new ConcurrentHashMap<>();

        void commit(RevocationEvent e) {
            rows.put(e.serial(), e);
        }

        @Override
        public boolean isRevoked(String serialHex) {
            return rows.containsKey(serialHex);
        }

        @Override
        public List<RevocationEvent> revokedSince(Instant since) {
            return rows.values().stream()
                    .filter(e -> !e.revokedAt().isBefore(since))
                    .sorted(java.util.Comparator.comparing(RevocationEvent::revokedAt))
                    .toList();
        }
    }

    /** A node: its bus, what its subscribers received (with the arrival time), and its relay. */
    final class Node {
        final RevocationBus bus = new RevocationBus();
        final LinkedBlockingQueue<RevocationEvent> received = new LinkedBlockingQueue<>();
        final Map<String, Long> arrivedNanos = new ConcurrentHashMap<>();
        final Map<String, Integer> counts = new ConcurrentHashMap<>();
        final RedisConnection redis;
        final RedisRevocationRelay relay;

        Node(RedisServer server, String id, Database db, Duration reconcileEvery) throws Exception {
            bus.subscribe(e -> {
                arrivedNanos.putIfAbsent(e.serial(), System.nanoTime());
                counts.merge(e.serial(), 1, Integer::sum);
                received.add(e);
            });
            redis = RedisConnection.connect(server.uri(), Duration.ofSeconds(2));
            open.add(redis);
            RedisRevocationRelay.Builder b = RedisRevocationRelay.builder(redis, bus, DOMAIN)
                    .nodeId(id)
                    .staleAfter(Duration.ofSeconds(3))
                    .confirmWindow(Duration.ofMillis(800))
                    .backoff(Duration.ofMillis(50), Duration.ofMillis(400));
            if (db != null) {
                b.committed(db).reconcileEvery(reconcileEvery);
            }
            relay = b.build().start();
            open.add(relay);
        }

        /** Commits and publishes a revocation as the agent service does: database first, then the bus. */
        RevocationEvent revoke(Database db, String serial) {
            RevocationEvent e =
                    new RevocationEvent(serial, "agents", "agent-" + serial, "keyCompromise", Instant.now());
            if (db != null) {
                db.commit(e);
            }
            bus.publish(e);
            return e;
        }

        int count(String serial) {
            return counts.getOrDefault(serial, 0);
        }
    }

    static String serial() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] = (byte) ((b[0] & 0x7f) | 0x10);
        return HexFormat.of().formatHex(b);
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    RedisServer redis(boolean appendOnly) throws Exception {
        RedisServer s = RedisServer.start(null, appendOnly);
        open.add(s);
        return s;
    }

    @Test
    void aRevocationOnOneNodeReachesEveryOtherNodeWithinOneSecondExactlyOnce() throws Exception {
        RedisServer server = redis(false);
        Database db = new Database();
        Node a = new Node(server, "a", db, Duration.ofMinutes(10));
        Node b = new Node(server, "b", db, Duration.ofMinutes(10));
        Node c = new Node(server, "c", null, Duration.ofMinutes(10));
        int n = 100;
        long[] micros = new long[2 * n];
        List<String> serials = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String s = serial();
            serials.add(s);
            long t0 = System.nanoTime();
            a.revoke(db, s);
            for (Node other : List.of(b, c)) {
                // The budget: a revocation reaches every PEP's server within 1 s.
                RevocationEvent got = other.received.poll(1, TimeUnit.SECONDS);
                assertThat(got)
                        .as("revocation %d reached node %s", i, other.relay.nodeId())
                        .isNotNull();
                assertThat(got.serial()).isEqualTo(s);
                assertThat(got.reason()).isEqualTo("keyCompromise");
                assertThat(got.agentId()).isEqualTo("agent-" + s);
            }
            micros[2 * i] = (b.arrivedNanos.get(s) - t0) / 1000;
            micros[2 * i + 1] = (c.arrivedNanos.get(s) - t0) / 1000;
        }
        Arrays.sort(micros);
        System.out.printf(
                "revocation fan-out over Redis, %d deliveries: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                micros.length,
                micros[micros.length / 2] / 1000.0,
                micros[(int) Math.ceil(micros.length * 0.99) - 1] / 1000.0,
                micros[micros.length - 1] / 1000.0);
        assertThat(micros[micros.length - 1]).isLessThan(1_000_000);
        Thread.sleep(300);
        for (String s : serials) {
            // No echo back to the origin, no duplicate at the others.
            assertThat(a.count(s)).isEqualTo(1);
            assertThat(b.count(s)).isEqualTo(1);
            assertThat(c.count(s)).isEqualTo(1);
        }
        assertThat(a.relay.status().appended()).isEqualTo(n);
        assertThat(b.relay.status().delivered()).isEqualTo(n);
        assertThat(b.relay.status().appended()).isZero();
        assertThat(a.relay.healthy()).isTrue();
    }

    @Test
    void aSerialIsDeliveredOnceWhoeverRepeatsIt() throws Exception {
        RedisServer server = redis(false);
        Node a = new Node(server, "a", null, Duration.ofMinutes(10));
        Node b = new Node(server, "b", null, Duration.ofMinutes(10));
        String s = serial();
        a.revoke(null, s);
        a.revoke(null, s); // published twice locally (e.g. a cascade and a direct revocation)
        // and appended again by some other node
        a.redis.await(
                a.redis
                        .commands()
                        .xadd(
                                "writ:writ.local:revocations",
                                Map.of(
                                        "serial",
                                        s,
                                        "ca",
                                        "agents",
                                        "reason",
                                        "superseded",
                                        "revoked_at",
                                        Instant.now().toString(),
                                        "origin",
                                        "z")),
                "XADD");
        String marker = serial();
        a.revoke(null, marker);
        await(() -> b.count(marker) == 1, Duration.ofSeconds(2), "the marker arrived");
        assertThat(b.count(s)).isEqualTo(1);
        assertThat(a.relay.status().appended()).isEqualTo(2);
    }

    @Test
    void afterRedisRestartsTheRelaysReconnectAndCatchUpFromTheirCursors() throws Exception {
        RedisServer server = redis(true); // append-only: the stream survives the restart
        Node a = new Node(server, "a", null, Duration.ofMinutes(10));
        Node b = new Node(server, "b", null, Duration.ofMinutes(10));
        String before = serial();
        a.revoke(null, before);
        await(() -> b.count(before) == 1, Duration.ofSeconds(2), "the first revocation arrived");

        server.stop();
        await(() -> !a.relay.healthy() && !b.relay.healthy(), Duration.ofSeconds(5), "both relays report the loss");
        assertThat(a.relay.status().lastError()).contains("127.0.0.1:" + server.port());
        String fromA = serial();
        String fromB = serial();
        a.revoke(null, fromA); // committed while Redis is away: waits in order, retried with backoff
        b.revoke(null, fromB);
        assertThat(a.relay.status().pendingOutbound()).isEqualTo(1);
        Thread.sleep(300);

        server.startAgain();
        await(() -> b.count(fromA) == 1 && a.count(fromB) == 1, Duration.ofSeconds(10), "both caught up");
        await(() -> a.relay.healthy() && b.relay.healthy(), Duration.ofSeconds(5), "both healthy again");
        // Resuming from the cursor does not replay what was already delivered.
        Thread.sleep(300);
        assertThat(b.count(before)).isEqualTo(1);
        assertThat(a.count(fromA)).isEqualTo(1);
        assertThat(b.count(fromA)).isEqualTo(1);

        // And the path is live again.
        String after = serial();
        long t0 = System.nanoTime();
        a.revoke(null, after);
        await(() -> b.count(after) == 1, Duration.ofSeconds(1), "a revocation after the restart arrived");
        assertThat(b.arrivedNanos.get(after) - t0).isLessThan(TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void aStreamLostWithRedisIsCaughtUpFromTheDatabase() throws Exception {
        RedisServer server = redis(false); // no persistence: a restart loses the stream
        Database db = new Database();
        Node a = new Node(server, "a", db, Duration.ofHours(1));
        Node b = new Node(server, "b", db, Duration.ofHours(1));
        String s1 = serial();
        a.revoke(db, s1);
        await(() -> b.count(s1) == 1, Duration.ofSeconds(2), "the first revocation arrived");

        server.stop();
        // Appended just before the crash and lost with it: here, committed with no append at all.
        String lost = serial();
        db.commit(new RevocationEvent(lost, "agents", null, "keyCompromise", Instant.now()));
        server.startAgain();
        await(() -> b.count(lost) == 1 && a.count(lost) == 1, Duration.ofSeconds(10), "caught up from the database");
        // The reset stream is read from the start: new appends arrive.
        String s2 = serial();
        a.revoke(db, s2);
        await(() -> b.count(s2) == 1, Duration.ofSeconds(2), "a new revocation arrived");
        assertThat(b.count(s1)).isEqualTo(1);
    }

    @Test
    void aNodeThatCrashedBeforeItsAppendIsCoveredByReconciliation() throws Exception {
        RedisServer server = redis(false);
        Database db = new Database();
        Node b = new Node(server, "b", db, Duration.ofSeconds(1));
        Node c = new Node(server, "c", null, Duration.ofMinutes(10)); // no database: learns only from the stream
        // Node A committed and died before appending: only the database knows.
        String s = serial();
        db.commit(new RevocationEvent(s, "agents", null, "keyCompromise", Instant.now()));
        await(() -> b.count(s) == 1, Duration.ofSeconds(5), "reconciliation delivered it");
        // B appends what it caught up, so nodes without the database hear of it too.
        await(() -> c.count(s) == 1, Duration.ofSeconds(2), "the node without a database heard of it");
        assertThat(b.relay.status().appended()).isEqualTo(1);
        Thread.sleep(200);
        assertThat(b.count(s)).isEqualTo(1);
    }

    @Test
    void aRevocationNobodyCommittedIsNeverDelivered() throws Exception {
        RedisServer server = redis(false);
        Database db = new Database();
        Node b = new Node(server, "b", db, Duration.ofHours(1));
        String forged = serial();
        String late = serial();
        String key = "writ:writ.local:revocations";
        for (String s : List.of(forged, late)) {
            b.redis.await(
                    b.redis
                            .commands()
                            .xadd(
                                    key,
                                    Map.of(
                                            "serial",
                                            s,
                                            "ca",
                                            "agents",
                                            "reason",
                                            "keyCompromise",
                                            "revoked_at",
                                            Instant.now().toString(),
                                            "origin",
                                            "intruder")),
                    "XADD");
        }
        // Malformed entries are ignored, never delivered half-read.
        b.redis.await(b.redis.commands().xadd(key, Map.of("serial", "not hex!", "origin", "x")), "XADD");
        Thread.sleep(200);
        // Committed a moment after its announcement (within the confirmation window): delivered.
        db.commit(new RevocationEvent(late, "agents", null, "keyCompromise", Instant.now()));
        await(() -> b.count(late) == 1, Duration.ofSeconds(2), "the committed one arrived");
        await(() -> b.relay.status().dropped() >= 2, Duration.ofSeconds(3), "the forged and malformed were dropped");
        assertThat(b.count(forged)).isZero();
        assertThat(b.relay.status().unconfirmed()).isZero();
    }

    @Test
    void startingWithoutRedisIsAClearError() throws Exception {
        RedisServer server = redis(false);
        RedisConnection c = RedisConnection.connect(server.uri(), Duration.ofSeconds(2));
        open.add(c);
        server.stop();
        RedisRevocationRelay relay =
                RedisRevocationRelay.builder(c, new RevocationBus(), DOMAIN).build();
        assertThatThrownBy(relay::start).isInstanceOfSatisfying(RedisException.class, e -> assertThat(e.code())
                .isIn(RedisException.UNAVAILABLE, RedisException.TIMEOUT));
        assertThat(relay.healthy()).isFalse();
        assertThatThrownBy(() -> RedisRevocationRelay.builder(c, new RevocationBus(), "bad:domain"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void streamIdsCompareNumerically() {
        assertThat(RedisRevocationRelay.compareIds("10-0", "9-5")).isPositive();
        assertThat(RedisRevocationRelay.compareIds("10-2", "10-10")).isNegative();
        assertThat(RedisRevocationRelay.compareIds("0-0", "0-0")).isZero();
    }
}
