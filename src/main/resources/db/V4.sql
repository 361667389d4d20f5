-- Schema 4: per-tool client keys (issue 11). Only the SHA-256 of a key is stored; the key is shown once when made.
-- Codex's own key stays in client.key and is listed as "codex". A revoked key keeps its row (revoked_ms set) so its
-- name stays in the request log's history and is not reused by accident.
CREATE TABLE IF NOT EXISTS client_keys (
    name            TEXT    PRIMARY KEY,
    key_hash        TEXT    NOT NULL UNIQUE,
    rpm             INTEGER,
    max_concurrent  INTEGER,
    created_ms      INTEGER NOT NULL,
    revoked_ms      INTEGER
);
