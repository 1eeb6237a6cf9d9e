-- hubcap's core schema, modelled on JupyterHub 6.1.1's orm.py (SQLite).
-- Differences from JupyterHub, all deliberate (see crates/store/README.md):
-- names are NOT NULL; ids never reused (AUTOINCREMENT, as PostgreSQL sequences);
-- a user's server names are unique per user; every token has an OAuth client.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(255) NOT NULL,
    admin BOOLEAN NOT NULL DEFAULT 0,
    created TIMESTAMP NOT NULL,
    last_activity TIMESTAMP,
    cookie_id VARCHAR(255) NOT NULL,
    -- JSON: legacy spawner state (JupyterHub keeps the column; spawners.state is used)
    state TEXT,
    -- JSON: what the authenticator returned about the user
    user_info TEXT,
    -- auth_state, encrypted by the hub before it gets here
    encrypted_auth_state BLOB,
    CONSTRAINT uq_users_name UNIQUE (name),
    CONSTRAINT uq_users_cookie_id UNIQUE (cookie_id)
);

CREATE TABLE groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(255) NOT NULL,
    -- JSON object
    properties TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT uq_groups_name UNIQUE (name)
);

CREATE TABLE user_group_map (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX ix_user_group_map_group_id ON user_group_map (group_id);

CREATE TABLE roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(1023),
    -- JSON list of raw scopes, in the order given
    scopes TEXT NOT NULL DEFAULT '[]',
    managed_by_auth BOOLEAN NOT NULL DEFAULT 0,
    CONSTRAINT uq_roles_name UNIQUE (name)
);

-- a server's address (JupyterHub's orm.Server); owned by one spawner or one service
CREATE TABLE servers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    proto VARCHAR(15) NOT NULL DEFAULT 'http',
    ip VARCHAR(255) NOT NULL DEFAULT '',
    port INTEGER NOT NULL,
    base_url VARCHAR(255) NOT NULL DEFAULT '/',
    cookie_name VARCHAR(255) NOT NULL DEFAULT 'cookie'
);

CREATE TABLE oauth_clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    identifier VARCHAR(255) NOT NULL,
    description VARCHAR(1023),
    -- hashed like a token (algorithm:rounds:salt:digest); '' when the client has no secret
    secret VARCHAR(255) NOT NULL DEFAULT '',
    redirect_uri VARCHAR(1023),
    -- JSON list: the scopes the client may request (not the client's own)
    allowed_scopes TEXT NOT NULL DEFAULT '[]',
    CONSTRAINT uq_oauth_clients_identifier UNIQUE (identifier)
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(255) NOT NULL,
    admin BOOLEAN NOT NULL DEFAULT 0,
    url VARCHAR(2047),
    oauth_client_allowed_scopes TEXT,
    info TEXT,
    display BOOLEAN,
    oauth_no_confirm BOOLEAN,
    command TEXT,
    cwd VARCHAR(4095),
    environment TEXT,
    "user" VARCHAR(255),
    timeout INTEGER NOT NULL DEFAULT 30,
    from_config BOOLEAN NOT NULL DEFAULT 1,
    server_id BIGINT REFERENCES servers (id) ON DELETE SET NULL,
    pid INTEGER,
    oauth_client_id VARCHAR(255) REFERENCES oauth_clients (identifier) ON DELETE SET NULL,
    CONSTRAINT uq_services_name UNIQUE (name)
);

CREATE TABLE spawners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    server_id BIGINT REFERENCES servers (id) ON DELETE SET NULL,
    -- JSON object
    state TEXT,
    -- '' is the default server
    name VARCHAR(255) NOT NULL DEFAULT '',
    display_name VARCHAR(255),
    started TIMESTAMP,
    last_activity TIMESTAMP,
    -- JSON object
    user_options TEXT,
    oauth_client_id VARCHAR(255) REFERENCES oauth_clients (identifier) ON DELETE SET NULL,
    CONSTRAINT uq_spawners_user_id_name UNIQUE (user_id, name)
);
CREATE INDEX ix_spawners_server_id ON spawners (server_id);

CREATE TABLE user_role_map (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    managed_by_auth BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX ix_user_role_map_role_id ON user_role_map (role_id);

CREATE TABLE group_role_map (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    managed_by_auth BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX ix_group_role_map_role_id ON group_role_map (role_id);

CREATE TABLE service_role_map (
    service_id BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    managed_by_auth BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, role_id)
);
CREATE INDEX ix_service_role_map_role_id ON service_role_map (role_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    service_id BIGINT REFERENCES services (id) ON DELETE CASCADE,
    hashed VARCHAR(255) NOT NULL,
    prefix VARCHAR(16) NOT NULL,
    client_id VARCHAR(255) NOT NULL REFERENCES oauth_clients (identifier) ON DELETE CASCADE,
    session_id VARCHAR(255),
    created TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_activity TIMESTAMP,
    note VARCHAR(1023) NOT NULL DEFAULT '',
    -- JSON list
    scopes TEXT NOT NULL DEFAULT '[]',
    CONSTRAINT uq_api_tokens_hashed UNIQUE (hashed),
    CONSTRAINT ck_api_tokens_one_owner CHECK ((user_id IS NULL) <> (service_id IS NULL))
);
CREATE INDEX ix_api_tokens_prefix ON api_tokens (prefix);
CREATE INDEX ix_api_tokens_user_id ON api_tokens (user_id);
CREATE INDEX ix_api_tokens_service_id ON api_tokens (service_id);

CREATE TABLE oauth_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id VARCHAR(255) NOT NULL REFERENCES oauth_clients (identifier) ON DELETE CASCADE,
    code VARCHAR(36) NOT NULL,
    -- unix seconds, as in JupyterHub (the one expiry that is not a timestamp column)
    expires_at BIGINT,
    redirect_uri VARCHAR(1023),
    session_id VARCHAR(255),
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL DEFAULT '[]',
    code_challenge VARCHAR(255),
    code_challenge_method VARCHAR(64),
    CONSTRAINT uq_oauth_codes_code UNIQUE (code)
);
