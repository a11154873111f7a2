-- The opening of each released denial's commitment (invariant 9: the public audit log carries only the commitment).
-- jti is the released denial's; detail_jws the detailed denial record; salt the commitment's salt (base64url).
-- Times are epoch milliseconds. Portable to PostgreSQL.

CREATE TABLE denial_details (
    jti         VARCHAR(128)  PRIMARY KEY,
    detail_jws  TEXT          NOT NULL,
    salt        VARCHAR(64)   NOT NULL,
    commitment  VARCHAR(71)   NOT NULL,
    created_at  BIGINT        NOT NULL
);
