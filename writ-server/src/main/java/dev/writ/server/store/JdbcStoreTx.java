package dev.writ.server.store;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The repositories of one transaction over one JDBC connection, shared by every SQL backend: the statements are
 * portable SQL (the same tables in {@code db/migration/sqlite} and {@code db/migration/postgresql}), and a small
 * {@link Dialect} supplies the two operations whose best form differs per database (appending an event, drawing a CRL
 * number).
 *
 * <p>The caller owns the connection and the transaction (auto-commit off, commit or roll back); a failing statement
 * throws {@link StoreException} naming the operation ({@code "<operation> failed"}), never the values.
 */
public final class JdbcStoreTx implements StoreTx {
    /** What differs between SQL backends. Each method runs on the transaction's connection ({@link #prepare}). */
    public interface Dialect {
        /** Inserts an event and returns its sequence number, strictly increasing and never reused. */
        long appendEvent(JdbcStoreTx tx, String type, String body, Instant at) throws SQLException;

        /** Increments and returns the CRL number of {@code ca} (1 for its first CRL). */
        BigInteger nextCrlNumber(JdbcStoreTx tx, String ca) throws SQLException;
    }

    private final Connection connection;
    private final Dialect dialect;
    private boolean eventAppended;
    private final Tenants tenants = new Tenants();
    private final Agents agents = new Agents();
    private final Certificates certificates = new Certificates();
    private final Credentials credentials = new Credentials();
    private final OperatorTokens operatorTokens = new OperatorTokens();
    private final Events events = new Events();
    private final CrlNumbers crlNumbers = new CrlNumbers();

    public JdbcStoreTx(Connection connection, Dialect dialect) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.dialect = Objects.requireNonNull(dialect, "dialect");
    }

    /** A statement on this transaction's connection. */
    public PreparedStatement prepare(String sql) throws SQLException {
        return connection.prepareStatement(sql);
    }

    /**
     * True the first time it is called in this transaction: a dialect that must take a lock before the first event
     * append of a transaction (and hold it until commit) asks here.
     */
    public boolean firstEventAppend() {
        boolean first = !eventAppended;
        eventAppended = true;
        return first;
    }

    /** Runs a query that yields one number (a count, a {@code RETURNING} value). */
    public static long single(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static StoreException fail(String what, SQLException e) {
        return new StoreException(what + " failed", e);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    @Override
    public TenantRepository tenants() {
        return tenants;
    }

    @Override
    public AgentRepository agents() {
        return agents;
    }

    @Override
    public CertificateRepository certificates() {
        return certificates;
    }

    @Override
    public CredentialRepository credentials() {
        return credentials;
    }

    @Override
    public OperatorTokenRepository operatorTokens() {
        return operatorTokens;
    }

    @Override
    public EventRepository events() {
        return events;
    }

    @Override
    public CrlNumberRepository crlNumbers() {
        return crlNumbers;
    }

    private final class Tenants implements TenantRepository {
        @Override
        public boolean create(String name, Instant at) throws StoreException {
            try (PreparedStatement ps =
                    prepare("INSERT INTO tenants (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
                ps.setString(1, name);
                ps.setLong(2, at.toEpochMilli());
                return ps.executeUpdate() == 1;
            } catch (SQLException e) {
                throw fail("tenant insert", e);
            }
        }

        @Override
        public boolean exists(String name) throws StoreException {
            try (PreparedStatement ps = prepare("SELECT COUNT(*) FROM tenants WHERE name = ?")) {
                ps.setString(1, name);
                return single(ps) > 0;
            } catch (SQLException e) {
                throw fail("tenant lookup", e);
            }
        }

        @Override
        public List<String> list() throws StoreException {
            try (PreparedStatement ps = prepare("SELECT name FROM tenants ORDER BY name");
                    ResultSet rs = ps.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
                return out;
            } catch (SQLException e) {
                throw fail("tenant list", e);
            }
        }
    }

    private final class Agents implements AgentRepository {
        private static final String COLUMNS = "id, tenant, name, parent_id, scope_json, model_json, key_id, key_spec,"
                + " current_serial, status, created_at";

        private AgentRecord read(ResultSet rs) throws SQLException {
            return new AgentRecord(
                    rs.getString("id"),
                    rs.getString("tenant"),
                    rs.getString("name"),
                    rs.getString("parent_id"),
                    rs.getString("scope_json"),
                    rs.getString("model_json"),
                    rs.getString("key_id"),
                    rs.getString("key_spec"),
                    rs.getString("current_serial"),
                    rs.getString("status"),
                    instant(rs, "created_at"));
        }

        private List<AgentRecord> query(PreparedStatement ps) throws SQLException {
            try (ResultSet rs = ps.executeQuery()) {
                List<AgentRecord> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(read(rs));
                }
                return out;
            }
        }

        @Override
        public void insert(AgentRecord a) throws StoreException {
            try (PreparedStatement ps =
                    prepare("INSERT INTO agents (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
                ps.setString(1, a.id());
                ps.setString(2, a.tenant());
                ps.setString(3, a.name());
                ps.setString(4, a.parentId());
                ps.setString(5, a.scopeJson());
                ps.setString(6, a.modelJson());
                ps.setString(7, a.keyId());
                ps.setString(8, a.keySpec());
                ps.setString(9, a.currentSerial());
                ps.setString(10, a.status());
                ps.setLong(11, a.createdAt().toEpochMilli());
                ps.executeUpdate();
            } catch (SQLException e) {
                throw fail("agent insert", e);
            }
        }

        @Override
        public Optional<AgentRecord> find(String id) throws StoreException {
            try (PreparedStatement ps = prepare("SELECT " + COLUMNS + " FROM agents WHERE id = ?")) {
                ps.setString(1, id);
                return query(ps).stream().findFirst();
            } catch (SQLException e) {
                throw fail("agent lookup", e);
            }
        }

        @Override
        public List<AgentRecord> list(String tenant) throws StoreException {
            String sql = "SELECT " + COLUMNS + " FROM agents"
                    + (tenant == null ? "" : " WHERE tenant = ?")
                    + " ORDER BY created_at, id";
            try (PreparedStatement ps = prepare(sql)) {
                if (tenant != null) {
                    ps.setString(1, tenant);
                }
                return query(ps);
            } catch (SQLException e) {
                throw fail("agent list", e);
            }
        }

        @Override
        public List<AgentRecord> children(String parentId) throws StoreException {
            try (PreparedStatement ps =
                    prepare("SELECT " + COLUMNS + " FROM agents WHERE parent_id = ? ORDER BY created_at, id")) {
                ps.setString(1, parentId);
                return query(ps);
            } catch (SQLException e) {
                throw fail("agent children lookup", e);
            }
        }

        @Override
        public void updateKeyAndCertificate(String id, String keyId, String keySpec, String serial)
                throws StoreException {
            try (PreparedStatement ps =
                    prepare("UPDATE agents SET key_id = ?, key_spec = ?, current_serial = ? WHERE id = ?")) {
                ps.setString(1, keyId);
                ps.setString(2, keySpec);
                ps.setString(3, serial);
                ps.setString(4, id);
                if (ps.executeUpdate() != 1) {
                    throw new StoreException("agent not found");
                }
            } catch (SQLException e) {
                throw fail("agent update", e);
            }
        }

        @Override
        public void updateStatus(String id, String status) throws StoreException {
            try (PreparedStatement ps = prepare("UPDATE agents SET status = ? WHERE id = ?")) {
                ps.setString(1, status);
                ps.setString(2, id);
                if (ps.executeUpdate() != 1) {
                    throw new StoreException("agent not found");
                }
            } catch (SQLException e) {
                throw fail("agent update", e);
            }
        }

        @Override
        public long count() throws StoreException {
            try (PreparedStatement ps = prepare("SELECT COUNT(*) FROM agents")) {
                return single(ps);
            } catch (SQLException e) {
                throw fail("agent count", e);
            }
        }
    }

    private final class Certificates implements CertificateRepository {
        private static final String COLUMNS = "serial, ca, kind, agent_id, parent_serial, subject, not_before,"
                + " not_after, der, status, revoked_at, revocation_reason, issued_at";

        private List<CertificateRecord> query(PreparedStatement ps) throws SQLException {
            try (ResultSet rs = ps.executeQuery()) {
                List<CertificateRecord> out = new ArrayList<>();
                while (rs.next()) {
                    int reason = rs.getInt("revocation_reason");
                    Integer reasonOrNull = rs.wasNull() ? null : reason;
                    out.add(new CertificateRecord(
                            rs.getString("serial"),
                            rs.getString("ca"),
                            rs.getString("kind"),
                            rs.getString("agent_id"),
                            rs.getString("parent_serial"),
                            rs.getString("subject"),
                            instant(rs, "not_before"),
                            instant(rs, "not_after"),
                            rs.getBytes("der"),
                            rs.getString("status"),
                            instant(rs, "revoked_at"),
                            reasonOrNull,
                            instant(rs, "issued_at")));
                }
                return out;
            }
        }

        @Override
        public void insert(CertificateRecord c) throws StoreException {
            try (PreparedStatement ps =
                    prepare("INSERT INTO certificates (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                ps.setString(1, c.serial());
                ps.setString(2, c.ca());
                ps.setString(3, c.kind());
                ps.setString(4, c.agentId());
                ps.setString(5, c.parentSerial());
                ps.setString(6, c.subject());
                ps.setLong(7, c.notBefore().toEpochMilli());
                ps.setLong(8, c.notAfter().toEpochMilli());
                ps.setBytes(9, c.der());
                ps.setString(10, c.status());
                if (c.revokedAt() == null) {
                    ps.setNull(11, Types.BIGINT);
                } else {
                    ps.setLong(11, c.revokedAt().toEpochMilli());
                }
                if (c.revocationReason() == null) {
                    ps.setNull(12, Types.INTEGER);
                } else {
                    ps.setInt(12, c.revocationReason());
                }
                ps.setLong(13, c.issuedAt().toEpochMilli());
                ps.executeUpdate();
            } catch (SQLException e) {
                throw fail("certificate insert", e);
            }
        }

        @Override
        public Optional<CertificateRecord> find(String serial) throws StoreException {
            try (PreparedStatement ps = prepare("SELECT " + COLUMNS + " FROM certificates WHERE serial = ?")) {
                ps.setString(1, serial);
                return query(ps).stream().findFirst();
            } catch (SQLException e) {
                throw fail("certificate lookup", e);
            }
        }

        @Override
        public List<CertificateRecord> list(String agentId, int limit) throws StoreException {
            String sql = "SELECT " + COLUMNS + " FROM certificates"
                    + (agentId == null ? "" : " WHERE agent_id = ?")
                    + " ORDER BY issued_at DESC, serial LIMIT ?";
            try (PreparedStatement ps = prepare(sql)) {
                int i = 1;
                if (agentId != null) {
                    ps.setString(i++, agentId);
                }
                ps.setInt(i, limit);
                return query(ps);
            } catch (SQLException e) {
                throw fail("certificate list", e);
            }
        }

        @Override
        public boolean revoke(String serial, Instant at, int reason) throws StoreException {
            try (PreparedStatement ps = prepare("UPDATE certificates SET status = ?, revoked_at = ?,"
                    + " revocation_reason = ? WHERE serial = ? AND status = ?")) {
                ps.setString(1, CertificateRecord.REVOKED);
                ps.setLong(2, at.toEpochMilli());
                ps.setInt(3, reason);
                ps.setString(4, serial);
                ps.setString(5, CertificateRecord.GOOD);
                return ps.executeUpdate() == 1;
            } catch (SQLException e) {
                throw fail("certificate revocation", e);
            }
        }

        @Override
        public List<CertificateRecord> revoked(String ca, Instant now) throws StoreException {
            try (PreparedStatement ps = prepare("SELECT " + COLUMNS + " FROM certificates WHERE ca = ? AND status = ?"
                    + " AND not_after > ? ORDER BY revoked_at, serial")) {
                ps.setString(1, ca);
                ps.setString(2, CertificateRecord.REVOKED);
                ps.setLong(3, now.toEpochMilli());
                return query(ps);
            } catch (SQLException e) {
                throw fail("revoked certificate list", e);
            }
        }

        @Override
        public long count() throws StoreException {
            try (PreparedStatement ps = prepare("SELECT COUNT(*) FROM certificates")) {
                return single(ps);
            } catch (SQLException e) {
                throw fail("certificate count", e);
            }
        }
    }

    private final class Credentials implements CredentialRepository {
        @Override
        public void insert(String hash, String agentId, Instant at) throws StoreException {
            try (PreparedStatement ps =
                    prepare("INSERT INTO credentials (hash, agent_id, created_at) VALUES (?, ?, ?)")) {
                ps.setString(1, hash);
                ps.setString(2, agentId);
                ps.setLong(3, at.toEpochMilli());
                ps.executeUpdate();
            } catch (SQLException e) {
                throw fail("credential insert", e);
            }
        }

        @Override
        public Optional<String> findActive(String hash) throws StoreException {
            try (PreparedStatement ps =
                    prepare("SELECT agent_id FROM credentials WHERE hash = ? AND disabled_at IS NULL")) {
                ps.setString(1, hash);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                }
            } catch (SQLException e) {
                throw fail("credential lookup", e);
            }
        }

        @Override
        public int disableAll(String agentId, Instant at) throws StoreException {
            try (PreparedStatement ps =
                    prepare("UPDATE credentials SET disabled_at = ? WHERE agent_id = ? AND disabled_at IS NULL")) {
                ps.setLong(1, at.toEpochMilli());
                ps.setString(2, agentId);
                return ps.executeUpdate();
            } catch (SQLException e) {
                throw fail("credential update", e);
            }
        }

        @Override
        public long count() throws StoreException {
            try (PreparedStatement ps = prepare("SELECT COUNT(*) FROM credentials")) {
                return single(ps);
            } catch (SQLException e) {
                throw fail("credential count", e);
            }
        }
    }

    private final class OperatorTokens implements OperatorTokenRepository {
        private List<OperatorToken> query(PreparedStatement ps) throws SQLException {
            try (ResultSet rs = ps.executeQuery()) {
                List<OperatorToken> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new OperatorToken(
                            rs.getString("id"),
                            rs.getString("role"),
                            rs.getString("label"),
                            instant(rs, "created_at"),
                            instant(rs, "disabled_at")));
                }
                return out;
            }
        }

        @Override
        public void insert(String id, String hash, String role, String label, Instant at) throws StoreException {
            try (PreparedStatement ps =
                    prepare("INSERT INTO operator_tokens (id, hash, role, label, created_at) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, id);
                ps.setString(2, hash);
                ps.setString(3, role);
                ps.setString(4, label);
                ps.setLong(5, at.toEpochMilli());
                ps.executeUpdate();
            } catch (SQLException e) {
                throw fail("operator token insert", e);
            }
        }

        @Override
        public Optional<OperatorToken> findActive(String hash) throws StoreException {
            try (PreparedStatement ps = prepare("SELECT id, role, label, created_at, disabled_at FROM operator_tokens"
                    + " WHERE hash = ? AND disabled_at IS NULL")) {
                ps.setString(1, hash);
                return query(ps).stream().findFirst();
            } catch (SQLException e) {
                throw fail("operator token lookup", e);
            }
        }

        @Override
        public List<OperatorToken> list() throws StoreException {
            try (PreparedStatement ps = prepare(
                    "SELECT id, role, label, created_at, disabled_at FROM operator_tokens ORDER BY created_at, id")) {
                return query(ps);
            } catch (SQLException e) {
                throw fail("operator token list", e);
            }
        }

        @Override
        public boolean disable(String id, Instant at) throws StoreException {
            try (PreparedStatement ps =
                    prepare("UPDATE operator_tokens SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL")) {
                ps.setLong(1, at.toEpochMilli());
                ps.setString(2, id);
                return ps.executeUpdate() == 1;
            } catch (SQLException e) {
                throw fail("operator token update", e);
            }
        }
    }

    private final class Events implements EventRepository {
        private List<StoredEvent> query(PreparedStatement ps) throws SQLException {
            try (ResultSet rs = ps.executeQuery()) {
                List<StoredEvent> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new StoredEvent(
                            rs.getLong("seq"), rs.getString("type"), rs.getString("body"), instant(rs, "created_at")));
                }
                return out;
            }
        }

        @Override
        public long append(String type, String body, Instant at) throws StoreException {
            try {
                return dialect.appendEvent(JdbcStoreTx.this, type, body, at);
            } catch (SQLException e) {
                throw fail("event append", e);
            }
        }

        @Override
        public List<StoredEvent> after(long afterSeq, int limit) throws StoreException {
            try (PreparedStatement ps =
                    prepare("SELECT seq, type, body, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?")) {
                ps.setLong(1, afterSeq);
                ps.setInt(2, limit);
                return query(ps);
            } catch (SQLException e) {
                throw fail("event read", e);
            }
        }

        @Override
        public List<StoredEvent> undelivered(int limit) throws StoreException {
            try (PreparedStatement ps = prepare("SELECT seq, type, body, created_at FROM events"
                    + " WHERE delivered_at IS NULL ORDER BY seq LIMIT ?")) {
                ps.setInt(1, limit);
                return query(ps);
            } catch (SQLException e) {
                throw fail("event read", e);
            }
        }

        @Override
        public void markDelivered(long seq, Instant at) throws StoreException {
            try (PreparedStatement ps = prepare("UPDATE events SET delivered_at = ? WHERE seq = ?")) {
                ps.setLong(1, at.toEpochMilli());
                ps.setLong(2, seq);
                ps.executeUpdate();
            } catch (SQLException e) {
                throw fail("event update", e);
            }
        }

        @Override
        public long count() throws StoreException {
            try (PreparedStatement ps = prepare("SELECT COUNT(*) FROM events")) {
                return single(ps);
            } catch (SQLException e) {
                throw fail("event count", e);
            }
        }
    }

    private final class CrlNumbers implements CrlNumberRepository {
        @Override
        public BigInteger next(String ca) throws StoreException {
            try {
                return dialect.nextCrlNumber(JdbcStoreTx.this, ca);
            } catch (SQLException e) {
                throw fail("CRL number update", e);
            }
        }
    }
}
