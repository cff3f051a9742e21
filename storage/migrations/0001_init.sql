-- The first schema: incidents, their timelines, the jobs the bot owes and
-- the deliveries already seen. Times are unix milliseconds in UTC; NULL is
-- the zero time. Lists, maps and the reply address are JSON text.

CREATE TABLE incidents (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	title            TEXT    NOT NULL,
	summary          TEXT    NOT NULL DEFAULT '',
	severity         TEXT    NOT NULL,
	status           TEXT    NOT NULL,
	components       TEXT,
	private          INTEGER NOT NULL DEFAULT 0,
	declared_by      TEXT    NOT NULL DEFAULT '',
	commander        TEXT    NOT NULL DEFAULT '',
	roles            TEXT,
	channel_id       TEXT    NOT NULL DEFAULT '',
	channel_name     TEXT    NOT NULL DEFAULT '',
	card_ts          TEXT    NOT NULL DEFAULT '',
	card_pinned      INTEGER NOT NULL DEFAULT 0,
	invited          INTEGER NOT NULL DEFAULT 0,
	announce_channel TEXT    NOT NULL DEFAULT '',
	announce_ts      TEXT    NOT NULL DEFAULT '',
	ready            INTEGER NOT NULL DEFAULT 0,
	reply_to         TEXT,
	declared_at      INTEGER,
	acknowledged_at  INTEGER,
	acknowledged_by  TEXT    NOT NULL DEFAULT '',
	last_update_at   INTEGER,
	resolved_at      INTEGER,
	resolved_by      TEXT    NOT NULL DEFAULT '',
	resolution       TEXT    NOT NULL DEFAULT '',
	postmortem_due   INTEGER,
	checklist        TEXT
);

-- Two incidents never share a channel name; an incident may have none yet.
CREATE UNIQUE INDEX incidents_channel_name ON incidents (channel_name)
	WHERE channel_name <> '';

CREATE INDEX incidents_channel_id ON incidents (channel_id);

CREATE INDEX incidents_open ON incidents (id) WHERE status <> 'resolved';

CREATE INDEX incidents_unready ON incidents (id) WHERE ready = 0;

CREATE TABLE events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	at          INTEGER,
	actor       TEXT    NOT NULL DEFAULT '',
	kind        TEXT    NOT NULL,
	text        TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX events_incident ON events (incident_id, id);

-- A job is pending while both done_at and failed_at are NULL.
CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT    NOT NULL,
	incident_id INTEGER NOT NULL DEFAULT 0,
	key         TEXT    NOT NULL DEFAULT '',
	lane        TEXT    NOT NULL DEFAULT '',
	due_at      INTEGER,
	attempts    INTEGER NOT NULL DEFAULT 0,
	payload     BLOB,
	last_error  TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER,
	done_at     INTEGER,
	failed_at   INTEGER
);

-- At most one pending job per key; done and failed jobs keep theirs.
CREATE UNIQUE INDEX jobs_pending_key ON jobs (key)
	WHERE key <> '' AND done_at IS NULL AND failed_at IS NULL;

-- The runner walks the pending jobs in id order; done ones pile up behind.
CREATE INDEX jobs_pending ON jobs (id)
	WHERE done_at IS NULL AND failed_at IS NULL;

CREATE INDEX jobs_pending_lane ON jobs (lane, id)
	WHERE lane <> '' AND done_at IS NULL AND failed_at IS NULL;

CREATE INDEX jobs_pending_incident ON jobs (incident_id, id)
	WHERE done_at IS NULL AND failed_at IS NULL;

CREATE TABLE deliveries (
	source  TEXT    NOT NULL,
	id      TEXT    NOT NULL,
	seen_at INTEGER,
	PRIMARY KEY (source, id)
) WITHOUT ROWID;

CREATE INDEX deliveries_seen ON deliveries (seen_at);
