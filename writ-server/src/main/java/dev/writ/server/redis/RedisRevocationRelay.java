package dev.writ.server.redis;

import dev.writ.server.events.RevocationBus;
import dev.writ.server.events.RevocationEvent;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins the {@link RevocationBus}es of every node of a trust domain through one Redis stream,
 * {@code writ:<domain>:revocations}, so a revocation committed on any node reaches every other node's bus subscribers
 * (OCSP cache, CRL publisher, and the PEPs on its {@code /v1/revocations/stream}) within about a millisecond plus one
 * network round trip. The bus knows nothing of Redis: the relay is one more bus subscriber, and publishes what it reads.
 *
 * <p><b>Outbound.</b> Every revocation published on the local bus (which happens only after its database commit) is
 * appended with {@code XADD ... MAXLEN ~ <n>} by a background thread; while Redis is unreachable the appends wait in
 * order in memory and are retried with backoff, so the bus's publishing thread never blocks on Redis.
 *
 * <p><b>Inbound.</b> A second thread reads the stream with {@code XREAD BLOCK} from a cursor (the id of the last entry
 * read), so after a disconnect it resumes exactly where it stopped. Entries this node appended are skipped; every
 * revocation is delivered to the local bus at most once per serial (and never back to Redis). With
 * {@link Builder#committed} set, an entry is delivered only once the database confirms that the certificate is revoked
 * (an entry nobody committed, e.g. forged by someone with write access to Redis, is dropped after the confirmation
 * window), and the relay also catches up from the database after each reconnect and periodically, which covers a Redis
 * restart that lost the stream and a node that crashed between its commit and its append.
 *
 * <p><b>Health.</b> {@link #healthy()} is false while Redis is unreachable, while the reader has not heard from Redis
 * within the staleness bound, or while an outbound revocation has been waiting longer than that bound.
 */
public final class RedisRevocationRelay implements AutoCloseable {
    /** How long one {@code XREAD} blocks waiting for news (the stream's latency does not depend on it). */
    static final long BLOCK_MILLIS = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(RedisRevocationRelay.class);
    private static final Pattern SERIAL = Pattern.compile("[0-9a-f]{1,64}");
    private static final Pattern CA = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern REASON = Pattern.compile("[A-Za-z]{1,40}");
    private static final String START = "0-0";

    private final RedisConnection redis;
    private final RevocationBus bus;
    private final String key;
    private final String nodeId;
    private final InstantSource clock;
    private final CommittedRevocations committed;
    private final long maxLength;
    private final long staleMillis;
    private final long confirmWindowMillis;
    private final long reconcileMillis;
    private final long catchUpMarginMillis;
    private final long minBackoffMillis;
    private final long maxBackoffMillis;

    /** Serials the local bus has (published locally, or delivered by this relay): never delivered to it again. */
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    /** Serials already in the stream (read from it, or appended by this node): never appended again. */
    private final Set<String> inStream = ConcurrentHashMap.newKeySet();

    private final LinkedBlockingDeque<Outgoing> outbox = new LinkedBlockingDeque<>();
    /** The revocation the writer is appending (taken from the outbox, not yet acknowledged), or null. */
    private volatile Outgoing inFlight;
    /** Entries read from Redis that the database has not confirmed yet, by serial, with their deadline. */
    private final Map<String, Unconfirmed> unconfirmed = new LinkedHashMap<>();

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    private volatile String cursor = START;
    private volatile boolean readerUp;
    private volatile boolean writerUp = true;
    private volatile long lastContactMillis;
    private volatile long lastReconcileMillis;
    private volatile String lastError;
    private volatile boolean closed;

    private StatefulRedisConnection<String, String> reader;
    private AutoCloseable subscription;
    private Thread readerThread;
    private Thread writerThread;

    private record Outgoing(RevocationEvent event, long queuedMillis) {}

    private record Unconfirmed(RevocationEvent event, long deadlineMillis) {}

    /**
     * What the relay is doing, for health endpoints and tests.
     *
     * @param connected whether the last read and the last append reached Redis
     * @param cursor the id of the last stream entry read
     * @param delivered revocations from other nodes delivered to the local bus
     * @param appended local revocations appended to the stream
     * @param pendingOutbound local revocations waiting to be appended
     * @param unconfirmed entries read but not yet confirmed by the database
     * @param dropped entries refused (malformed, or never confirmed)
     * @param lastError the last failure, redacted, or null
     */
    public record Status(
            boolean connected,
            String cursor,
            long delivered,
            long appended,
            int pendingOutbound,
            int unconfirmed,
            long dropped,
            String lastError) {}

    private RedisRevocationRelay(Builder b) {
        this.redis = b.redis;
        this.bus = b.bus;
        this.key = Keys.revocations(b.trustDomain);
        this.nodeId = b.nodeId != null ? b.nodeId : randomNodeId();
        this.clock = b.clock;
        this.committed = b.committed;
        this.maxLength = b.maxLength;
        this.staleMillis = b.staleAfter.toMillis();
        this.confirmWindowMillis = b.confirmWindow.toMillis();
        this.reconcileMillis = b.reconcileEvery.toMillis();
        this.catchUpMarginMillis = b.catchUpMargin.toMillis();
        this.minBackoffMillis = b.minBackoff.toMillis();
        this.maxBackoffMillis = b.maxBackoff.toMillis();
    }

    /**
     * A relay for {@code trustDomain} between {@code bus} and {@code redis}.
     *
     * @throws IllegalArgumentException when the trust domain name cannot be used in a key
     */
    public static Builder builder(RedisConnection redis, RevocationBus bus, String trustDomain) {
        return new Builder(redis, bus, trustDomain);
    }

    /**
     * Positions the cursor at the current end of the stream, subscribes to the bus and starts relaying.
     *
     * <p>Start the relay <em>before</em> anything that reads the revocations already committed from the database (for
     * example the server's revocation feed): whatever is appended after the cursor was taken is relayed, and whatever
     * was committed before is in the database.
     *
     * @throws RedisException when Redis cannot be reached ({@code redis.unavailable}, naming only {@code host:port})
     */
    public RedisRevocationRelay start() throws RedisException {
        // Listen first: a local revocation published while the relay starts waits in the outbox, it is not missed.
        subscription = bus.subscribe(this::onLocal);
        try {
            List<StreamMessage<String, String>> last =
                    redis.await(redis.commands().xrevrange(key, Range.create("-", "+"), Limit.from(1)), "XREVRANGE");
            cursor = last.isEmpty() ? START : last.get(0).getId();
            reader = redis.dedicated();
        } catch (RedisException | RuntimeException e) {
            close();
            throw e;
        }
        long now = clock.millis();
        lastContactMillis = now;
        lastReconcileMillis = now;
        readerUp = true;
        readerThread =
                Thread.ofPlatform().daemon().name("writ-redis-revocations-in").start(this::readLoop);
        writerThread =
                Thread.ofPlatform().daemon().name("writ-redis-revocations-out").start(this::writeLoop);
        LOG.info("revocation relay {} started on {} at cursor {}", nodeId, redis.endpoint(), cursor);
        return this;
    }

    /** This node's id in the stream's {@code origin} field. */
    public String nodeId() {
        return nodeId;
    }

    /**
     * Whether revocations flow both ways now: Redis reached by the last read and append, heard from within the
     * staleness bound, and no local revocation waiting longer than it. Never blocks.
     */
    public boolean healthy() {
        if (closed || !readerUp || !writerUp) {
            return false;
        }
        long now = clock.millis();
        if (now - lastContactMillis > staleMillis) {
            return false;
        }
        Outgoing oldest = inFlight != null ? inFlight : outbox.peekFirst();
        return oldest == null || now - oldest.queuedMillis() <= staleMillis;
    }

    public Status status() {
        int pending;
        synchronized (unconfirmed) {
            pending = unconfirmed.size();
        }
        return new Status(
                readerUp && writerUp,
                cursor,
                delivered.get(),
                appended.get(),
                outbox.size() + (inFlight != null ? 1 : 0),
                pending,
                dropped.get(),
                lastError);
    }

    // ---- outbound: local bus -> Redis -------------------------------------------------------------------------------

    /** Bus listener: must be fast and must not throw, so it only queues. */
    private void onLocal(RevocationEvent event) {
        String serial = event.serial().toLowerCase(Locale.ROOT);
        known.add(serial);
        // What came from the stream (or was already sent) is not sent again: no echo between nodes. A revocation this
        // relay caught up from the database is sent: whoever committed it may have died before appending it.
        if (closed || !inStream.add(serial)) {
            return;
        }
        outbox.addLast(new Outgoing(event, clock.millis()));
    }

    private void writeLoop() {
        long backoff = minBackoffMillis;
        while (!closed) {
            Outgoing next;
            try {
                next = outbox.pollFirst(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (next == null) {
                continue;
            }
            inFlight = next;
            while (!closed) {
                try {
                    append(next.event());
                    inFlight = null;
                    writerUp = true;
                    backoff = minBackoffMillis;
                    break;
                } catch (RedisException e) {
                    failed("cannot append revocation " + next.event().serial(), e);
                    writerUp = false;
                    backoff = sleepBackoff(backoff);
                    if (backoff < 0) {
                        return;
                    }
                }
            }
        }
    }

    private void append(RevocationEvent e) throws RedisException {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("serial", e.serial().toLowerCase(Locale.ROOT));
        fields.put("ca", e.ca());
        if (e.agentId() != null) {
            fields.put("agent", e.agentId());
        }
        fields.put("reason", e.reason());
        fields.put("revoked_at", e.revokedAt().toString());
        fields.put("origin", nodeId);
        XAddArgs args = XAddArgs.Builder.maxlen(maxLength).approximateTrimming();
        redis.await(redis.commands().xadd(key, args, fields), "XADD");
        appended.incrementAndGet();
    }

    // ---- inbound: Redis -> local bus --------------------------------------------------------------------------------

    private void readLoop() {
        long backoff = minBackoffMillis;
        boolean resync = false;
        while (!closed) {
            try {
                if (resync) {
                    resync();
                    resync = false;
                }
                long block;
                synchronized (unconfirmed) {
                    block = unconfirmed.isEmpty() ? BLOCK_MILLIS : 100;
                }
                List<StreamMessage<String, String>> batch = redis.await(
                        reader.async()
                                .xread(
                                        XReadArgs.Builder.block(block).count(256),
                                        XReadArgs.StreamOffset.from(key, cursor)),
                        block + redis.timeout().toMillis(),
                        "XREAD");
                lastContactMillis = clock.millis();
                readerUp = true;
                backoff = minBackoffMillis;
                for (StreamMessage<String, String> m : batch) {
                    cursor = m.getId();
                    received(m);
                }
                retryUnconfirmed();
                maybeReconcile();
            } catch (RedisException e) {
                if (closed) {
                    return;
                }
                failed("cannot read the revocation stream", e); // the error first: health readers look for it
                readerUp = false;
                resync = true;
                backoff = sleepBackoff(backoff);
                if (backoff < 0) {
                    return;
                }
            } catch (RuntimeException e) {
                // A bug must not stop the relay for good; the next pass retries from the same cursor.
                LOG.error("revocation relay failed; retrying", e);
                backoff = sleepBackoff(backoff);
                if (backoff < 0) {
                    return;
                }
            }
        }
    }

    /**
     * After a reconnect: a stream that is now missing or ends before the cursor was lost and recreated (Redis restarted
     * without persistence), so every entry in it is new and the cursor goes back to the start; then catch up from the
     * database over the outage (entries appended while we were away may have been lost with the old stream).
     */
    private void resync() throws RedisException {
        List<StreamMessage<String, String>> last =
                redis.await(redis.commands().xrevrange(key, Range.create("-", "+"), Limit.from(1)), "XREVRANGE");
        if (!cursor.equals(START) && (last.isEmpty() || compareIds(last.get(0).getId(), cursor) < 0)) {
            LOG.warn("revocation stream on {} was reset; reading it from the start", redis.endpoint());
            cursor = START;
        }
        LOG.info("revocation relay reconnected to {}", redis.endpoint());
        catchUp(lastContactMillis - catchUpMarginMillis);
    }

    private void maybeReconcile() {
        long now = clock.millis();
        if (committed != null && now - lastReconcileMillis >= reconcileMillis) {
            catchUp(lastReconcileMillis - catchUpMarginMillis);
        }
    }

    /** Delivers committed revocations since {@code sinceMillis} that this node has not seen. */
    private void catchUp(long sinceMillis) {
        if (committed == null) {
            return;
        }
        long started = clock.millis();
        try {
            int n = 0;
            for (RevocationEvent e : committed.revokedSince(Instant.ofEpochMilli(sinceMillis))) {
                if (deliver(e)) {
                    n++;
                }
            }
            lastReconcileMillis = started;
            if (n > 0) {
                LOG.warn("revocation relay caught up on {} revocation(s) from the database", n);
            }
        } catch (Exception e) {
            // The next pass tries again from the same point; nothing is skipped.
            LOG.warn("revocation relay cannot read the database to catch up: {}", e.toString());
        }
    }

    private void received(StreamMessage<String, String> m) {
        Map<String, String> f = m.getBody();
        if (nodeId.equals(f.get("origin"))) {
            return; // our own append: the local bus already has it
        }
        RevocationEvent e = parse(m.getId(), f);
        if (e == null) {
            return;
        }
        inStream.add(e.serial());
        if (known.contains(e.serial())) {
            return;
        }
        if (committed == null) {
            deliver(e);
            return;
        }
        long deadline = clock.millis() + confirmWindowMillis;
        if (!confirm(e, deadline)) {
            synchronized (unconfirmed) {
                unconfirmed.putIfAbsent(e.serial(), new Unconfirmed(e, deadline));
            }
        }
    }

    /** Delivers {@code e} if the database confirms it; returns false when it should be asked again later. */
    private boolean confirm(RevocationEvent e, long deadline) {
        try {
            if (committed.isRevoked(e.serial())) {
                deliver(e);
                return true;
            }
        } catch (Exception ex) {
            // Unknown is not "no": keep asking, however long the database is away.
            LOG.warn("cannot confirm revocation {} yet: {}", e.serial(), ex.toString());
            return false;
        }
        if (clock.millis() >= deadline) {
            // Redis says revoked, the database says not: a revocation nobody committed is never delivered.
            dropped.incrementAndGet();
            LOG.error(
                    "redis.revocation_unconfirmed: dropping revocation {} that the database does not hold", e.serial());
            return true;
        }
        return false;
    }

    private void retryUnconfirmed() {
        List<Unconfirmed> todo;
        synchronized (unconfirmed) {
            if (unconfirmed.isEmpty()) {
                return;
            }
            todo = new ArrayList<>(unconfirmed.values());
        }
        for (Unconfirmed u : todo) {
            if (known.contains(u.event().serial()) || confirm(u.event(), u.deadlineMillis())) {
                synchronized (unconfirmed) {
                    unconfirmed.remove(u.event().serial());
                }
            }
        }
    }

    /** Publishes on the local bus unless the bus already has this serial; true when delivered now. */
    private boolean deliver(RevocationEvent e) {
        if (!known.add(e.serial())) {
            return false;
        }
        bus.publish(e); // our own listener sends it on only when it did not come from the stream
        delivered.incrementAndGet();
        return true;
    }

    /** A stream entry as an event, or null (logged and counted) when a field is missing or malformed. */
    private RevocationEvent parse(String id, Map<String, String> f) {
        String serial = f.get("serial");
        String ca = f.get("ca");
        String reason = f.get("reason");
        String at = f.get("revoked_at");
        String agent = f.get("agent");
        try {
            if (serial == null || !SERIAL.matcher(serial).matches()) throw new IllegalArgumentException("serial");
            if (ca == null || !CA.matcher(ca).matches()) throw new IllegalArgumentException("ca");
            if (reason == null || !REASON.matcher(reason).matches()) throw new IllegalArgumentException("reason");
            if (at == null) throw new IllegalArgumentException("revoked_at");
            if (agent != null && agent.length() > 200) throw new IllegalArgumentException("agent");
            return new RevocationEvent(serial, ca, agent, reason, Instant.parse(at));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            dropped.incrementAndGet();
            LOG.warn("ignoring malformed revocation stream entry {} (field {})", id, e.getMessage());
            return null;
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------------------------------

    private void failed(String what, RedisException e) {
        String message = e.getMessage();
        if (!Objects.equals(message, lastError)) {
            LOG.warn("{}: {}; retrying with backoff", what, message);
        }
        lastError = message;
    }

    /** Sleeps a jittered backoff; returns the next one, or -1 when interrupted or closed. */
    private long sleepBackoff(long backoff) {
        long sleep = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
        try {
            Thread.sleep(sleep);
        } catch (InterruptedException e) {
            return -1;
        }
        return closed ? -1 : Math.min(maxBackoffMillis, backoff * 2);
    }

    /** Compares stream ids {@code <ms>-<seq>} numerically. */
    static int compareIds(String a, String b) {
        long[] x = splitId(a);
        long[] y = splitId(b);
        int c = Long.compareUnsigned(x[0], y[0]);
        return c != 0 ? c : Long.compareUnsigned(x[1], y[1]);
    }

    private static long[] splitId(String id) {
        int dash = id.indexOf('-');
        if (dash < 0) {
            return new long[] {Long.parseUnsignedLong(id), 0};
        }
        return new long[] {Long.parseUnsignedLong(id.substring(0, dash)), Long.parseUnsignedLong(id.substring(dash + 1))
        };
    }

    private static String randomNodeId() {
        byte[] b = new byte[8];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Stops relaying. Local revocations not yet appended are dropped from memory (other nodes then find them in the
     * database on their next reconciliation); the Redis connection itself belongs to the caller.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (subscription != null) {
                subscription.close();
            }
        } catch (Exception e) {
            LOG.warn("cannot unsubscribe the revocation relay from the bus", e);
        }
        for (Thread t : new Thread[] {readerThread, writerThread}) {
            if (t != null) {
                t.interrupt();
            }
        }
        if (reader != null) {
            try {
                reader.close();
            } catch (RuntimeException ignored) {
                // closing anyway
            }
        }
        for (Thread t : new Thread[] {readerThread, writerThread}) {
            if (t != null) {
                try {
                    t.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        int left = outbox.size() + (inFlight != null ? 1 : 0);
        if (left > 0) {
            LOG.warn("revocation relay closed with {} revocation(s) not yet appended", left);
        }
    }

    /** Relay settings. Required: the connection, the bus and the trust domain. */
    public static final class Builder {
        private final RedisConnection redis;
        private final RevocationBus bus;
        private final String trustDomain;
        private String nodeId;
        private InstantSource clock = InstantSource.system();
        private CommittedRevocations committed;
        private long maxLength = 100_000;
        private Duration staleAfter = Duration.ofSeconds(3);
        private Duration confirmWindow = Duration.ofSeconds(5);
        private Duration reconcileEvery = Duration.ofSeconds(30);
        private Duration catchUpMargin = Duration.ofSeconds(60);
        private Duration minBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(5);

        private Builder(RedisConnection redis, RevocationBus bus, String trustDomain) {
            this.redis = Objects.requireNonNull(redis, "redis");
            this.bus = Objects.requireNonNull(bus, "bus");
            this.trustDomain = Keys.domain(trustDomain);
        }

        /** This node's name in the stream (default: 64 random bits in hex); must be unique among the nodes. */
        public Builder nodeId(String id) {
            Objects.requireNonNull(id, "nodeId");
            if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("node id must be 1 to 64 of [A-Za-z0-9._-]");
            }
            this.nodeId = id;
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The shared database: deliver only revocations it confirms, and catch up from it after reconnects and every
         * {@link #reconcileEvery}. Without it, every well-formed entry is delivered and nothing is caught up.
         */
        public Builder committed(CommittedRevocations committed) {
            this.committed = Objects.requireNonNull(committed, "committed");
            return this;
        }

        /** The approximate number of entries the stream keeps (default 100,000). */
        public Builder maxLength(long entries) {
            if (entries < 1000) {
                throw new IllegalArgumentException("max length must be at least 1000");
            }
            this.maxLength = entries;
            return this;
        }

        /** How long without contact before {@link #healthy} turns false (default 3 s; more than one blocking read). */
        public Builder staleAfter(Duration d) {
            this.staleAfter = atLeast(d, Duration.ofMillis(BLOCK_MILLIS + 100), "staleness bound");
            return this;
        }

        /** How long an entry may wait for the database to confirm it before it is dropped (default 5 s). */
        public Builder confirmWindow(Duration d) {
            this.confirmWindow = atLeast(d, Duration.ZERO, "confirmation window");
            return this;
        }

        /** How often to reconcile with the database (default 30 s). */
        public Builder reconcileEvery(Duration d) {
            this.reconcileEvery = atLeast(d, Duration.ofSeconds(1), "reconciliation interval");
            return this;
        }

        /** How far before the last contact a catch-up reads (default 60 s: covers clock differences between nodes). */
        public Builder catchUpMargin(Duration d) {
            this.catchUpMargin = atLeast(d, Duration.ZERO, "catch-up margin");
            return this;
        }

        /** Retry backoff bounds (default 100 ms doubling to 5 s, with jitter). */
        public Builder backoff(Duration min, Duration max) {
            atLeast(min, Duration.ofMillis(1), "minimum backoff");
            if (max.compareTo(min) < 0) {
                throw new IllegalArgumentException("maximum backoff must not be below the minimum");
            }
            this.minBackoff = min;
            this.maxBackoff = max;
            return this;
        }

        public RedisRevocationRelay build() {
            return new RedisRevocationRelay(this);
        }

        private static Duration atLeast(Duration d, Duration min, String what) {
            Objects.requireNonNull(d, what);
            if (d.compareTo(min) < 0) {
                throw new IllegalArgumentException(what + " must be at least " + min.toMillis() + " ms");
            }
            return d;
        }
    }
}
