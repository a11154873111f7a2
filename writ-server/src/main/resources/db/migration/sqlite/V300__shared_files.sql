-- Files every node of a trust domain needs, kept in the shared database so that a node starting with an empty data
-- directory can serve: the public trust-domain description (domain.json, CA and leaf certificates, the root CRL) and
-- the software custody keystore (its check value and one sealed key file per key, each already encrypted under the
-- custody master key, which is never stored here). Times are epoch milliseconds.

CREATE TABLE shared_files (
    path       VARCHAR(512)  PRIMARY KEY,
    content    BLOB          NOT NULL,
    updated_at BIGINT        NOT NULL
);
