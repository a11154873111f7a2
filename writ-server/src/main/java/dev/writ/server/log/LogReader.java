package dev.writ.server.log;

import dev.writ.core.log.Checkpoint;
import dev.writ.core.log.LogVerificationException;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.log.TilePath;
import dev.writ.core.log.TiledTree;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.List;
import java.util.OptionalLong;

/**
 * Read-only access to a log directory, for tools (the {@code writ log} command) that may run while a server writes
 * the log. It sees the tree of the directory's last flushed {@code checkpoint}, after checking that checkpoint's
 * signature with the given key and that the stored hashes produce its root.
 */
public final class LogReader implements AutoCloseable {
    private final byte[] note;
    private final Checkpoint checkpoint;
    private final HashStore hashes;
    private final FileChannel data;
    private final FileChannel idx;
    private final Path dir;

    private LogReader(Path dir, byte[] note, Checkpoint cp, HashStore hashes, FileChannel data, FileChannel idx) {
        this.dir = dir;
        this.note = note;
        this.checkpoint = cp;
        this.hashes = hashes;
        this.data = data;
        this.idx = idx;
    }

    /**
     * Opens {@code dir} (a log directory, {@code <data>/log}).
     *
     * @throws LogException {@code log.not_found} when there is no log; {@code log.corrupt} when its checkpoint does not
     *     verify with {@code key} or the stored hashes do not produce it
     */
    public static LogReader open(Path dir, NoteVerifier key) throws LogException {
        Path cpFile = dir.resolve("checkpoint");
        if (!Files.exists(cpFile)) {
            throw new LogException("log.not_found", "no audit log in " + dir);
        }
        try {
            byte[] note = Files.readAllBytes(cpFile);
            Checkpoint cp;
            try {
                cp = Checkpoint.verify(note, key).checkpoint();
            } catch (LogVerificationException e) {
                throw new LogException("log.corrupt", "the stored checkpoint does not verify: " + e.getMessage(), e);
            }
            HashStore hs = HashStore.openReadOnly(dir.resolve("hashes"), cp.size());
            if (!MessageDigest.isEqual(hs.rootHash(cp.size()), cp.rootHash())) {
                hs.close();
                throw new LogException("log.corrupt", "stored hashes do not produce the checkpoint root");
            }
            return new LogReader(
                    dir,
                    note,
                    cp,
                    hs,
                    FileChannel.open(dir.resolve("entries.data"), StandardOpenOption.READ),
                    FileChannel.open(dir.resolve("entries.idx"), StandardOpenOption.READ));
        } catch (IOException e) {
            throw new LogException("log.corrupt", "cannot read the audit log: " + e.getMessage(), e);
        }
    }

    /** The verifier key stored next to the log ({@code key} file), which a careful caller pins instead. */
    public static String storedKey(Path dir) throws IOException {
        return Files.readString(dir.resolve("key")).trim();
    }

    public byte[] signedCheckpoint() {
        return note.clone();
    }

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    public long size() {
        return checkpoint.size();
    }

    public byte[] entry(long index) throws LogException {
        if (index < 0 || index >= size()) {
            throw new LogException("log.not_found", "no entry " + index + " in a log of size " + size());
        }
        try {
            byte[] o = new byte[8];
            HashStore.readFully(idx, index * 8, o, 0, 8);
            long off = ByteBuffer.wrap(o).getLong();
            byte[] len = new byte[2];
            HashStore.readFully(data, off, len, 0, 2);
            byte[] e = new byte[((len[0] & 0xff) << 8) | (len[1] & 0xff)];
            HashStore.readFully(data, off + 2, e, 0, e.length);
            return e;
        } catch (IOException e) {
            throw new LogException("log.corrupt", "cannot read entry " + index, e);
        }
    }

    /** Finds the first entry whose top-level {@code jti} is {@code jti} (scans the jti index file). */
    public OptionalLong indexOfJti(String jti) throws LogException {
        long key = JtiIndex.key(jti);
        try (FileChannel ch = FileChannel.open(dir.resolve("jti.idx"), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(16 * 4096);
            long pos = 0;
            while (true) {
                b.clear();
                int r = ch.read(b, pos);
                if (r <= 0) {
                    return OptionalLong.empty();
                }
                b.flip();
                while (b.remaining() >= 16) {
                    long k = b.getLong();
                    long index = b.getLong();
                    pos += 16;
                    if (k == key && index < size() && jti.equals(LogEntries.jtiOf(entry(index)))) {
                        return OptionalLong.of(index);
                    }
                }
            }
        } catch (IOException e) {
            throw new LogException("log.corrupt", "cannot read the jti index", e);
        }
    }

    public List<byte[]> inclusionProof(long index, long treeSize) throws LogException {
        if (treeSize < 1 || treeSize > size() || index < 0 || index >= treeSize) {
            throw new LogException("log.range", "index or size outside the log");
        }
        try {
            return hashes.inclusionProof(index, treeSize);
        } catch (IOException e) {
            throw new LogException("log.corrupt", "cannot read the tree", e);
        }
    }

    /** Resources of the tree of {@link #size()}, as a tlog-tiles reader. */
    public byte[] tile(TilePath path) throws IOException {
        int available = TiledTree.tileWidth(path.level(), path.index(), size());
        if (available < path.width()) {
            throw new IOException("no tile " + path);
        }
        if (!path.isEntries()) {
            return hashes.tile(path.level(), path.index(), path.width());
        }
        long first = path.index() * 256;
        byte[] o = new byte[8];
        HashStore.readFully(idx, first * 8, o, 0, 8);
        long from = ByteBuffer.wrap(o).getLong();
        HashStore.readFully(idx, (first + path.width() - 1) * 8, o, 0, 8);
        long last = ByteBuffer.wrap(o).getLong();
        byte[] len = new byte[2];
        HashStore.readFully(data, last, len, 0, 2);
        long to = last + 2 + (((len[0] & 0xff) << 8) | (len[1] & 0xff));
        if (to < from || to - from > Integer.MAX_VALUE) {
            throw new IOException("entry offsets are inconsistent");
        }
        byte[] out = new byte[(int) (to - from)];
        HashStore.readFully(data, from, out, 0, out.length);
        return out;
    }

    /**
     * Audits the whole log against its checkpoint: entries, tiles, and every stored interior hash.
     *
     * @throws LogException {@code log.corrupt} naming the first mismatch
     */
    public long audit() throws LogException {
        try {
            TiledTree.auditLog(size(), checkpoint.rootHash(), this::tile);
            int level = hashes.firstCorruptLevel();
            if (level >= 0) {
                throw new LogException(
                        "log.corrupt", "stored hashes at level " + level + " do not match the level below");
            }
            return size();
        } catch (LogVerificationException e) {
            throw new LogException("log.corrupt", e.getMessage(), e);
        } catch (IOException e) {
            throw new LogException("log.corrupt", "cannot read the log: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        hashes.close();
        data.close();
        idx.close();
    }
}
