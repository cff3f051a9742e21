-- Post-mortems: the latest draft of an incident's, and where it was
-- published.

CREATE TABLE postmortems (
	incident_id  INTEGER PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
	draft        TEXT    NOT NULL DEFAULT '',
	drafted_by   TEXT    NOT NULL DEFAULT '',
	drafted_at   INTEGER,
	published    TEXT    NOT NULL DEFAULT '',
	published_by TEXT    NOT NULL DEFAULT '',
	published_at INTEGER
);
