-- Alerts: Alertmanager's groups as warroom shows them, their alerts, and
-- the storm summaries of channels. Times are unix milliseconds in UTC.

CREATE TABLE alert_groups (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	group_key      TEXT    NOT NULL,
	receiver       TEXT    NOT NULL DEFAULT '',
	status         TEXT    NOT NULL DEFAULT '',
	labels         TEXT,
	common         TEXT,
	annotations    TEXT,
	external_url   TEXT    NOT NULL DEFAULT '',
	channel        TEXT    NOT NULL DEFAULT '',
	message_ts     TEXT    NOT NULL DEFAULT '',
	folded         INTEGER NOT NULL DEFAULT 0,
	storm_done     INTEGER NOT NULL DEFAULT 0,
	page_id        INTEGER NOT NULL DEFAULT 0,
	incident_id    INTEGER NOT NULL DEFAULT 0,
	silence_id     TEXT    NOT NULL DEFAULT '',
	silenced_by    TEXT    NOT NULL DEFAULT '',
	silenced_until INTEGER,
	truncated      INTEGER NOT NULL DEFAULT 0,
	fired_at       INTEGER,
	resolved_at    INTEGER,
	updated_at     INTEGER
);

CREATE INDEX alert_groups_key ON alert_groups (group_key, id);
CREATE INDEX alert_groups_folded ON alert_groups (channel, id)
	WHERE folded = 1 AND storm_done = 0;

CREATE TABLE alerts (
	group_id      INTEGER NOT NULL REFERENCES alert_groups (id) ON DELETE CASCADE,
	fingerprint   TEXT    NOT NULL,
	status        TEXT    NOT NULL,
	labels        TEXT,
	annotations   TEXT,
	starts_at     INTEGER,
	ends_at       INTEGER,
	generator_url TEXT    NOT NULL DEFAULT '',
	seq           INTEGER NOT NULL,
	updated_at    INTEGER,
	PRIMARY KEY (group_id, fingerprint)
);

CREATE TABLE storms (
	channel    TEXT PRIMARY KEY,
	message_ts TEXT NOT NULL
);

CREATE INDEX jobs_lane_pending ON jobs (lane) WHERE done_at IS NULL AND failed_at IS NULL;
