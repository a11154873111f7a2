package dev.writ.server.policy;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Durable storage of policy bundles: each push is a new immutable version (1, 2, 3, ...); activation appends to an
 * activation history, and the active version is the one activated last. Rolling back is activating an earlier
 * version. Nothing is ever updated or deleted.
 */
public interface PolicyStore {

    /** Runs inside the store's transaction, just before it commits; a failure aborts the write. */
    @FunctionalInterface
    interface BeforeCommit<T> {
        void accept(T value) throws PolicyException;
    }

    /**
     * Stores a new version.
     *
     * @param beforeCommit called with the stored version before the transaction commits (for the durable event)
     * @throws PolicyException {@code policy.storage} on a storage failure, or whatever {@code beforeCommit} threw
     */
    StoredBundle push(NewBundle bundle, Instant at, BeforeCommit<StoredBundle> beforeCommit) throws PolicyException;

    /** Every version, oldest first, without content. */
    List<PolicyVersion> list() throws PolicyException;

    /** One version with its content, or empty when unknown. */
    Optional<StoredBundle> get(long version) throws PolicyException;

    /** The last activation, or empty when none was ever activated. */
    Optional<Activation> active() throws PolicyException;

    /** The activation history, oldest first. */
    List<Activation> history() throws PolicyException;

    /**
     * Appends an activation of an existing version.
     *
     * @throws PolicyException {@code policy.unknown_version}, {@code policy.storage}, or whatever {@code beforeCommit}
     *     threw
     */
    Activation activate(long version, Instant at, BeforeCommit<Activation> beforeCommit) throws PolicyException;

    /** A bundle to store: its canonical encoding, hash, manifest and signed statement. */
    record NewBundle(BundleManifest manifest, String hash, byte[] content, String statement) {
        public NewBundle {
            Objects.requireNonNull(manifest, "manifest");
            Objects.requireNonNull(hash, "hash");
            Objects.requireNonNull(statement, "statement");
            content = content.clone();
        }

        @Override
        public byte[] content() {
            return content.clone();
        }
    }

    /** A stored version's metadata. */
    record PolicyVersion(long version, BundleManifest manifest, String hash, Instant createdAt) {}

    /** A stored version with its canonical encoding and signed statement. */
    record StoredBundle(PolicyVersion meta, byte[] content, String statement) {
        public StoredBundle {
            Objects.requireNonNull(meta, "meta");
            Objects.requireNonNull(statement, "statement");
            content = content.clone();
        }

        @Override
        public byte[] content() {
            return content.clone();
        }

        public long version() {
            return meta.version();
        }

        public String hash() {
            return meta.hash();
        }
    }

    /** One entry of the activation history. */
    record Activation(long sequence, long version, Instant at) {}
}
