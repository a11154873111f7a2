package dev.writ.server.log;

import dev.writ.core.log.LogReceipt;
import dev.writ.core.log.NoteVerifier;
import dev.writ.core.log.TilePath;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Writ's audit log as its users see it: an append-only RFC 6962 Merkle tree of opaque entries, published as a C2SP
 * tlog-tiles log with C2SP signed-note checkpoints. Implementations: {@link AuditLog} (one process, files) and
 * {@code dev.writ.server.log.postgres.PostgresLog} (any number of nodes sharing one PostgreSQL database).
 *
 * <p><b>Guarantees every implementation gives</b> (checked by one shared contract test suite):
 *
 * <ul>
 *   <li>{@link #append} returns only once the entry is durable and sequenced, with a {@link LogReceipt} whose signed
 *       checkpoint covers it; a failure means the entry must be treated as not logged (fail closed).
 *   <li>Every checkpoint handed out (in a receipt or by {@link #checkpoint}) is of one tree: any two are consistent.
 *   <li>Reads ({@link #entry}, {@link #tile}, proofs) see only trees that a signed checkpoint covers; tiles and entry
 *       bundles are byte-identical whatever the implementation, so tlog-tiles clients and {@code writ log verify} work
 *       against either.
 * </ul>
 *
 * <p>Errors are {@link LogException}s with stable codes ({@code log.entry.too_large}, {@code log.closed},
 * {@code log.unavailable}, {@code log.not_found}, {@code log.range}, {@code log.corrupt}, {@code log.signer},
 * {@code log.io}, {@code log.interrupted}).
 */
public interface TransparencyLog extends AutoCloseable {
    /** The largest entry tlog-tiles can carry (uint16 length prefix in entry bundles). */
    int MAX_ENTRY_SIZE = 65535;

    /** Opens a log that signs its checkpoints with {@code signer}; lets wiring choose the implementation. */
    @FunctionalInterface
    interface Factory {
        /**
         * @throws LogException when the log cannot be opened or recovered
         */
        TransparencyLog open(CheckpointSigner signer) throws LogException;
    }

    /**
     * Appends {@code entry} and waits until it is durable, sequenced and covered by a signed checkpoint. When the
     * entry is a JSON object with a top-level string {@code jti}, the log indexes it ({@link #indexOfJti}).
     *
     * @return leaf index, inclusion proof and the signed checkpoint that covers the entry
     * @throws LogException {@code log.entry.too_large}, {@code log.closed}, {@code log.unavailable}, {@code log.signer},
     *     {@code log.interrupted}: the entry is not logged
     */
    default LogReceipt append(byte[] entry) throws LogException {
        CompletableFuture<LogReceipt> f = appendAsync(entry);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LogException("log.interrupted", "interrupted while waiting for the log");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof LogException le) {
                throw le;
            }
            throw new LogException("log.unavailable", "the log failed", e.getCause());
        }
    }

    /**
     * Like {@link #append} without blocking: the future completes with the receipt once the entry is durable, or
     * exceptionally with a {@link LogException}.
     *
     * @throws LogException when the entry is refused before it is queued (too large, log closed or failed)
     */
    CompletableFuture<LogReceipt> appendAsync(byte[] entry) throws LogException;

    /** The verifier key of this log ({@code name+hash+base64}). */
    NoteVerifier verifier();

    /** The origin of this log (the first checkpoint line). */
    String origin();

    /**
     * The latest signed checkpoint (signed-note bytes).
     *
     * @throws LogException when the log's storage cannot be read
     */
    byte[] checkpoint() throws LogException;

    /**
     * The size of the latest signed checkpoint: everything below it is durable and readable.
     *
     * @throws LogException when the log's storage cannot be read
     */
    long size() throws LogException;

    /**
     * The entry at {@code index}.
     *
     * @throws LogException {@code log.not_found} when {@code index} is not below the published size
     */
    byte[] entry(long index) throws LogException;

    /** The index of the first entry whose top-level {@code jti} is {@code jti}, if any. */
    OptionalLong indexOfJti(String jti) throws LogException;

    /**
     * The inclusion proof of leaf {@code index} in the tree of {@code treeSize}.
     *
     * @throws LogException {@code log.range} when {@code index >= treeSize} or {@code treeSize} exceeds the size
     */
    List<byte[]> inclusionProof(long index, long treeSize) throws LogException;

    /**
     * The consistency proof between the trees of {@code from} and {@code to} leaves, {@code 1 <= from <= to <= size}.
     *
     * @throws LogException {@code log.range} when the sizes are out of range
     */
    List<byte[]> consistencyProof(long from, long to) throws LogException;

    /**
     * The root hash of the tree of {@code treeSize} leaves.
     *
     * @throws LogException {@code log.range} when {@code treeSize} exceeds the size
     */
    byte[] rootHash(long treeSize) throws LogException;

    /**
     * The bytes of a tlog-tiles resource (hash tile or entry bundle, full or partial).
     *
     * @throws LogException {@code log.not_found} when the tree does not (yet) contain the tile
     */
    byte[] tile(TilePath path) throws LogException;

    /** {@link #tile} as a {@link dev.writ.core.log.TileReader}: a missing tile is an {@link IOException}. */
    default byte[] readTile(TilePath path) throws IOException {
        try {
            return tile(path);
        } catch (LogException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Audits the stored log against its latest checkpoint: every entry bundle and tile recomputes. Reads everything:
     * an offline check, not for the request path.
     *
     * @return the number of entries checked
     * @throws LogException {@code log.corrupt} naming what does not match
     */
    long audit() throws LogException;

    /** Stops accepting appends, completes those already accepted, and releases resources. Idempotent. */
    @Override
    void close() throws LogException;
}
