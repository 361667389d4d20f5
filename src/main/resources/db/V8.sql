-- Schema 8: per-account WebSocket to the upstream for API-key accounts (issue 10).
-- websocket: 1 speak WebSocket to this account's Responses upstream, 0 HTTP, null: websocket.api_key_upstream decides.
ALTER TABLE accounts ADD COLUMN websocket INTEGER;
