package dev.writ.core.nonce;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An embedded nonce store for a single PEP: an in-memory table backed by an append-only journal file, so a replay
 * after the PEP restarts is still refused.
 *
 * <p><b>Durability.</b> Each nonce is appended to the journal with a {@code write} system call before
 * {@link #recordIfAbsent} returns {@code true}: it survives a crash of the process (the bytes are in the operating
 * system's page cache). With {@link Durability#SYNC} the journal is also forced to the storage device before
 * returning, so it survives a power loss too, at the price of one {@code fsync} per envelope. A torn last line (a
 * crash in the middle of a write) is ignored on reopening; that nonce was never reported as recorded.
 *
 * <p><b>Expiry.</b> Expired nonces are dropped from memory and the journal is compacted (rewritten with only live
 * entries, then atomically renamed) on opening, and while running whenever as many nonces were appended as were live
 * after the previous compaction (so memory and the journal stay within about twice the live set, and compaction is
 * amortised constant work per nonce). A running compaction happens on a background thread: nonces recorded meanwhile
 * go to the old journal as usual and are copied into the new one before it replaces the old, so a crash at any point
 * leaves a journal holding every acknowledged live nonce.
 *
 * <p>One process at a time may open a journal (a file lock enforces it). Calls are serialised; the critical section
 * is one small {@code write}.
 */
public final class FileNonceStore implements NonceStore {

    /** How far a recorded nonce is persisted before {@link #recordIfAbsent} returns. */
    public enum Durability {
        /** Written to the file (survives a process crash). */
        WRITE,
        /** Written and forced to the device (survives a power loss). */
        SYNC
    }

    private static final int MIN_COMPACT = 10_000;

    private final Path file;
    private final InstantSource clock;
    private final Durability durability;
    // Concurrent so that a background compaction can read and prune it; writers still hold the store's lock.
    private final Map<String, Long> live = new ConcurrentHashMap<>();
    private FileChannel channel;
    private long liveAfterCompaction;
    private List<byte[]> sideLog; // non-null while a background compaction runs: lines it must copy at the end
    private Thread compaction; // the latest background compaction, joined by close()
    private FileChannel lockChannel;
    private java.nio.channels.FileLock lock;
    private long appended;
    private boolean closed;

    private FileNonceStore(Path file, InstantSource clock, Durability durability) {
        this.file = file;
        this.clock = clock;
        this.durability = durability;
    }

    /**
     * Opens (or creates) the journal at {@code file}.
     *
     * @throws NonceStoreException when the journal cannot be read, created or locked
     */
    public static FileNonceStore open(Path file, InstantSource clock, Durability durability)
            throws NonceStoreException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(durability, "durability");
        FileNonceStore s = new FileNonceStore(file.toAbsolutePath(), clock, durability);
        try {
            s.lock();
            s.load();
            s.compact();
        } catch (IOException | RuntimeException e) {
            s.closeQuietly();
            throw new NonceStoreException("cannot open the nonce journal", e);
        }
        return s;
    }

    /** Takes the journal's lock file for the lifetime of the store: a second opener fails instead of corrupting. */
    private void lock() throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        lockChannel = FileChannel.open(
                file.resolveSibling(file.getFileName() + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = lockChannel.tryLock();
        if (lock == null) {
            throw new IOException("the nonce journal is in use by another process");
        }
    }

    private void load() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        long now = clock.millis();
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            int sp = line.indexOf(' ');
            if (sp <= 0) {
                continue; // a torn or empty line: never acknowledged
            }
            long exp;
            String nonce = line.substring(sp + 1);
            try {
                exp = Long.parseLong(line, 0, sp, 10);
                NonceStore.requireValidNonce(nonce);
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (exp > now) {
                live.merge(nonce, exp, Math::max);
            }
        }
    }

    /** Rewrites the journal with only the live entries and reopens it for appending (while opening). */
    private void compact() throws IOException {
        Path tmp = writeLive(file.resolveSibling(file.getFileName() + ".tmp"));
        swapIn(tmp);
    }

    /** Writes every live entry to {@code tmp} and forces it. */
    private Path writeLive(Path tmp) throws IOException {
        long now = clock.millis();
        live.values().removeIf(e -> e <= now);
        try (FileChannel out = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            StringBuilder sb = new StringBuilder(1 << 16);
            for (Map.Entry<String, Long> e : live.entrySet()) {
                sb.append(e.getValue()).append(' ').append(e.getKey()).append('\n');
                if (sb.length() > 60_000) {
                    writeAll(out, sb.toString().getBytes(StandardCharsets.US_ASCII));
                    sb.setLength(0);
                }
            }
            writeAll(out, sb.toString().getBytes(StandardCharsets.US_ASCII));
            out.force(true);
        }
        return tmp;
    }

    /** Replaces the journal with {@code tmp} and appends to it from now on. */
    private void swapIn(Path tmp) throws IOException {
        if (channel != null) {
            channel.close();
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        appended = 0;
        liveAfterCompaction = live.size();
    }

    private static void writeAll(FileChannel out, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }

    /**
     * Compacts on a background thread. The snapshot is written without the lock (the map is concurrent; a nonce
     * recorded meanwhile may or may not be in it, and is in the side log either way); the side log and the swap happen
     * under the lock, so no acknowledged nonce is ever missing from the journal on disk.
     */
    private void startCompaction() {
        sideLog = new ArrayList<>();
        compaction = Thread.ofPlatform().daemon().name("writ-nonce-compaction").start(() -> {
            Path tmp = null;
            try {
                tmp = writeLive(file.resolveSibling(file.getFileName() + ".compacting"));
                synchronized (this) {
                    if (closed) {
                        Files.deleteIfExists(tmp);
                        return;
                    }
                    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                        for (byte[] line : sideLog) {
                            writeAll(out, line);
                        }
                        out.force(true);
                    }
                    swapIn(tmp);
                    sideLog = null;
                }
            } catch (IOException | RuntimeException e) {
                // The old journal is intact and still appended to: a failed compaction costs disk space, no nonce.
                synchronized (this) {
                    sideLog = null;
                    appended = 0;
                }
                try {
                    if (tmp != null) {
                        Files.deleteIfExists(tmp);
                    }
                } catch (IOException ignored) {
                    // a stray temporary file is rewritten by the next compaction
                }
            }
        });
    }

    @Override
    public synchronized boolean recordIfAbsent(String nonce, Instant expiresAt) throws NonceStoreException {
        NonceStore.requireValidNonce(nonce);
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (closed) {
            throw new NonceStoreException("the nonce store is closed");
        }
        long now = clock.millis();
        Long old = live.get(nonce);
        if (old != null && old > now) {
            return false; // replay: the nonce is live
        }
        long exp = expiresAt.toEpochMilli();
        byte[] line = (exp + " " + nonce + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            if (durability == Durability.SYNC) {
                channel.force(false);
            }
        } catch (IOException | RuntimeException e) {
            // Not persisted: report failure so the caller denies; the nonce stays unrecorded.
            throw new NonceStoreException("cannot write the nonce journal", e);
        }
        live.put(nonce, exp);
        if (sideLog != null) {
            sideLog.add(line);
        } else if (++appended > Math.max(MIN_COMPACT, liveAfterCompaction)) {
            startCompaction();
        }
        return true;
    }

    /** The number of live nonces held (for operations and tests). */
    public synchronized int size() {
        long now = clock.millis();
        live.values().removeIf(e -> e <= now);
        return live.size();
    }

    @Override
    public void close() throws NonceStoreException {
        Thread running;
        synchronized (this) {
            closed = true;
            running = compaction;
        }
        // A compaction still writing must finish (or see closed and give up) before the journal and its lock go:
        // the next opener of this journal must not meet our temporary file.
        if (running != null) {
            try {
                running.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            try {
                if (channel != null) {
                    channel.force(true);
                    channel.close();
                }
            } catch (IOException e) {
                throw new NonceStoreException("cannot close the nonce journal", e);
            } finally {
                channel = null;
                try {
                    if (lock != null) {
                        lock.release();
                    }
                    if (lockChannel != null) {
                        lockChannel.close();
                    }
                } catch (IOException ignored) {
                    // the lock goes with the channel
                }
                lock = null;
                lockChannel = null;
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (NonceStoreException ignored) {
            // already failing
        }
    }
}
