package dev.writ.server.policy;

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
 * {@link PolicyStore} over JDBC, on the tables of migration {@code V100__policy.sql}. Plain SQL that runs on SQLite and
 * PostgreSQL. Version and activation numbers are {@code max + 1} inside the writing transaction; a concurrent writer
 * fails on the primary key rather than overwriting.
 */
public final class JdbcPolicyStore implements PolicyStore {
    private final DataSource dataSource;

    public JdbcPolicyStore(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    @Override
    public StoredBundle push(NewBundle b, Instant at, BeforeCommit<StoredBundle> beforeCommit) throws PolicyException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                long version = next(c, "SELECT COALESCE(MAX(version), 0) FROM policy_bundle");
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO policy_bundle (version, name, label, description, hash, content, statement,"
                                + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setLong(1, version);
                    ps.setString(2, b.manifest().name());
                    ps.setString(3, b.manifest().version());
                    ps.setString(4, b.manifest().description());
                    ps.setString(5, b.hash());
                    ps.setBytes(6, b.content());
                    ps.setString(7, b.statement());
                    ps.setLong(8, at.toEpochMilli());
                    ps.executeUpdate();
                }
                StoredBundle stored = new StoredBundle(
                        new PolicyVersion(version, b.manifest(), b.hash(), Instant.ofEpochMilli(at.toEpochMilli())),
                        b.content(),
                        b.statement());
                beforeCommit.accept(stored);
                c.commit();
                return stored;
            } catch (SQLException | PolicyException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw storage(e);
        }
    }

    @Override
    public List<PolicyVersion> list() throws PolicyException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT version, name, label, description, hash, created_at FROM policy_bundle"
                                + " ORDER BY version");
                ResultSet rs = ps.executeQuery()) {
            List<PolicyVersion> out = new ArrayList<>();
            while (rs.next()) {
                out.add(meta(rs));
            }
            return out;
        } catch (SQLException e) {
            throw storage(e);
        }
    }

    @Override
    public Optional<StoredBundle> get(long version) throws PolicyException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT version, name, label, description, hash, created_at, content, statement"
                                + " FROM policy_bundle WHERE version = ?")) {
            ps.setLong(1, version);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StoredBundle(meta(rs), rs.getBytes("content"), rs.getString("statement")));
            }
        } catch (SQLException e) {
            throw storage(e);
        }
    }

    @Override
    public Optional<Activation> active() throws PolicyException {
        List<Activation> h = query("SELECT seq, version, activated_at FROM policy_activation"
                + " WHERE seq = (SELECT MAX(seq) FROM policy_activation)");
        return h.isEmpty() ? Optional.empty() : Optional.of(h.get(0));
    }

    @Override
    public List<Activation> history() throws PolicyException {
        return query("SELECT seq, version, activated_at FROM policy_activation ORDER BY seq");
    }

    @Override
    public Activation activate(long version, Instant at, BeforeCommit<Activation> beforeCommit) throws PolicyException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM policy_bundle WHERE version = ?")) {
                    ps.setLong(1, version);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            throw new PolicyException("policy.unknown_version", "no policy version " + version);
                        }
                    }
                }
                long seq = next(c, "SELECT COALESCE(MAX(seq), 0) FROM policy_activation");
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO policy_activation (seq, version, activated_at) VALUES (?, ?, ?)")) {
                    ps.setLong(1, seq);
                    ps.setLong(2, version);
                    ps.setLong(3, at.toEpochMilli());
                    ps.executeUpdate();
                }
                Activation a = new Activation(seq, version, Instant.ofEpochMilli(at.toEpochMilli()));
                beforeCommit.accept(a);
                c.commit();
                return a;
            } catch (SQLException | PolicyException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw storage(e);
        }
    }

    private List<Activation> query(String sql) throws PolicyException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            List<Activation> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new Activation(rs.getLong(1), rs.getLong(2), Instant.ofEpochMilli(rs.getLong(3))));
            }
            return out;
        } catch (SQLException e) {
            throw storage(e);
        }
    }

    private static long next(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1) + 1;
        }
    }

    private static PolicyVersion meta(ResultSet rs) throws SQLException {
        return new PolicyVersion(
                rs.getLong("version"),
                new BundleManifest(rs.getString("name"), rs.getString("label"), rs.getString("description")),
                rs.getString("hash"),
                Instant.ofEpochMilli(rs.getLong("created_at")));
    }

    private static PolicyException storage(SQLException e) {
        return new PolicyException("policy.storage", "the policy store failed", e);
    }
}
