-- Schema 6: which client sent each request, and client keys restricted to an account (issues 11, 13).
-- request_log.client: the client key's name (codex, a per-tool key's name, home:NAME, run:PID COMMAND); null on older rows.
-- client_keys.account: the account the key's requests go to first (null: the pool chooses); strict = 1: only there.
-- client_keys.run_pid: set on a `codex-relay run` key, the process that holds it (its row goes when the run ends,
-- and at the next daemon start if that process is gone).
ALTER TABLE request_log ADD COLUMN client TEXT;
CREATE INDEX request_log_client ON request_log (client);
ALTER TABLE client_keys ADD COLUMN account TEXT;
ALTER TABLE client_keys ADD COLUMN strict INTEGER NOT NULL DEFAULT 0;
ALTER TABLE client_keys ADD COLUMN run_pid INTEGER;
