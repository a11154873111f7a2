package dev.writ.server.forensic;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The openings of released denials' commitments (table {@code denial_details}, migration {@code V400}): the detailed
 * denial record and the salt, kept for operators and auditors because the public audit log carries only the
 * commitment. Plain SQL for SQLite and PostgreSQL. Rows are written once and never updated.
 */
public final class DenialDetailStore {
    /** An opening: the released denial's jti, the detailed record, the salt and the commitment they open. */
    public record Detail(String jti, String detailJws, String salt, String commitment, Instant createdAt) {
        public Detail {
            Objects.requireNonNull(jti, "jti");
            Objects.requireNonNull(detailJws, "detailJws");
            Objects.requireNonNull(salt, "salt");
            Objects.requireNonNull(commitment, "commitment");
            Objects.requireNonNull(createdAt, "createdAt");
        }

        @Override
        public String toString() {
            return "Detail[" + jti + "]"; // the salt and the detail are for auditors, not for log lines
        }
    }

    private final DataSource dataSource;

    public DenialDetailStore(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Stores an opening (durably, before the denial is logged and released).
     *
     * @throws SQLException when the database fails: the caller must not release the denial
     */
    public void save(Detail d) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO denial_details (jti, detail_jws, salt, commitment, created_at) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, d.jti());
            ps.setString(2, d.detailJws());
            ps.setString(3, d.salt());
            ps.setString(4, d.commitment());
            ps.setLong(5, d.createdAt().toEpochMilli());
            ps.executeUpdate();
        }
    }

    /**
     * The opening of the released denial {@code jti}, if one was stored.
     *
     * @throws SQLException when the database fails
     */
    public Optional<Detail> find(String jti) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT jti, detail_jws, salt, commitment, created_at FROM denial_details WHERE jti = ?")) {
            ps.setString(1, jti);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Detail(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        Instant.ofEpochMilli(rs.getLong(5))));
            }
        }
    }
}
