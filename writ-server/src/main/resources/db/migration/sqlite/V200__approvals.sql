-- Human approvals of pending authorisations. Times are epoch milliseconds. Portable to PostgreSQL.
-- A row is bound to one agent and one exact request (request_hash); it is decided once and used at most once.

CREATE TABLE approvals (
    id               VARCHAR(64)   PRIMARY KEY,
    agent_id         VARCHAR(64)   NOT NULL,
    spiffe_id        VARCHAR(512)  NOT NULL,
    tenant           VARCHAR(128)  NOT NULL,
    request_hash     VARCHAR(71)   NOT NULL,
    request_json     TEXT          NOT NULL,
    policy_hash      VARCHAR(71)   NOT NULL,
    reasons_json     TEXT          NOT NULL,
    status           VARCHAR(16)   NOT NULL,
    created_at       BIGINT        NOT NULL,
    expires_at       BIGINT        NOT NULL,
    decided_at       BIGINT,
    decided_by       VARCHAR(64),
    decided_by_role  VARCHAR(16),
    decided_by_label VARCHAR(256),
    decision_hash    VARCHAR(71),
    used_at          BIGINT
);
CREATE INDEX approvals_status ON approvals (status, expires_at);
CREATE INDEX approvals_agent ON approvals (agent_id);
