package dev.writ.core.log;

/**
 * A receipt that has been checked: the entry with {@link #leafHash} is leaf {@link #index} of the tree committed to by
 * {@link #checkpoint}, which the log key signed. Only {@link LogReceipt#verify} creates one.
 */
public final class VerifiedLogReceipt {
    private final long index;
    private final byte[] leafHash;
    private final Checkpoint.Verified checkpoint;

    VerifiedLogReceipt(long index, byte[] leafHash, Checkpoint.Verified checkpoint) {
        this.index = index;
        this.leafHash = leafHash.clone();
        this.checkpoint = checkpoint;
    }

    public long index() {
        return index;
    }

    public byte[] leafHash() {
        return leafHash.clone();
    }

    public Checkpoint.Verified checkpoint() {
        return checkpoint;
    }
}
