-- Schema 4: accounts of other wires (issue 12). `wire` is what an API-key account's upstream speaks
-- (responses | chat | anthropic); `model_rules` is a JSON array of {"pattern","target"} (null: none).
-- learned_params: request parameters an upstream refused (400 naming the parameter), per account and model,
-- left out of later requests until reset (`codex-relay accounts params NAME --reset`).
ALTER TABLE accounts ADD COLUMN wire TEXT NOT NULL DEFAULT 'responses';
ALTER TABLE accounts ADD COLUMN model_rules TEXT;
CREATE TABLE learned_params (
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    model          TEXT    NOT NULL,
    param          TEXT    NOT NULL,
    learned_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (account_id, model, param)
);
