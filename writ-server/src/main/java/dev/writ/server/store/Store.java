package dev.writ.server.store;

/**
 * The trust domain's state behind one transactional entry point. Every read and write goes through
 * {@link #inTransaction}: the work either commits as a whole or leaves nothing behind.
 *
 * <p>Transactions are re-entrant on the calling thread: a nested {@code inTransaction} joins the outer one, so a
 * component that records an event through its own {@code inTransaction} call commits or rolls back with its caller.
 */
public interface Store extends AutoCloseable {

    /** Work to run inside a transaction. Any exception rolls the transaction back and propagates. */
    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T run(StoreTx tx) throws E, StoreException;
    }

    /**
     * Runs {@code work} in one transaction.
     *
     * @throws StoreException when the database fails; the transaction is rolled back
     * @throws E whatever the work throws; the transaction is rolled back
     */
    <T, E extends Exception> T inTransaction(Work<T, E> work) throws E, StoreException;

    @Override
    void close() throws StoreException;
}
