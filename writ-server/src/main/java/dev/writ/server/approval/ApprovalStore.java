package dev.writ.server.approval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Approval records over JDBC, on the table of migration {@code V200__approvals.sql}. Plain SQL that runs on SQLite and
 * PostgreSQL. State changes are conditional updates ({@code WHERE status = 'PENDING' AND expires_at > now}), so two
 * approvers, or two uses, can never both succeed.
 */
public final class ApprovalStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "id, agent_id, spiffe_id, tenant, request_hash, request_json, policy_hash,"
            + " reasons_json, status, created_at, expires_at, decided_at, decided_by, decided_by_role,"
            + " decided_by_label, decision_hash, used_at";

    /** Work that runs inside the writing transaction, after the write; an exception rolls the write back. */
    @FunctionalInterface
    public interface BeforeCommit {
        void run() throws ApprovalException;
    }

    private final DataSource dataSource;

    public ApprovalStore(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Inserts a new pending approval and runs {@code beforeCommit} (logging it) before committing.
     *
     * @throws ApprovalException {@code approval.unavailable} when the database fails, or what {@code beforeCommit}
     *     throws; nothing is stored then
     */
    public void insert(Approval a, BeforeCommit beforeCommit) throws ApprovalException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO approvals (" + COLUMNS
                        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?," + " ?, ?, NULL, NULL, NULL, NULL, NULL, NULL)")) {
                    ps.setString(1, a.id());
                    ps.setString(2, a.agentId());
                    ps.setString(3, a.spiffeId());
                    ps.setString(4, a.tenant());
                    ps.setString(5, a.requestHash());
                    ps.setString(6, a.request().toString());
                    ps.setString(7, a.policyHash());
                    ArrayNode reasons = JSON.createArrayNode();
                    a.reasons().forEach(reasons::add);
                    ps.setString(8, reasons.toString());
                    ps.setString(9, a.status().name());
                    ps.setLong(10, a.createdAt().toEpochMilli());
                    ps.setLong(11, a.expiresAt().toEpochMilli());
                    ps.executeUpdate();
                }
                beforeCommit.run();
                c.commit();
            } catch (SQLException | ApprovalException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * Decides a pending, unexpired approval, then runs {@code beforeCommit} (logging the decision) before committing.
     *
     * @return false when the approval is not pending or has expired (nothing changed)
     * @throws ApprovalException {@code approval.unavailable}, or what {@code beforeCommit} throws (rolled back)
     */
    public boolean decide(
            String id,
            Approval.Status status,
            Instant at,
            String by,
            String role,
            String label,
            String decisionHash,
            BeforeCommit beforeCommit)
            throws ApprovalException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                int n;
                try (PreparedStatement ps = c.prepareStatement("UPDATE approvals SET status = ?, decided_at = ?,"
                        + " decided_by = ?, decided_by_role = ?, decided_by_label = ?, decision_hash = ?"
                        + " WHERE id = ? AND status = 'PENDING' AND expires_at > ?")) {
                    ps.setString(1, status.name());
                    ps.setLong(2, at.toEpochMilli());
                    ps.setString(3, by);
                    ps.setString(4, role);
                    ps.setString(5, label);
                    ps.setString(6, decisionHash);
                    ps.setString(7, id);
                    ps.setLong(8, at.toEpochMilli());
                    n = ps.executeUpdate();
                }
                if (n != 1) {
                    c.rollback();
                    return false;
                }
                beforeCommit.run();
                c.commit();
                return true;
            } catch (SQLException | ApprovalException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * Marks an approved, unexpired, unused approval of this agent and request as used.
     *
     * @return false when any of those conditions does not hold (nothing changed)
     * @throws ApprovalException {@code approval.unavailable}
     */
    public boolean markUsed(String id, String agentId, String requestHash, Instant at) throws ApprovalException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE approvals SET used_at = ? WHERE id = ? AND agent_id"
                        + " = ? AND request_hash = ? AND status = 'APPROVED' AND used_at IS NULL AND expires_at > ?")) {
            ps.setLong(1, at.toEpochMilli());
            ps.setString(2, id);
            ps.setString(3, agentId);
            ps.setString(4, requestHash);
            ps.setLong(5, at.toEpochMilli());
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * One approval.
     *
     * @throws ApprovalException {@code approval.unavailable}
     */
    public Optional<Approval> find(String id) throws ApprovalException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM approvals WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * The newest approval of this agent for this request that is still pending at {@code now}, if any.
     *
     * @throws ApprovalException {@code approval.unavailable}
     */
    public Optional<Approval> findPending(String agentId, String requestHash, Instant now) throws ApprovalException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM approvals WHERE agent_id = ?"
                        + " AND request_hash = ? AND status = 'PENDING' AND expires_at > ? ORDER BY created_at DESC"
                        + " LIMIT 1")) {
            ps.setString(1, agentId);
            ps.setString(2, requestHash);
            ps.setLong(3, now.toEpochMilli());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /**
     * Approvals by effective status at {@code now} ({@code pending}, {@code approved}, {@code denied},
     * {@code expired}) or all of them ({@code null}), newest first, at most {@code limit}.
     *
     * @throws ApprovalException {@code approval.unavailable}
     */
    public List<Approval> list(String status, Instant now, int limit) throws ApprovalException {
        String where;
        if (status == null) {
            where = "1 = 1";
        } else {
            where = switch (status) {
                case "pending" -> "status = 'PENDING' AND expires_at > ?";
                case "approved" -> "status = 'APPROVED' AND expires_at > ?";
                case "denied" -> "status = 'DENIED'";
                case "expired" -> "status <> 'DENIED' AND expires_at <= ?";
                default -> throw new IllegalArgumentException("unknown status");
            };
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM approvals WHERE " + where
                        + " ORDER BY created_at DESC, id LIMIT ?")) {
            int i = 1;
            if (where.contains("?")) {
                ps.setLong(i++, now.toEpochMilli());
            }
            ps.setInt(i, limit);
            List<Approval> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    private static Approval row(ResultSet rs) throws SQLException {
        try {
            List<String> reasons = new ArrayList<>();
            JSON.readTree(rs.getString("reasons_json")).forEach(n -> reasons.add(n.asText()));
            return new Approval(
                    rs.getString("id"),
                    rs.getString("agent_id"),
                    rs.getString("spiffe_id"),
                    rs.getString("tenant"),
                    rs.getString("request_hash"),
                    (ObjectNode) JSON.readTree(rs.getString("request_json")),
                    rs.getString("policy_hash"),
                    reasons,
                    Approval.Status.valueOf(rs.getString("status")),
                    Instant.ofEpochMilli(rs.getLong("created_at")),
                    Instant.ofEpochMilli(rs.getLong("expires_at")),
                    instant(rs, "decided_at"),
                    rs.getString("decided_by"),
                    rs.getString("decided_by_role"),
                    rs.getString("decided_by_label"),
                    rs.getString("decision_hash"),
                    instant(rs, "used_at"));
        } catch (IOException | ClassCastException e) {
            throw new SQLException("stored approval does not parse", e);
        }
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private static ApprovalException unavailable(SQLException e) {
        return new ApprovalException("approval.unavailable", "the approval store is unavailable", e);
    }
}
