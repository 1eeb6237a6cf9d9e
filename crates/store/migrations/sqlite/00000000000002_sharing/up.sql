-- Shares and share codes (JupyterHub 5.0's sharing tables), SQLite.
-- JupyterHub keeps "one share per (server, recipient)" in code; here it is also a unique index.

CREATE TABLE shares (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TIMESTAMP NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    spawner_id BIGINT NOT NULL REFERENCES spawners (id) ON DELETE CASCADE,
    -- JSON list, each scope filtered to !server=owner/name
    scopes TEXT NOT NULL DEFAULT '[]',
    expires_at TIMESTAMP,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE,
    CONSTRAINT ck_shares_one_recipient CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    CONSTRAINT uq_shares_spawner_id_user_id UNIQUE (spawner_id, user_id),
    CONSTRAINT uq_shares_spawner_id_group_id UNIQUE (spawner_id, group_id)
);
CREATE INDEX ix_shares_user_id ON shares (user_id);
CREATE INDEX ix_shares_group_id ON shares (group_id);
CREATE INDEX ix_shares_owner_id ON shares (owner_id);

CREATE TABLE share_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TIMESTAMP NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    spawner_id BIGINT NOT NULL REFERENCES spawners (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL DEFAULT '[]',
    expires_at TIMESTAMP,
    hashed VARCHAR(255) NOT NULL,
    prefix VARCHAR(16) NOT NULL,
    exchange_count BIGINT NOT NULL DEFAULT 0,
    last_exchanged_at TIMESTAMP,
    CONSTRAINT uq_share_codes_hashed UNIQUE (hashed)
);
CREATE INDEX ix_share_codes_prefix ON share_codes (prefix);
CREATE INDEX ix_share_codes_spawner_id ON share_codes (spawner_id);
