package dev.writ.server.log.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.LogVerificationException;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.log.SignedNote;
import dev.writ.core.log.TilePath;
import dev.writ.core.log.TiledTree;
import dev.writ.server.log.CheckpointSigner;
import dev.writ.server.log.LogEntries;
import dev.writ.server.log.LogException;
import dev.writ.server.log.TransparencyLog;
import dev.writ.server.log.postgres.TreeMath.Frontier;
import dev.writ.server.log.postgres.TreeMath.Node;
import dev.writ.server.store.StoreException;
import dev.writ.server.store.postgres.PostgresLocation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.flywaydb.core.Flyway;

/**
 * The audit log of a multi-node deployment: one RFC 6962 Merkle tree in PostgreSQL that any number of Writ nodes
 * append to and serve, each through its own {@code PostgresLog}. Tiles, entry bundles and proofs are byte for byte
 * those of {@link dev.writ.server.log.AuditLog}, so tlog-tiles clients and {@code writ log verify} work against either.
 *
 * <p><b>Sequencing.</b> Each node group-commits its concurrent appends: one sequencer thread takes a batch, computes
 * the new hashes from the tree's right edge (cached, see below), signs one checkpoint for the batch, and writes the
 * entries, every new hash, the jti index, the checkpoint and the new sequencer state in <em>one</em> statement that
 * only takes effect while the sequencer row still holds the size the batch was computed from. That row is the single
 * sequencer: writers from all nodes serialise on its row lock, and a writer whose cached size is stale writes nothing.
 * It then locks the row ({@code SELECT ... FOR UPDATE}), re-reads size and right edge, recomputes, writes and commits,
 * and keeps using the locking path for a while (the other node is busy too). So a batch costs one round trip while
 * this node is the only writer, three under contention.
 *
 * <p><b>Guarantees.</b> {@link #append} returns only after the batch's transaction committed with
 * {@code synchronous_commit = on} (set on every connection of this log's own pool): the entry is durable and covered
 * by the returned, freshly signed checkpoint. Any database error fails the whole batch (nothing is acknowledged that
 * is not committed) and makes the next batch re-read the sequencer row; the log keeps accepting appends, so a
 * transient outage does not need a restart. Every checkpoint any node hands out is of the one tree in the database.
 *
 * <p><b>Reading.</b> {@link #checkpoint} and {@link #size} read the sequencer row (one query), so every node serves
 * the newest tree whoever appended it. Full tiles and entry bundles never change and are cached in memory; partial
 * ones and proofs are read from the database (one query each).
 *
 * <p>Schema: migration {@code V350__transparency_log.sql} (tables {@code log_sequencer}, {@code log_entries},
 * {@code log_hashes}, {@code log_checkpoints}, {@code log_jti}); {@link #open} applies pending migrations.
 */
public final class PostgresLog implements TransparencyLog {
    private static final int H = Merkle.HASH_SIZE;
    /** Batches that use the locking path after a stale optimistic write. */
    private static final int CONTENDED_BATCHES = 32;

    /**
     * Tuning.
     *
     * @param maxEntrySize largest entry accepted, at most {@link TransparencyLog#MAX_ENTRY_SIZE}
     * @param maxBatch most entries sequenced in one transaction
     * @param maxBatchBytes most entry bytes sequenced in one transaction (a larger single entry still goes alone)
     * @param poolSize connections of this log's pool (one is the sequencer's), at least 2
     * @param tileCacheBytes memory for cached full tiles and entry bundles
     */
    public record Options(int maxEntrySize, int maxBatch, int maxBatchBytes, int poolSize, long tileCacheBytes) {
        public Options {
            if (maxEntrySize < 1 || maxEntrySize > MAX_ENTRY_SIZE) {
                throw new IllegalArgumentException("maxEntrySize must be between 1 and 65535");
            }
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch must be positive");
            }
            if (maxBatchBytes < 1) {
                throw new IllegalArgumentException("maxBatchBytes must be positive");
            }
            if (poolSize < 2) {
                throw new IllegalArgumentException("poolSize must be at least 2");
            }
            if (tileCacheBytes < 0) {
                throw new IllegalArgumentException("tileCacheBytes must not be negative");
            }
        }

        /** 64 KiB entries, batches of up to 4096 entries or 8 MiB, 8 connections, 64 MiB of tile cache. */
        public static Options defaults() {
            return new Options(MAX_ENTRY_SIZE, 4096, 8 << 20, 8, 64L << 20);
        }

        public Options withPoolSize(int n) {
            return new Options(maxEntrySize, maxBatch, maxBatchBytes, n, tileCacheBytes);
        }
    }

    /**
     * Counters since open: batches committed, entries acknowledged, database round trips made by the sequencer
     * (statements and commits), and stale optimistic writes (another node had appended).
     */
    public record Stats(long batches, long entries, long roundTrips, long conflicts) {}

    private record Published(long size, byte[] note) {}

    private static final class Request {
        final byte[] entry;
        final byte[] leafHash;
        final byte[] jtiHash;
        final CompletableFuture<LogReceipt> done = new CompletableFuture<>();

        Request(byte[] entry) {
            this.entry = entry;
            this.leafHash = Merkle.leafHash(entry);
            String jti = LogEntries.jtiOf(entry);
            this.jtiHash = jti == null ? null : sha256(jti);
        }
    }

    /** A batch ready to write: the tree after it, its new nodes and its signed checkpoint. */
    private record Prepared(
            long start, Frontier after, Map<Node, byte[]> known, List<Node> nodes, byte[] root, byte[] note) {}

    private static final String WRITE =
            """
            WITH seq AS (
                UPDATE log_sequencer SET size = ?, root = ?, frontier = ?, checkpoint = ?
                WHERE id = 1 AND size = ?
                RETURNING size
            ), e AS (
                INSERT INTO log_entries (leaf_index, entry)
                SELECT * FROM unnest(?::bigint[], ?::bytea[]) WHERE EXISTS (SELECT 1 FROM seq)
            ), h AS (
                INSERT INTO log_hashes (level, node_index, hash)
                SELECT * FROM unnest(?::smallint[], ?::bigint[], ?::bytea[]) WHERE EXISTS (SELECT 1 FROM seq)
            ), j AS (
                INSERT INTO log_jti (jti_hash, leaf_index)
                SELECT * FROM unnest(?::bytea[], ?::bigint[]) WHERE EXISTS (SELECT 1 FROM seq)
                ON CONFLICT (jti_hash) DO NOTHING
            ), c AS (
                INSERT INTO log_checkpoints (size, checkpoint) SELECT size, ? FROM seq
            )
            SELECT count(*) FROM seq""";

    private final HikariDataSource pool;
    private final String where;
    private final CheckpointSigner signer;
    private final NoteVerifier verifier;
    private final Options options;
    private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private final TileCache tiles;
    private final Thread sequencer;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong roundTrips = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();

    // Owned by the sequencer thread.
    private Connection connection;
    private Frontier frontier; // null: unknown, re-read under the row lock
    private int contended;
    private Request carried;

    private volatile Published published;
    private volatile boolean signerChecked;
    private volatile boolean closing;
    private volatile CommitObserver commitObserver = (entries, nanos) -> {};

    private PostgresLog(HikariDataSource pool, String where, CheckpointSigner signer, Options options) {
        this.pool = pool;
        this.where = where;
        this.signer = signer;
        this.verifier = signer.verifier();
        this.options = options;
        this.tiles = new TileCache(options.tileCacheBytes());
        this.sequencer =
                Thread.ofPlatform().name("writ-pglog-sequencer").daemon().unstarted(this::run);
    }

    /** Opens the log in the database at {@code location} with default options. */
    public static PostgresLog open(String location, CheckpointSigner signer) throws LogException {
        return open(location, signer, Options.defaults());
    }

    /**
     * Connects to the database at {@code location} ({@code postgresql://user:password@host:port/database} or
     * {@code jdbc:postgresql://...}, as for {@link dev.writ.server.store.postgres.PostgresStore}) with a pool of its
     * own, applies pending migrations, creates the log when the database has none (signing the empty tree), and
     * checks that the stored tree is this log's: same origin, its checkpoint verifies with {@code signer}'s key, and
     * its right edge produces the checkpoint's root. Every node of a deployment opens the log with the same location
     * and an equal signer (the same key in shared custody).
     *
     * @throws LogException {@code log.unavailable} when the database cannot be reached or migrated (the message names
     *     host, port and database, never the password); {@code log.corrupt} when the stored log is of another origin
     *     or key, or inconsistent; {@code log.signer} when the key cannot sign
     */
    public static PostgresLog open(String location, CheckpointSigner signer, Options options) throws LogException {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(options, "options");
        PostgresLocation at;
        try {
            at = PostgresLocation.parse(location);
        } catch (StoreException e) {
            throw new LogException("log.unavailable", e.getMessage(), e);
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("writ-log");
        config.setJdbcUrl(at.jdbcUrl());
        if (at.user() != null) {
            config.setUsername(at.user());
        }
        if (at.password() != null) {
            config.setPassword(at.password());
        }
        config.setMaximumPoolSize(options.poolSize());
        config.setMinimumIdle(2);
        config.setAutoCommit(true);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        config.setConnectionTimeout(10_000);
        // Durable before acknowledged, whatever the server's default: commits wait for the WAL flush. A node that
        // dies or hangs inside a sequencing transaction must not hold the sequencer row for the others for long,
        // and a node waiting for the row fails its batch (nothing acknowledged) rather than hanging.
        config.setConnectionInitSql("SET synchronous_commit TO on; SET idle_in_transaction_session_timeout TO '10s';"
                + " SET lock_timeout TO '10s'");
        config.addDataSourceProperty("connectTimeout", "10");
        config.addDataSourceProperty("socketTimeout", "60");
        config.addDataSourceProperty("ApplicationName", "writ-log");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new LogException("log.unavailable", "cannot connect to PostgreSQL at " + at.describe(), e);
        }
        try {
            Flyway.configure(PostgresLog.class.getClassLoader())
                    .dataSource(pool)
                    .locations("classpath:db/migration/postgresql")
                    .loggers("slf4j")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw new LogException("log.unavailable", "database migration failed on PostgreSQL at " + at.describe(), e);
        }
        PostgresLog log = new PostgresLog(pool, at.describe(), signer, options);
        try {
            log.init();
        } catch (LogException | RuntimeException e) {
            pool.close();
            throw e;
        }
        log.sequencer.start();
        return log;
    }

    private void init() throws LogException {
        Prepared empty = prepare(Frontier.empty(), List.of());
        try (Connection c = pool.getConnection()) {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO log_sequencer (id, origin, size, root, frontier, checkpoint) VALUES (1, ?, 0, ?, ?, ?)"
                            + " ON CONFLICT (id) DO NOTHING")) {
                s.setString(1, signer.name());
                s.setBytes(2, empty.root());
                s.setBytes(3, new byte[0]);
                s.setBytes(4, empty.note());
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO log_checkpoints (size, checkpoint) VALUES (0, ?) ON CONFLICT (size) DO NOTHING")) {
                s.setBytes(1, empty.note());
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement(
                            "SELECT origin, size, root, frontier, checkpoint FROM log_sequencer WHERE id = 1");
                    ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new LogException("log.corrupt", "the log's sequencer row is missing");
                }
                // Two logs in one database would share a tree: refuse a stored log of another origin.
                if (!signer.name().equals(r.getString(1))) {
                    throw new LogException("log.corrupt", "the database holds the log of another origin");
                }
                long size = r.getLong(2);
                Frontier f;
                try {
                    f = Frontier.decode(size, r.getBytes(4));
                } catch (IllegalArgumentException e) {
                    throw new LogException("log.corrupt", e.getMessage());
                }
                byte[] note = r.getBytes(5);
                Checkpoint cp = verify(note);
                // The right edge the next batch builds on must produce the tree the log has signed.
                if (cp.size() != size
                        || !MessageDigest.isEqual(cp.rootHash(), f.root())
                        || !MessageDigest.isEqual(cp.rootHash(), r.getBytes(3))) {
                    throw new LogException("log.corrupt", "the sequencer state does not match its signed checkpoint");
                }
                published = new Published(size, note);
            }
        } catch (SQLException e) {
            throw unavailable("cannot read the log's sequencer state", e);
        }
    }

    private Checkpoint verify(byte[] note) throws LogException {
        try {
            return Checkpoint.verify(note, verifier).checkpoint();
        } catch (LogVerificationException e) {
            throw new LogException("log.corrupt", "a stored checkpoint does not verify with the log key", e);
        }
    }

    private LogException unavailable(String message, SQLException e) {
        return new LogException("log.unavailable", message + " (PostgreSQL at " + where + ")", e);
    }

    // ---------------------------------------------------------------- appending

    @Override
    public CompletableFuture<LogReceipt> appendAsync(byte[] entry) throws LogException {
        Objects.requireNonNull(entry, "entry");
        if (entry.length > options.maxEntrySize()) {
            throw new LogException(
                    "log.entry.too_large", "log entries are limited to " + options.maxEntrySize() + " bytes");
        }
        Request r = new Request(entry.clone());
        gate.readLock().lock();
        try {
            if (closing) {
                throw new LogException("log.closed", "the log is closed");
            }
            queue.add(r);
        } finally {
            gate.readLock().unlock();
        }
        return r.done;
    }

    private void run() {
        List<Request> batch = new ArrayList<>();
        while (true) {
            Request first = carried;
            carried = null;
            if (first == null) {
                try {
                    first = queue.poll(50, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    first = null;
                }
            }
            if (first == null) {
                if (closing && queue.isEmpty()) {
                    closeConnection();
                    return;
                }
                continue;
            }
            batch.add(first);
            long bytes = first.entry.length;
            while (batch.size() < options.maxBatch()) {
                Request next = queue.poll();
                if (next == null) {
                    break;
                }
                if (bytes + next.entry.length > options.maxBatchBytes()) {
                    carried = next;
                    break;
                }
                batch.add(next);
                bytes += next.entry.length;
            }
            commit(batch);
            batch.clear();
        }
    }

    private void commit(List<Request> batch) {
        long began = System.nanoTime();
        for (int attempt = 0; attempt < 4; attempt++) {
            boolean locking = frontier == null || contended > 0 || attempt > 0;
            Prepared p;
            try {
                Connection c = connection();
                if (locking) {
                    p = commitLocked(c, batch);
                } else {
                    p = prepare(frontier, batch);
                    roundTrips.incrementAndGet();
                    if (!write(c, p, batch)) {
                        // Another node appended since this node's last batch: nothing was written; lock and redo.
                        conflicts.incrementAndGet();
                        frontier = null;
                        contended = CONTENDED_BATCHES;
                        continue;
                    }
                }
            } catch (SQLException | RuntimeException e) {
                // The outcome is unknown (the commit may or may not have happened): acknowledge nothing, forget the
                // cached right edge and re-read it under the lock next time.
                frontier = null;
                closeConnection();
                fail(batch, new LogException("log.unavailable", "the audit log database did not take the batch", e));
                return;
            } catch (LogException e) {
                fail(batch, e);
                return;
            }
            frontier = p.after();
            if (contended > 0) {
                contended--;
            }
            batches.incrementAndGet();
            acked.addAndGet(batch.size());
            commitObserver.committed(batch.size(), System.nanoTime() - began);
            advance(new Published(p.after().size(), p.note()));
            try {
                TreeMath.Nodes nodes = TreeMath.of(p.known());
                Map<Long, byte[]> memo = new HashMap<>();
                long n = p.after().size();
                for (int i = 0; i < batch.size(); i++) {
                    long index = p.start() + i;
                    batch.get(i)
                            .done
                            .complete(new LogReceipt(index, TreeMath.inclusionProof(index, n, nodes, memo), p.note()));
                }
            } catch (RuntimeException e) {
                fail(batch, new LogException("log.unavailable", "cannot build inclusion proofs", e));
            }
            return;
        }
        fail(batch, new LogException("log.unavailable", "the audit log is too contended to sequence the batch"));
    }

    /** The locking path: serialise on the sequencer row, rebuild from its state, write, commit. */
    private Prepared commitLocked(Connection c, List<Request> batch) throws SQLException, LogException {
        c.setAutoCommit(false);
        boolean ok = false;
        try {
            Frontier base;
            roundTrips.incrementAndGet();
            try (PreparedStatement s =
                            c.prepareStatement("SELECT size, frontier FROM log_sequencer WHERE id = 1 FOR UPDATE");
                    ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    throw new LogException("log.corrupt", "the log's sequencer row is missing");
                }
                long size = r.getLong(1);
                // The cached right edge is still good when nobody else appended; otherwise take the stored one.
                base = frontier != null && frontier.size() == size ? frontier : Frontier.decode(size, r.getBytes(2));
            }
            Prepared p = prepare(base, batch);
            roundTrips.incrementAndGet();
            if (!write(c, p, batch)) {
                throw new IllegalStateException("the sequencer row moved while locked");
            }
            roundTrips.incrementAndGet();
            c.commit();
            ok = true;
            return p;
        } finally {
            if (!ok) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is dropped by the caller
                }
            }
            c.setAutoCommit(true);
        }
    }

    private Prepared prepare(Frontier base, List<Request> batch) throws LogException {
        Frontier f = base.copy();
        Map<Node, byte[]> known = base.nodes();
        List<Node> nodes = new ArrayList<>(batch.size() * 2 + 8);
        for (Request r : batch) {
            f.append(r.leafHash, (level, index, hash) -> {
                Node n = new Node(level, index);
                nodes.add(n);
                known.put(n, hash);
            });
        }
        byte[] root = f.root();
        String text = new Checkpoint(signer.name(), f.size(), root, List.of()).text();
        byte[] sig = signer.sign(text.getBytes(StandardCharsets.UTF_8));
        byte[] note = SignedNote.format(text, verifier.name(), verifier.keyHash(), sig)
                .getBytes(StandardCharsets.UTF_8);
        // The signer must produce signatures that verify with the published key: checked on the first checkpoint
        // this process signs (a wrong key, token or algorithm shows there, and the log refuses to run). Later
        // signatures are not re-verified on the append path: the key cannot change, and a faulty signature could only
        // make verifiers refuse a receipt (fail closed), never accept a false one.
        if (!signerChecked) {
            try {
                Checkpoint.verify(note, verifier);
            } catch (LogVerificationException e) {
                throw new LogException("log.signer", "the log key produced an invalid checkpoint signature");
            }
            signerChecked = true;
        }
        return new Prepared(base.size(), f, known, nodes, root, note);
    }

    /** The one write statement; false when the sequencer row no longer holds the batch's starting size. */
    private boolean write(Connection c, Prepared p, List<Request> batch) throws SQLException {
        int n = (int) (p.after().size() - p.start());
        Long[] entryIndex = new Long[n];
        for (int i = 0; i < n; i++) {
            entryIndex[i] = p.start() + i;
        }
        Short[] levels = new Short[p.nodes().size()];
        Long[] nodeIndex = new Long[levels.length];
        byte[][] hashes = new byte[levels.length][];
        for (int i = 0; i < levels.length; i++) {
            Node node = p.nodes().get(i);
            levels[i] = (short) node.level();
            nodeIndex[i] = node.index();
            hashes[i] = p.known().get(node);
        }
        byte[][] entries = new byte[n][];
        List<byte[]> jtiHashes = new ArrayList<>();
        List<Long> jtiIndex = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            Request r = batch.get(i);
            entries[i] = r.entry;
            // The first occurrence of a jti wins, within the batch as across batches.
            if (r.jtiHash != null && seen.add(java.util.HexFormat.of().formatHex(r.jtiHash))) {
                jtiHashes.add(r.jtiHash);
                jtiIndex.add(p.start() + i);
            }
        }
        try (PreparedStatement s = c.prepareStatement(WRITE)) {
            s.setLong(1, p.after().size());
            s.setBytes(2, p.root());
            s.setBytes(3, p.after().encode());
            s.setBytes(4, p.note());
            s.setLong(5, p.start());
            List<Array> arrays = new ArrayList<>();
            s.setArray(6, array(c, arrays, "int8", entryIndex));
            s.setArray(7, array(c, arrays, "bytea", entries));
            s.setArray(8, array(c, arrays, "int2", levels));
            s.setArray(9, array(c, arrays, "int8", nodeIndex));
            s.setArray(10, array(c, arrays, "bytea", hashes));
            s.setArray(11, array(c, arrays, "bytea", jtiHashes.toArray(new byte[0][])));
            s.setArray(12, array(c, arrays, "int8", jtiIndex.toArray(new Long[0])));
            s.setBytes(13, p.note());
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1) == 1;
            } finally {
                for (Array a : arrays) {
                    a.free();
                }
            }
        }
    }

    private static Array array(Connection c, List<Array> keep, String type, Object[] values) throws SQLException {
        Array a = c.createArrayOf(type, values);
        keep.add(a);
        return a;
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            connection = pool.getConnection();
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // a broken connection is discarded by the pool
            }
            connection = null;
        }
    }

    private static void fail(List<Request> batch, LogException e) {
        for (Request r : batch) {
            r.done.completeExceptionally(new LogException(e.code(), e.getMessage(), e.getCause()));
        }
    }

    /** Records a newer checkpoint (sizes only grow). */
    private void advance(Published p) {
        synchronized (this) {
            if (published == null || p.size() > published.size()) {
                published = p;
            }
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- reading

    /** Open, and the database answers within a second (appends fail closed while it does not). */
    @Override
    public boolean writable() {
        if (closing) {
            return false;
        }
        try (Connection c = pool.getConnection()) {
            return c.isValid(1);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void observeCommits(CommitObserver observer) {
        this.commitObserver = Objects.requireNonNull(observer, "observer");
    }

    /** Counters since open (see {@link Stats}). */
    public Stats stats() {
        return new Stats(batches.get(), acked.get(), roundTrips.get(), conflicts.get());
    }

    @Override
    public NoteVerifier verifier() {
        return verifier;
    }

    @Override
    public String origin() {
        return signer.name();
    }

    /** Reads the newest checkpoint from the database (whichever node signed it) and verifies it once. */
    private Published current() throws LogException {
        try (Connection c = pool.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT size, checkpoint FROM log_sequencer WHERE id = 1");
                ResultSet r = s.executeQuery()) {
            if (!r.next()) {
                throw new LogException("log.corrupt", "the log's sequencer row is missing");
            }
            long size = r.getLong(1);
            Published known = published;
            if (size <= known.size()) {
                return known;
            }
            byte[] note = r.getBytes(2);
            // Hand out only what verifies with this log's key and says what the row says.
            if (verify(note).size() != size) {
                throw new LogException("log.corrupt", "the stored checkpoint is not of the stored tree size");
            }
            Published p = new Published(size, note);
            advance(p);
            return p;
        } catch (SQLException e) {
            throw unavailable("cannot read the log's checkpoint", e);
        }
    }

    /** A published tree of at least {@code size} leaves, reading the database only when this node has not seen one. */
    private Published atLeast(long size) throws LogException {
        Published p = published;
        return p.size() >= size ? p : current();
    }

    @Override
    public byte[] checkpoint() throws LogException {
        return current().note().clone();
    }

    @Override
    public long size() throws LogException {
        return current().size();
    }

    @Override
    public byte[] entry(long index) throws LogException {
        long s = index < 0 ? 0 : atLeast(index + 1).size();
        if (index < 0 || index >= s) {
            throw new LogException("log.not_found", "no entry " + index + " in a log of size " + s);
        }
        try (Connection c = pool.getConnection();
                PreparedStatement st = c.prepareStatement("SELECT entry FROM log_entries WHERE leaf_index = ?")) {
            st.setLong(1, index);
            try (ResultSet r = st.executeQuery()) {
                if (!r.next()) {
                    throw new LogException("log.corrupt", "entry " + index + " is missing below the log size");
                }
                return r.getBytes(1);
            }
        } catch (SQLException e) {
            throw unavailable("cannot read the entry", e);
        }
    }

    @Override
    public OptionalLong indexOfJti(String jti) throws LogException {
        Objects.requireNonNull(jti, "jti");
        long index;
        try (Connection c = pool.getConnection();
                PreparedStatement st = c.prepareStatement("SELECT leaf_index FROM log_jti WHERE jti_hash = ?")) {
            st.setBytes(1, sha256(jti));
            try (ResultSet r = st.executeQuery()) {
                if (!r.next()) {
                    return OptionalLong.empty();
                }
                index = r.getLong(1);
            }
        } catch (SQLException e) {
            throw unavailable("cannot read the jti index", e);
        }
        // The index is keyed by a digest: confirm against the entry itself before answering.
        if (!jti.equals(LogEntries.jtiOf(entry(index)))) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(index);
    }

    /** Runs {@code computation} over the stored nodes it needs, fetched in one query. */
    private <T> T withNodes(java.util.function.Function<TreeMath.Nodes, T> computation) throws LogException {
        TreeMath.Recorder rec = TreeMath.recorder();
        computation.apply(rec);
        Map<Node, byte[]> found = fetch(rec.asked);
        try {
            return computation.apply(TreeMath.of(found));
        } catch (IllegalStateException e) {
            throw new LogException("log.corrupt", "a stored hash of the tree is missing", e);
        }
    }

    private Map<Node, byte[]> fetch(java.util.Collection<Node> wanted) throws LogException {
        Map<Node, byte[]> out = new HashMap<>();
        if (wanted.isEmpty()) {
            return out;
        }
        Short[] levels = new Short[wanted.size()];
        Long[] indices = new Long[wanted.size()];
        int i = 0;
        for (Node n : wanted) {
            levels[i] = (short) n.level();
            indices[i] = n.index();
            i++;
        }
        try (Connection c = pool.getConnection();
                PreparedStatement st = c.prepareStatement("SELECT level, node_index, hash FROM log_hashes"
                        + " WHERE (level, node_index) IN (SELECT * FROM unnest(?::smallint[], ?::bigint[]))")) {
            Array a = c.createArrayOf("int2", levels);
            Array b = c.createArrayOf("int8", indices);
            st.setArray(1, a);
            st.setArray(2, b);
            try (ResultSet r = st.executeQuery()) {
                while (r.next()) {
                    out.put(new Node(r.getShort(1), r.getLong(2)), r.getBytes(3));
                }
            } finally {
                a.free();
                b.free();
            }
        } catch (SQLException e) {
            throw unavailable("cannot read the tree", e);
        }
        return out;
    }

    @Override
    public List<byte[]> inclusionProof(long index, long treeSize) throws LogException {
        long s = treeSize < 1 ? 0 : atLeast(treeSize).size();
        if (treeSize < 1 || treeSize > s) {
            throw new LogException("log.range", "tree size " + treeSize + " is not between 1 and the log size");
        }
        if (index < 0 || index >= treeSize) {
            throw new LogException("log.range", "index " + index + " is not in a tree of size " + treeSize);
        }
        return withNodes(nodes -> TreeMath.inclusionProof(index, treeSize, nodes, null));
    }

    @Override
    public List<byte[]> consistencyProof(long from, long to) throws LogException {
        long s = atLeast(Math.max(to, 0)).size();
        if (from < 1 || from > to || to > s) {
            throw new LogException("log.range", "sizes must satisfy 1 <= from <= to <= " + s);
        }
        return withNodes(nodes -> TreeMath.consistencyProof(from, to, nodes));
    }

    @Override
    public byte[] rootHash(long treeSize) throws LogException {
        if (treeSize < 0 || treeSize > atLeast(treeSize).size()) {
            throw new LogException("log.range", "tree size is larger than the log");
        }
        return withNodes(nodes -> TreeMath.root(treeSize, nodes));
    }

    @Override
    public byte[] tile(TilePath path) throws LogException {
        boolean full = path.width() == TilePath.FULL_WIDTH;
        if (full) {
            byte[] cached = tiles.get(path);
            if (cached != null) {
                return cached.clone();
            }
        }
        // The smallest tree that holds the requested width of this tile.
        int shift = path.isEntries() ? 0 : TilePath.HEIGHT * path.level();
        long needed = Long.MAX_VALUE;
        if (path.index() < (Long.MAX_VALUE >>> 9) && shift < 62) {
            long count = path.index() * TilePath.FULL_WIDTH + path.width();
            if (count <= (Long.MAX_VALUE >>> shift)) {
                needed = count << shift;
            }
        }
        Published p = atLeast(needed);
        if (TiledTree.tileWidth(path.level(), path.index(), p.size()) < path.width()) {
            throw new LogException("log.not_found", "no such tile in the current tree");
        }
        byte[] out = readTileFromDatabase(path);
        if (full) {
            tiles.put(path, out.clone());
        }
        return out;
    }

    private byte[] readTileFromDatabase(TilePath path) throws LogException {
        long first = path.index() * TilePath.FULL_WIDTH;
        String sql = path.isEntries()
                ? "SELECT entry FROM log_entries WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"
                : "SELECT hash FROM log_hashes WHERE level = ? AND node_index >= ? AND node_index < ?"
                        + " ORDER BY node_index";
        ByteArrayOutputStream out = new ByteArrayOutputStream(path.isEntries() ? 4096 : path.width() * H);
        int rows = 0;
        try (Connection c = pool.getConnection();
                PreparedStatement st = c.prepareStatement(sql)) {
            int i = 1;
            if (!path.isEntries()) {
                st.setShort(i++, (short) (8 * path.level()));
            }
            st.setLong(i++, first);
            st.setLong(i, first + path.width());
            try (ResultSet r = st.executeQuery()) {
                while (r.next()) {
                    byte[] b = r.getBytes(1);
                    if (path.isEntries()) {
                        // tlog-tiles entry bundle: big-endian uint16 length, then the entry.
                        out.write(b.length >>> 8);
                        out.write(b.length & 0xff);
                    }
                    out.write(b, 0, b.length);
                    rows++;
                }
            }
        } catch (SQLException e) {
            throw unavailable("cannot read the tile", e);
        }
        if (rows != path.width()) {
            throw new LogException("log.corrupt", "tile " + path + " is missing rows below the log size");
        }
        return out.toByteArray();
    }

    /**
     * Audits the stored log against its newest checkpoint: every entry bundle and tile recomputes (see
     * {@link TiledTree#auditLog}, read from the database, never from the cache), and every stored hash equals the hash
     * of its children. Reads everything: an offline check.
     */
    @Override
    public long audit() throws LogException {
        Published p = current();
        Checkpoint cp = verify(p.note());
        try {
            TiledTree.auditLog(cp.size(), cp.rootHash(), path -> {
                try {
                    return readTileFromDatabase(path);
                } catch (LogException e) {
                    throw new IOException(e.getMessage(), e);
                }
            });
        } catch (LogVerificationException | IOException e) {
            throw new LogException("log.corrupt", e.getMessage(), e);
        }
        checkInteriorHashes(cp.size());
        return cp.size();
    }

    private void checkInteriorHashes(long size) throws LogException {
        int chunk = 4096;
        try (Connection c = pool.getConnection();
                PreparedStatement st = c.prepareStatement("SELECT node_index, hash FROM log_hashes"
                        + " WHERE level = ? AND node_index >= ? AND node_index < ? ORDER BY node_index")) {
            for (int h = 1; (size >>> h) > 0; h++) {
                long count = size >>> h;
                for (long k = 0; k < count; k += chunk) {
                    long n = Math.min(chunk, count - k);
                    byte[][] below = rows(st, h - 1, 2 * k, 2 * n);
                    byte[][] here = rows(st, h, k, n);
                    for (int i = 0; i < n; i++) {
                        if (!MessageDigest.isEqual(Merkle.nodeHash(below[2 * i], below[2 * i + 1]), here[i])) {
                            throw new LogException(
                                    "log.corrupt", "stored hashes at level " + h + " do not match the level below");
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw unavailable("cannot read the tree", e);
        }
    }

    private static byte[][] rows(PreparedStatement st, int level, long from, long n) throws SQLException, LogException {
        st.setShort(1, (short) level);
        st.setLong(2, from);
        st.setLong(3, from + n);
        byte[][] out = new byte[(int) n][];
        try (ResultSet r = st.executeQuery()) {
            int i = 0;
            while (r.next()) {
                if (r.getLong(1) != from + i) {
                    throw new LogException("log.corrupt", "a stored hash at level " + level + " is missing");
                }
                out[i++] = r.getBytes(2);
            }
            if (i != n) {
                throw new LogException("log.corrupt", "a stored hash at level " + level + " is missing");
            }
        }
        return out;
    }

    /**
     * Stops accepting appends, sequences everything already accepted, and closes this node's pool. The log in the
     * database stays for the other nodes. Idempotent.
     */
    @Override
    public void close() {
        gate.writeLock().lock();
        try {
            if (closing) {
                return;
            }
            closing = true;
        } finally {
            gate.writeLock().unlock();
        }
        try {
            sequencer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.close();
    }

    /** Full tiles and entry bundles never change once complete: an LRU bounded by bytes. */
    private static final class TileCache {
        private final long capacity;
        private long bytes;
        private final LinkedHashMap<TilePath, byte[]> map = new LinkedHashMap<>(256, 0.75f, true);

        TileCache(long capacity) {
            this.capacity = capacity;
        }

        synchronized byte[] get(TilePath p) {
            return map.get(p);
        }

        synchronized void put(TilePath p, byte[] b) {
            if (b.length > capacity) {
                return;
            }
            byte[] old = map.put(p, b);
            bytes += b.length - (old == null ? 0 : old.length);
            var it = map.entrySet().iterator();
            while (bytes > capacity && it.hasNext()) {
                bytes -= it.next().getValue().length;
                it.remove();
            }
        }
    }
}
