-- Policy bundles: immutable versions, and an append-only activation history.
-- The PostgreSQL twin of sqlite/V100__policy.sql; BLOB is BYTEA.

CREATE TABLE policy_bundle (
    version     BIGINT        NOT NULL PRIMARY KEY,
    name        VARCHAR(64)   NOT NULL,
    label       VARCHAR(64)   NOT NULL,
    description VARCHAR(1000) NOT NULL,
    hash        VARCHAR(71)   NOT NULL,
    content     BYTEA         NOT NULL,
    statement   TEXT          NOT NULL,
    created_at  BIGINT        NOT NULL
);

CREATE INDEX policy_bundle_hash ON policy_bundle (hash);

CREATE TABLE policy_activation (
    seq          BIGINT NOT NULL PRIMARY KEY,
    version      BIGINT NOT NULL REFERENCES policy_bundle (version),
    activated_at BIGINT NOT NULL
);
