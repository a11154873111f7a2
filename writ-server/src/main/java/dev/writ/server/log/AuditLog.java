package dev.writ.server.log;

import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.LogVerificationException;
import dev.writ.core.log.Merkle;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.log.SignedNote;
import dev.writ.core.log.TilePath;
import dev.writ.core.log.TiledTree;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Writ's durable, append-only audit log: an RFC 6962 Merkle tree published as a C2SP tlog-tiles log with signed
 * checkpoints.
 *
 * <p><b>Guarantees.</b> {@link #append} returns only after the entry is durably written (fsync) and sequenced, and
 * returns a {@link LogReceipt} whose checkpoint is freshly signed and covers the entry. Concurrent appends are
 * group-committed: one write and one fsync of the write-ahead log per batch, one checkpoint signature per batch. After
 * a crash, {@link #open} recovers every acknowledged entry, drops a torn tail (never acknowledged, never served) and
 * refuses to open a log whose stored hashes no longer produce its last signed checkpoint.
 *
 * <p><b>Files</b> in the log directory: {@code wal-<start>.log} (write-ahead log segments, records
 * {@code u32 length ‖ u32 CRC-32C(index ‖ entry) ‖ entry}); {@code entries.data} (entries in tlog-tiles bundle
 * encoding, so a bundle is a byte range), {@code entries.idx} (u64 offset per entry), {@code hashes/<h>} (every Merkle
 * level, see {@link HashStore}), {@code jti.idx}; {@code state} (size up to which the derived files are durable),
 * {@code checkpoint} (a recent signed checkpoint), {@code key} (the verifier key), {@code lock}.
 *
 * <p>Reads ({@link #entry}, {@link #tile}, proofs) only ever see the tree of the latest signed checkpoint.
 */
public final class AuditLog implements TransparencyLog {
    /** The largest entry tlog-tiles can carry (uint16 length prefix in entry bundles). */
    public static final int MAX_ENTRY_SIZE = 65535;

    private static final int WAL_HEADER = 8;

    /**
     * Tuning.
     *
     * @param maxEntrySize largest entry accepted, at most {@link #MAX_ENTRY_SIZE}
     * @param maxBatch largest number of entries committed with one fsync
     * @param syncInterval entries between two flushes of the derived files (bounds recovery replay)
     */
    public record Options(int maxEntrySize, int maxBatch, long syncInterval) {
        public Options {
            if (maxEntrySize < 1 || maxEntrySize > MAX_ENTRY_SIZE) {
                throw new IllegalArgumentException("maxEntrySize must be between 1 and 65535");
            }
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch must be positive");
            }
            if (syncInterval < 1) {
                throw new IllegalArgumentException("syncInterval must be positive");
            }
        }

        public static Options defaults() {
            return new Options(MAX_ENTRY_SIZE, 8192, 1 << 16);
        }
    }

    private record Published(long size, byte[] root, byte[] note) {}

    private static final class Request {
        final byte[] entry;
        final byte[] leafHash;
        final long jtiKey;
        final CompletableFuture<LogReceipt> done = new CompletableFuture<>();

        Request(byte[] entry, long jtiKey) {
            this.entry = entry;
            this.leafHash = Merkle.leafHash(entry);
            this.jtiKey = jtiKey;
        }
    }

    private final Path dir;
    private final CheckpointSigner signer;
    private final NoteVerifier verifier;
    private final Options options;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final FileChannel data;
    private final FileChannel idx;
    private final FileChannel jtiFile;
    private final HashStore hashes;
    private final JtiIndex jtis = new JtiIndex();
    private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private final Thread sequencer;

    // Owned by the sequencer thread (and by open() before it starts).
    private FileChannel wal;
    private long walPos;
    private long size;
    private long dataEnd;
    private long jtiEnd;
    private long syncedSize;
    private long acknowledged;
    private ByteBuffer walBuf = ByteBuffer.allocate(1 << 20);

    private volatile CommitObserver commitObserver = (entries, nanos) -> {};
    private volatile Published published;
    private volatile boolean signerChecked;
    private volatile LogException failure;
    private volatile boolean closing;
    private volatile boolean flushing;
    private final java.util.concurrent.ExecutorService flusher = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("writ-log-flusher").daemon().unstarted(r));

    private AuditLog(Path dir, CheckpointSigner signer, Options options) throws LogException, IOException {
        this.dir = dir;
        this.signer = signer;
        this.verifier = signer.verifier();
        this.options = options;
        Files.createDirectories(dir);
        lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            // Two writers on one log would interleave sequence numbers: refuse.
            throw new LogException("log.unavailable", "the log directory is in use by another process");
        }
        lock = l;
        FileChannel d = null;
        FileChannel x = null;
        FileChannel j = null;
        HashStore hs = null;
        try {
            d = rw("entries.data");
            x = rw("entries.idx");
            j = rw("jti.idx");
            hs = new HashStore(dir.resolve("hashes"));
        } catch (IOException | RuntimeException e) {
            closeQuietly(d, x, j, hs, lock, lockChannel);
            throw e;
        }
        data = d;
        idx = x;
        jtiFile = j;
        hashes = hs;
        try {
            recover();
        } catch (IOException | LogException | RuntimeException e) {
            // A log that failed to open must not keep the directory locked.
            closeQuietly(wal, data, idx, jtiFile, hashes, lock, lockChannel);
            throw e;
        }
        Files.writeString(dir.resolve("key.tmp"), verifier.keyString() + "\n");
        Files.move(dir.resolve("key.tmp"), dir.resolve("key"), StandardCopyOption.ATOMIC_MOVE);
        sequencer = Thread.ofPlatform().name("writ-log-sequencer").daemon().unstarted(this::run);
        sequencer.start();
    }

    private static void closeQuietly(AutoCloseable... cs) {
        for (AutoCloseable c : cs) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // best effort: the open already failed
                }
            }
        }
    }

    /** Opens (creating if needed) the log in {@code dir} with default options. */
    public static AuditLog open(Path dir, CheckpointSigner signer) throws LogException {
        return open(dir, signer, Options.defaults());
    }

    /**
     * Opens (creating if needed) the log in {@code dir}, recovering from a crash if needed, and signs a checkpoint of
     * the recovered tree.
     *
     * @throws LogException {@code log.corrupt} when the stored log is inconsistent with what it signed or has a hole;
     *     {@code log.unavailable} when another process holds it; {@code log.io} or {@code log.signer} otherwise
     */
    public static AuditLog open(Path dir, CheckpointSigner signer, Options options) throws LogException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(options, "options");
        try {
            return new AuditLog(dir, signer, options);
        } catch (IOException e) {
            throw new LogException("log.io", "cannot open the audit log", e);
        }
    }

    private FileChannel rw(String name) throws IOException {
        return FileChannel.open(
                dir.resolve(name), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    // ---------------------------------------------------------------- recovery

    private void recover() throws IOException, LogException {
        long w = readState();
        // Derived files are written only after their batch's WAL fsync: whatever they cover was acknowledged.
        acknowledged = hashes.size();
        if (hashes.size() < w || idx.size() < w * 8) {
            throw new LogException("log.corrupt", "log files are shorter than their recorded durable size");
        }
        hashes.truncate(w);
        idx.truncate(w * 8);
        dataEnd = w == 0 ? 0 : entryEnd(w - 1);
        // Before cutting anything, check that offsets, entries and hashes still agree at the durable size.
        if (w > 0 && !MessageDigest.isEqual(Merkle.leafHash(readEntry(w - 1)), hashes.leafHash(w - 1))) {
            throw new LogException("log.corrupt", "the last durable entry does not match its stored hash");
        }
        if (data.size() < dataEnd) {
            throw new LogException("log.corrupt", "entry data is shorter than its recorded durable size");
        }
        data.truncate(dataEnd);
        recoverJti(w);
        size = w;

        List<Path> segments = segments();
        for (int s = 0; s < segments.size(); s++) {
            replay(segments.get(s), s == segments.size() - 1);
        }
        Path cpFile = dir.resolve("checkpoint");
        if (Files.exists(cpFile)) {
            checkAgainst(Files.readAllBytes(cpFile));
        }
        publish();
        sync();
    }

    private long readState() throws IOException, LogException {
        Path state = dir.resolve("state");
        if (!Files.exists(state)) {
            return 0;
        }
        String s = Files.readString(state, StandardCharsets.US_ASCII);
        if (!s.matches("size [0-9]{1,19}\n")) {
            throw new LogException("log.corrupt", "log state file is malformed");
        }
        return Long.parseLong(s.substring(5, s.length() - 1));
    }

    private long entryEnd(long index) throws IOException {
        long off = readLong(idx, index * 8);
        byte[] len = new byte[2];
        HashStore.readFully(data, off, len, 0, 2);
        return off + 2 + (((len[0] & 0xff) << 8) | (len[1] & 0xff));
    }

    private byte[] readEntry(long index) throws IOException {
        long off = readLong(idx, index * 8);
        byte[] len = new byte[2];
        HashStore.readFully(data, off, len, 0, 2);
        byte[] e = new byte[((len[0] & 0xff) << 8) | (len[1] & 0xff)];
        HashStore.readFully(data, off + 2, e, 0, e.length);
        return e;
    }

    private void recoverJti(long w) throws IOException {
        long n = jtiFile.size() / 16;
        // Records are in index order: drop those beyond the durable size, keep the rest.
        while (n > 0 && readLong(jtiFile, (n - 1) * 16 + 8) >= w) {
            n--;
        }
        jtiFile.truncate(n * 16);
        jtiEnd = n * 16;
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        long pos = 0;
        while (pos < jtiEnd) {
            b.clear();
            int r = jtiFile.read(b, pos);
            if (r <= 0) {
                break;
            }
            b.flip();
            while (b.remaining() >= 16) {
                jtis.putIfAbsent(b.getLong(), b.getLong());
                pos += 16;
            }
        }
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("wal-[0-9]{20}\\.log"))
                    .sorted()
                    .toList();
        }
    }

    private static long segmentStart(Path p) {
        String n = p.getFileName().toString();
        return Long.parseLong(n.substring(4, 24));
    }

    private void replay(Path segment, boolean last) throws IOException, LogException {
        long start = segmentStart(segment);
        // A segment that starts beyond the recovered tree means entries in between are lost: refuse.
        if (start > size) {
            throw new LogException("log.corrupt", "write-ahead log has a gap before index " + start);
        }
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long len = ch.size();
            long pos = 0;
            long index = start;
            List<Request> pending = new ArrayList<>();
            byte[] header = new byte[WAL_HEADER];
            while (true) {
                String torn = null;
                byte[] entry = null;
                if (pos == len) {
                    break;
                }
                if (len - pos < WAL_HEADER) {
                    torn = "truncated record header";
                } else {
                    HashStore.readFully(ch, pos, header, 0, WAL_HEADER);
                    ByteBuffer hb = ByteBuffer.wrap(header);
                    int n = hb.getInt();
                    int crc = hb.getInt();
                    if (n < 0 || n > MAX_ENTRY_SIZE || len - pos - WAL_HEADER < n) {
                        torn = "truncated or oversized record";
                    } else {
                        entry = new byte[n];
                        HashStore.readFully(ch, pos + WAL_HEADER, entry, 0, n);
                        if (crc(index, entry) != crc) {
                            torn = "record checksum mismatch";
                        }
                    }
                }
                if (torn != null) {
                    // Only the tail of the newest segment can be torn (it was never acknowledged); anywhere else
                    // it is corruption of acknowledged entries.
                    if (!last || index < acknowledged) {
                        throw new LogException(
                                "log.corrupt", "write-ahead log record " + index + " is damaged: " + torn);
                    }
                    ch.truncate(pos);
                    ch.force(true);
                    break;
                }
                if (index == size + pending.size()) {
                    pending.add(new Request(entry, jtiKeyOf(entry)));
                    if (pending.size() >= 4096) {
                        applyDerived(pending);
                        pending.clear();
                    }
                }
                pos += WAL_HEADER + entry.length;
                index++;
            }
            applyDerived(pending);
        }
    }

    private void checkAgainst(byte[] note) throws IOException, LogException {
        Checkpoint cp;
        try {
            cp = Checkpoint.verify(note, verifier).checkpoint();
        } catch (LogVerificationException e) {
            throw new LogException("log.corrupt", "stored checkpoint does not verify: " + e.getMessage(), e);
        }
        // The log must still contain every entry it has vouched for, unchanged.
        if (cp.size() > size) {
            throw new LogException("log.corrupt", "log is shorter than its last signed checkpoint");
        }
        if (!MessageDigest.isEqual(hashes.rootHash(cp.size()), cp.rootHash())) {
            throw new LogException("log.corrupt", "stored hashes do not match the last signed checkpoint");
        }
    }

    // ---------------------------------------------------------------- appending

    /**
     * Like {@link #append} without blocking: the future completes with the receipt once the entry is durable, or
     * exceptionally with a {@link LogException}.
     *
     * @throws LogException when the entry is refused before it is queued
     */
    public CompletableFuture<LogReceipt> appendAsync(byte[] entry) throws LogException {
        Objects.requireNonNull(entry, "entry");
        if (entry.length > options.maxEntrySize()) {
            throw new LogException(
                    "log.entry.too_large", "log entries are limited to " + options.maxEntrySize() + " bytes");
        }
        Request r = new Request(entry.clone(), jtiKeyOf(entry));
        gate.readLock().lock();
        try {
            if (closing) {
                throw new LogException("log.closed", "the log is closed");
            }
            LogException f = failure;
            if (f != null) {
                throw new LogException(f.code(), f.getMessage());
            }
            queue.add(r);
        } finally {
            gate.readLock().unlock();
        }
        return r.done;
    }

    private static long jtiKeyOf(byte[] entry) {
        String jti = LogEntries.jtiOf(entry);
        return jti == null ? 0 : JtiIndex.key(jti);
    }

    private void run() {
        List<Request> batch = new ArrayList<>();
        while (true) {
            Request first;
            try {
                first = queue.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first == null) {
                if (closing && queue.isEmpty()) {
                    return;
                }
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, options.maxBatch() - 1);
            commit(batch);
            batch.clear();
        }
    }

    private void commit(List<Request> batch) {
        long began = System.nanoTime();
        if (failure != null) {
            fail(batch, failure);
            return;
        }
        long start = size;
        try {
            writeWal(batch, start);
            applyDerived(batch);
        } catch (IOException | RuntimeException e) {
            // The state on disk is unknown: stop accepting writes rather than risk acknowledging a lost entry.
            failure = new LogException("log.unavailable", "the audit log failed to write and refuses appends", e);
            fail(batch, failure);
            return;
        }
        Published p;
        try {
            p = publish();
        } catch (LogException e) {
            fail(batch, e);
            return;
        } catch (IOException | RuntimeException e) {
            fail(batch, new LogException("log.unavailable", "cannot sign a checkpoint", e));
            return;
        }
        try {
            long[] indices = new long[batch.size()];
            for (int i = 0; i < indices.length; i++) {
                indices[i] = start + i;
            }
            List<List<byte[]>> proofs = hashes.inclusionProofs(indices, p.size());
            for (int i = 0; i < indices.length; i++) {
                batch.get(i).done.complete(new LogReceipt(indices[i], proofs.get(i), p.note()));
            }
            commitObserver.committed(batch.size(), System.nanoTime() - began);
        } catch (IOException | RuntimeException e) {
            fail(batch, new LogException("log.unavailable", "cannot build inclusion proofs", e));
        }
        if (size - syncedSize >= options.syncInterval() && !flushing) {
            try {
                Flush f = rotate();
                flushing = true;
                flusher.execute(() -> {
                    try {
                        f.flush();
                    } catch (IOException | RuntimeException e) {
                        failure = new LogException(
                                "log.unavailable", "the audit log failed to flush and refuses appends", e);
                    } finally {
                        flushing = false;
                    }
                });
            } catch (IOException | RuntimeException e) {
                failure = new LogException("log.unavailable", "the audit log failed to rotate and refuses appends", e);
            }
        }
    }

    private static void fail(List<Request> batch, LogException e) {
        for (Request r : batch) {
            r.done.completeExceptionally(new LogException(e.code(), e.getMessage(), e.getCause()));
        }
    }

    private void writeWal(List<Request> batch, long start) throws IOException {
        int bytes = 0;
        for (Request r : batch) {
            bytes += WAL_HEADER + r.entry.length;
        }
        if (walBuf.capacity() < bytes) {
            walBuf = ByteBuffer.allocate(Math.max(bytes, walBuf.capacity() * 2));
        }
        ByteBuffer b = walBuf.clear();
        long index = start;
        for (Request r : batch) {
            b.putInt(r.entry.length);
            b.putInt(crc(index++, r.entry));
            b.put(r.entry);
        }
        b.flip();
        writeFully(wal, b, walPos);
        walPos += bytes;
        // The only fsync on the append path: after it, every entry of the batch survives a crash.
        wal.force(false);
    }

    private static int crc(long index, byte[] entry) {
        CRC32C c = new CRC32C();
        c.update(ByteBuffer.allocate(8).putLong(0, index));
        c.update(entry);
        return (int) c.getValue();
    }

    /** Appends entries to the derived files (bundle data, offsets, hashes, jti index); no fsync. */
    private void applyDerived(List<Request> batch) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        int dataBytes = 0;
        for (Request r : batch) {
            dataBytes += 2 + r.entry.length;
        }
        ByteBuffer d = ByteBuffer.allocate(dataBytes);
        ByteBuffer ix = ByteBuffer.allocate(8 * batch.size());
        ByteBuffer jt = ByteBuffer.allocate(16 * batch.size());
        List<byte[]> leaves = new ArrayList<>(batch.size());
        long off = dataEnd;
        long index = size;
        List<long[]> newJtis = new ArrayList<>();
        for (Request r : batch) {
            ix.putLong(off);
            d.putShort((short) r.entry.length);
            d.put(r.entry);
            off += 2 + r.entry.length;
            leaves.add(r.leafHash);
            if (r.jtiKey != 0) {
                jt.putLong(r.jtiKey).putLong(index);
                newJtis.add(new long[] {r.jtiKey, index});
            }
            index++;
        }
        writeFully(data, d.flip(), dataEnd);
        writeFully(idx, ix.flip(), size * 8);
        if (jt.position() > 0) {
            int n = jt.position();
            writeFully(jtiFile, jt.flip(), jtiEnd);
            jtiEnd += n;
        }
        hashes.appendLeaves(leaves);
        synchronized (jtis) {
            for (long[] kv : newJtis) {
                jtis.putIfAbsent(kv[0], kv[1]);
            }
        }
        dataEnd = off;
        size = index;
    }

    private Published publish() throws IOException, LogException {
        byte[] root = hashes.rootHash(size);
        String text = new Checkpoint(signer.name(), size, root, List.of()).text();
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
        Published p = new Published(size, root, note);
        published = p;
        return p;
    }

    /** Starts a new write-ahead log segment, then makes the derived files durable and records their size. */
    private void sync() throws IOException {
        rotate().flush();
    }

    /** The second half of a sync, which may run off the sequencer thread. */
    private interface Flush {
        void flush() throws IOException;
    }

    /**
     * Starts a new write-ahead log segment at the current size (sequencer thread). The returned flush forces the
     * derived files, records the size in {@code state} and deletes the older segments; until it has run, recovery
     * replays them, so it may run later and on another thread.
     */
    private Flush rotate() throws IOException {
        long at = size;
        byte[] note = published.note();
        FileChannel next = FileChannel.open(
                dir.resolve(String.format("wal-%020d.log", at)),
                StandardOpenOption.CREATE,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        if (next.size() != 0) {
            next.truncate(0);
        }
        // The new segment must survive a crash before any entry acknowledged from it.
        forceDir();
        FileChannel old = wal;
        wal = next;
        walPos = 0;
        syncedSize = at;
        return () -> {
            if (old != null) {
                old.close();
            }
            data.force(false);
            idx.force(false);
            jtiFile.force(false);
            hashes.force();
            writeAtomically("checkpoint", note);
            writeAtomically("state", ("size " + at + "\n").getBytes(StandardCharsets.US_ASCII));
            for (Path seg : segments()) {
                if (segmentStart(seg) < at) {
                    Files.deleteIfExists(seg);
                }
            }
        };
    }

    private void writeAtomically(String name, byte[] content) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.wrap(content), 0);
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDir();
    }

    private void forceDir() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    private static long readLong(FileChannel ch, long pos) throws IOException {
        byte[] b = new byte[8];
        HashStore.readFully(ch, pos, b, 0, 8);
        return ByteBuffer.wrap(b).getLong();
    }

    /** Whether the log accepts appends: open, and no write, flush or rotation has failed (it refuses then). */
    @Override
    public boolean writable() {
        return !closing && failure == null;
    }

    /** Sets who is told about commits (for metrics: batch size and commit latency). */
    @Override
    public void observeCommits(CommitObserver observer) {
        this.commitObserver = Objects.requireNonNull(observer, "observer");
    }

    // ---------------------------------------------------------------- reading

    /** The verifier key of this log ({@code name+hash+base64}). */
    public NoteVerifier verifier() {
        return verifier;
    }

    /** The origin of this log. */
    public String origin() {
        return signer.name();
    }

    /** The latest signed checkpoint (signed-note bytes). */
    public byte[] checkpoint() {
        return published.note().clone();
    }

    /** The size of the latest signed checkpoint: everything below it is durable and readable. */
    public long size() {
        return published.size();
    }

    /**
     * The entry at {@code index}.
     *
     * @throws LogException {@code log.not_found} when {@code index} is not below the published size
     */
    public byte[] entry(long index) throws LogException {
        checkIndex(index, published.size());
        try {
            return readEntry(index);
        } catch (IOException e) {
            throw new LogException("log.io", "cannot read the entry", e);
        }
    }

    /** The index of the first entry whose top-level {@code jti} is {@code jti}, if any. */
    public OptionalLong indexOfJti(String jti) throws LogException {
        long candidate;
        synchronized (jtis) {
            candidate = jtis.get(JtiIndex.key(jti));
        }
        // The index is keyed by a digest: confirm against the entry itself before answering.
        if (candidate < 0 || candidate >= published.size() || !jti.equals(LogEntries.jtiOf(entry(candidate)))) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(candidate);
    }

    /**
     * The inclusion proof of leaf {@code index} in the tree of {@code treeSize}.
     *
     * @throws LogException {@code log.range} when {@code index >= treeSize} or {@code treeSize} exceeds the published
     *     size
     */
    public List<byte[]> inclusionProof(long index, long treeSize) throws LogException {
        if (treeSize < 1 || treeSize > published.size()) {
            throw new LogException("log.range", "tree size " + treeSize + " is not between 1 and the log size");
        }
        if (index < 0 || index >= treeSize) {
            throw new LogException("log.range", "index " + index + " is not in a tree of size " + treeSize);
        }
        try {
            return hashes.inclusionProof(index, treeSize);
        } catch (IOException e) {
            throw new LogException("log.io", "cannot read the tree", e);
        }
    }

    /**
     * The consistency proof between the trees of {@code from} and {@code to} leaves, {@code 1 <= from <= to <= size}.
     *
     * @throws LogException {@code log.range} when the sizes are out of range
     */
    public List<byte[]> consistencyProof(long from, long to) throws LogException {
        if (from < 1 || from > to || to > published.size()) {
            throw new LogException("log.range", "sizes must satisfy 1 <= from <= to <= " + published.size());
        }
        try {
            return hashes.consistencyProof(from, to);
        } catch (IOException e) {
            throw new LogException("log.io", "cannot read the tree", e);
        }
    }

    /** The root hash of the tree of {@code treeSize} leaves ({@code treeSize <= size()}). */
    public byte[] rootHash(long treeSize) throws LogException {
        if (treeSize < 0 || treeSize > published.size()) {
            throw new LogException("log.range", "tree size is larger than the log");
        }
        try {
            return hashes.rootHash(treeSize);
        } catch (IOException e) {
            throw new LogException("log.io", "cannot read the tree", e);
        }
    }

    /**
     * The bytes of a tlog-tiles resource. A partial tile of width {@code W} is served when the published tree has at
     * least {@code W} hashes in that tile (its content never changes); a full tile once the tile is complete.
     *
     * @throws LogException {@code log.not_found} when the tree does not (yet) contain the tile
     */
    public byte[] tile(TilePath path) throws LogException {
        long s = published.size();
        int available = TiledTree.tileWidth(path.level(), path.index(), s);
        if (available < path.width()) {
            throw new LogException("log.not_found", "no such tile in the current tree");
        }
        try {
            if (!path.isEntries()) {
                return hashes.tile(path.level(), path.index(), path.width());
            }
            long first = path.index() * TilePath.FULL_WIDTH;
            long from = readLong(idx, first * 8);
            long to = entryEnd(first + path.width() - 1);
            byte[] out = new byte[(int) (to - from)];
            HashStore.readFully(data, from, out, 0, out.length);
            return out;
        } catch (IOException e) {
            throw new LogException("log.io", "cannot read the tile", e);
        }
    }

    /**
     * Audits the stored log: the published checkpoint verifies, every entry bundle and tile recomputes (see
     * {@link TiledTree#auditLog}), and every stored interior hash equals the hash of its children. Reads everything:
     * an offline check, not for the request path.
     *
     * @return the number of entries checked
     * @throws LogException {@code log.corrupt} naming what does not match
     */
    public long audit() throws LogException {
        Published p = published;
        try {
            Checkpoint cp = Checkpoint.verify(p.note(), verifier).checkpoint();
            TiledTree.auditLog(cp.size(), cp.rootHash(), this::readTile);
            checkOffsets(cp.size());
            int level = hashes.firstCorruptLevel();
            if (level >= 0) {
                throw new LogException(
                        "log.corrupt", "stored hashes at level " + level + " do not match the level below");
            }
            return cp.size();
        } catch (LogVerificationException e) {
            throw new LogException("log.corrupt", e.getMessage(), e);
        } catch (IOException e) {
            throw new LogException("log.corrupt", "cannot read the log: " + e.getMessage(), e);
        }
    }

    /** Every stored entry offset must be where the bundle encoding of the entries before it ends. */
    private void checkOffsets(long n) throws IOException, LogException {
        ByteBuffer offs = ByteBuffer.allocate(8 * 4096);
        byte[] len = new byte[2];
        long expected = 0;
        for (long i = 0; i < n; i += 4096) {
            int k = (int) Math.min(4096, n - i);
            offs.clear().limit(8 * k);
            HashStore.readFully(idx, i * 8, offs.array(), 0, 8 * k);
            for (int j = 0; j < k; j++) {
                if (offs.getLong(8 * j) != expected) {
                    throw new LogException("log.corrupt", "entry offset " + (i + j) + " does not match the entry data");
                }
                HashStore.readFully(data, expected, len, 0, 2);
                expected += 2 + (((len[0] & 0xff) << 8) | (len[1] & 0xff));
            }
        }
    }

    /** {@link #tile} as a {@link dev.writ.core.log.TileReader}: a missing tile is an {@link IOException}. */
    public byte[] readTile(TilePath path) throws IOException {
        try {
            return tile(path);
        } catch (LogException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static void checkIndex(long index, long s) throws LogException {
        if (index < 0 || index >= s) {
            throw new LogException("log.not_found", "no entry " + index + " in a log of size " + s);
        }
    }

    /**
     * Stops accepting appends, commits everything already queued, flushes the derived files and releases the
     * directory. Idempotent.
     */
    @Override
    public void close() throws LogException {
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
            flusher.shutdown();
            flusher.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (failure == null) {
                sync();
            }
        } catch (IOException e) {
            throw new LogException("log.io", "cannot flush the audit log", e);
        } finally {
            try {
                wal.close();
                data.close();
                idx.close();
                jtiFile.close();
                hashes.close();
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                // Closing read-only handles after a successful flush cannot lose data.
            }
        }
    }
}
