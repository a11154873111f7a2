-- Policy bundles: immutable versions, and an append-only activation history.
-- Portable to PostgreSQL except BLOB, which is BYTEA there.

CREATE TABLE policy_bundle (
    version     BIGINT        NOT NULL PRIMARY KEY,
    name        VARCHAR(64)   NOT NULL,
    label       VARCHAR(64)   NOT NULL,
    description VARCHAR(1000) NOT NULL,
    hash        VARCHAR(71)   NOT NULL,
    content     BLOB          NOT NULL,
    statement   TEXT          NOT NULL,
    created_at  BIGINT        NOT NULL
);

CREATE INDEX policy_bundle_hash ON policy_bundle (hash);

CREATE TABLE policy_activation (
    seq          BIGINT NOT NULL PRIMARY KEY,
    version      BIGINT NOT NULL REFERENCES policy_bundle (version),
    activated_at BIGINT NOT NULL
);
