-- Schema 7: per-account client restriction and balance source (issue 12).
-- clients: comma-separated kinds of tool the account serves (codex, claude, chat); null: every tool.
-- balance_source: JSON {"url","remaining_path","limit_path","interval_seconds"} of the provider's balance endpoint; null: none.
ALTER TABLE accounts ADD COLUMN clients TEXT;
ALTER TABLE accounts ADD COLUMN balance_source TEXT;
