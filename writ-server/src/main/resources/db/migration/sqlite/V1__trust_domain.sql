-- Trust domain state: tenants, agents, certificates, credentials, operator tokens, event outbox, CRL numbers.
-- Times are epoch milliseconds. Kept portable to PostgreSQL where cheap.

CREATE TABLE tenants (
    name        VARCHAR(128) PRIMARY KEY,
    created_at  BIGINT       NOT NULL
);

CREATE TABLE agents (
    id              VARCHAR(64)  PRIMARY KEY,
    tenant          VARCHAR(128) NOT NULL REFERENCES tenants (name),
    name            VARCHAR(256) NOT NULL,
    parent_id       VARCHAR(64)  REFERENCES agents (id),
    scope_json      TEXT         NOT NULL,
    model_json      TEXT,
    key_id          VARCHAR(256) NOT NULL,
    key_spec        VARCHAR(32)  NOT NULL,
    current_serial  VARCHAR(64),
    status          VARCHAR(16)  NOT NULL,
    created_at      BIGINT       NOT NULL
);
CREATE INDEX agents_parent ON agents (parent_id);
CREATE INDEX agents_tenant ON agents (tenant);

CREATE TABLE certificates (
    serial             VARCHAR(64)  PRIMARY KEY,
    ca                 VARCHAR(16)  NOT NULL,
    kind               VARCHAR(32)  NOT NULL,
    agent_id           VARCHAR(64)  REFERENCES agents (id),
    parent_serial      VARCHAR(64),
    subject            VARCHAR(512) NOT NULL,
    not_before         BIGINT       NOT NULL,
    not_after          BIGINT       NOT NULL,
    der                BLOB         NOT NULL,
    status             VARCHAR(16)  NOT NULL,
    revoked_at         BIGINT,
    revocation_reason  INTEGER,
    issued_at          BIGINT       NOT NULL
);
CREATE INDEX certificates_ca_status ON certificates (ca, status);
CREATE INDEX certificates_agent ON certificates (agent_id);
CREATE INDEX certificates_parent ON certificates (parent_serial);

CREATE TABLE credentials (
    hash         VARCHAR(64) PRIMARY KEY,
    agent_id     VARCHAR(64) NOT NULL REFERENCES agents (id),
    created_at   BIGINT      NOT NULL,
    disabled_at  BIGINT
);
CREATE INDEX credentials_agent ON credentials (agent_id);

CREATE TABLE operator_tokens (
    id           VARCHAR(64)  PRIMARY KEY,
    hash         VARCHAR(64)  NOT NULL UNIQUE,
    role         VARCHAR(16)  NOT NULL,
    label        VARCHAR(256),
    created_at   BIGINT       NOT NULL,
    disabled_at  BIGINT
);

CREATE TABLE events (
    seq          INTEGER      PRIMARY KEY AUTOINCREMENT,
    type         VARCHAR(64)  NOT NULL,
    body         TEXT         NOT NULL,
    created_at   BIGINT       NOT NULL,
    delivered_at BIGINT
);

CREATE TABLE crl_numbers (
    ca           VARCHAR(16)  PRIMARY KEY,
    last_number  BIGINT       NOT NULL
);
