-- Manual deploy freezes (/deploy freeze). Times are unix milliseconds in
-- UTC; ends_at is NULL for a freeze without an end until lifted.

CREATE TABLE deploy_freezes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	reason     TEXT    NOT NULL,
	created_by TEXT    NOT NULL DEFAULT '',
	starts_at  INTEGER NOT NULL,
	ends_at    INTEGER,
	lifted_at  INTEGER,
	lifted_by  TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX deploy_freezes_active ON deploy_freezes (starts_at) WHERE lifted_at IS NULL;
