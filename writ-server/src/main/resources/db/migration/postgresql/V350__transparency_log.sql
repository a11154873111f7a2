-- The shared audit log of a multi-node deployment (dev.writ.server.log.postgres.PostgresLog): one RFC 6962 Merkle
-- tree for every node, sequenced inside the database. PostgreSQL only: the embedded deployment keeps its log in files.

-- The single sequencer row. Every batch of appends updates it in the same transaction as its entries, hashes and
-- checkpoint, under the condition that size is still what the writer computed from, so batches from different nodes
-- are serialised on this row. frontier is the right edge of the tree (the roots of its perfect subtrees, largest
-- first), from which the next batch's hashes and the root follow; checkpoint is the signed note of (size, root).
CREATE TABLE log_sequencer (
    id          SMALLINT PRIMARY KEY CHECK (id = 1),
    origin      TEXT     NOT NULL,
    size        BIGINT   NOT NULL CHECK (size >= 0),
    root        BYTEA    NOT NULL,
    frontier    BYTEA    NOT NULL,
    checkpoint  BYTEA    NOT NULL
);

-- Entries in sequence order, byte for byte as logged (entry bundles are built from them).
CREATE TABLE log_entries (
    leaf_index  BIGINT PRIMARY KEY,
    entry       BYTEA  NOT NULL
);

-- Every hash of the tree: node_index-th perfect subtree of 2^level leaves. Level 8L holds the level-L tiles.
CREATE TABLE log_hashes (
    level       SMALLINT NOT NULL,
    node_index  BIGINT   NOT NULL,
    hash        BYTEA    NOT NULL,
    PRIMARY KEY (level, node_index)
);

-- Every checkpoint the log signed (one per batch), keyed by tree size.
CREATE TABLE log_checkpoints (
    size        BIGINT PRIMARY KEY,
    checkpoint  BYTEA  NOT NULL
);

-- The first leaf carrying each top-level "jti", keyed by SHA-256 of the jti (entries confirm a hit).
CREATE TABLE log_jti (
    jti_hash    BYTEA  PRIMARY KEY,
    leaf_index  BIGINT NOT NULL
);
