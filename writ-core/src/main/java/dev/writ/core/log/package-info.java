/**
 * Verification of Writ's audit log, offline: RFC 6962/9162 Merkle hashing and proofs ({@link dev.writ.core.log.Merkle}),
 * C2SP signed notes ({@link dev.writ.core.log.SignedNote}, {@link dev.writ.core.log.NoteVerifier}), tlog-checkpoint
 * ({@link dev.writ.core.log.Checkpoint}), tlog-tiles paths and tree hashes ({@link dev.writ.core.log.TilePath},
 * {@link dev.writ.core.log.TiledTree}) and log receipts ({@link dev.writ.core.log.LogReceipt}).
 */
package dev.writ.core.log;
