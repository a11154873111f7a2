package dev.writ.server.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Runs a task on at most one node of a PostgreSQL-backed trust domain at a time, with a session-level advisory lock
 * ({@code pg_try_advisory_lock}): the node that gets the lock runs the task, the others skip this turn. The lock is
 * held on one pooled connection for the duration of the task and released afterwards; if the node dies, PostgreSQL
 * releases it with the session, so another node takes over on its next turn.
 */
public final class RelayLease {
    /** Lock key of the outbox relay ("writ-rly"). */
    public static final long OUTBOX_RELAY = 0x777269742d726c79L;

    private final DataSource db;
    private final long key;

    public RelayLease(DataSource db, long key) {
        this.db = Objects.requireNonNull(db, "db");
        this.key = key;
    }

    /** A task run under the lease. */
    @FunctionalInterface
    public interface Task {
        void run() throws Exception;
    }

    /**
     * Runs {@code task} when this node gets the lock.
     *
     * @return whether the task ran (false: another node holds the lock)
     * @throws SQLException when the lock cannot be asked for
     * @throws Exception whatever the task throws
     */
    public boolean runIfLeader(Task task) throws Exception {
        try (Connection c = db.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            try (PreparedStatement st = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                st.setLong(1, key);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next() || !rs.getBoolean(1)) {
                        return false;
                    }
                }
            }
            try {
                task.run();
                return true;
            } finally {
                try (PreparedStatement st = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                    st.setLong(1, key);
                    st.execute();
                }
            }
        }
    }
}
