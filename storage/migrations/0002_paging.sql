-- Paging: the pages the bot sends and escalates, and on-call overrides.
-- Times are unix milliseconds in UTC; NULL is the zero time.

CREATE TABLE pages (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id     INTEGER NOT NULL DEFAULT 0,
	target          TEXT    NOT NULL,
	message         TEXT    NOT NULL,
	severity        TEXT    NOT NULL,
	paged_by        TEXT    NOT NULL DEFAULT '',
	dedup_key       TEXT    NOT NULL DEFAULT '',
	status          TEXT    NOT NULL,
	chain           TEXT    NOT NULL,
	level           INTEGER NOT NULL DEFAULT 0,
	repages         INTEGER NOT NULL DEFAULT 0,
	channel_id      TEXT    NOT NULL DEFAULT '',
	message_ts      TEXT    NOT NULL DEFAULT '',
	via_pager       INTEGER NOT NULL DEFAULT 0,
	fell_back       INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER,
	escalated_at    INTEGER,
	acknowledged_at INTEGER,
	acknowledged_by TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX pages_incident ON pages (incident_id, id);
CREATE INDEX pages_dedup_key ON pages (dedup_key, id);
CREATE INDEX pages_created ON pages (created_at);

CREATE TABLE oncall_overrides (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	schedule   TEXT    NOT NULL,
	slot       TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	starts_at  INTEGER NOT NULL,
	ends_at    INTEGER NOT NULL,
	created_by TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX oncall_overrides_schedule ON oncall_overrides (schedule, ends_at);
