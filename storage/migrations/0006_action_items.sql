-- Action items of incidents, each with an owner and a deadline.

CREATE TABLE action_items (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	owner       TEXT    NOT NULL DEFAULT '',
	text        TEXT    NOT NULL,
	due         INTEGER,
	created_by  TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER,
	done_by     TEXT    NOT NULL DEFAULT '',
	done_at     INTEGER
);

CREATE INDEX action_items_incident ON action_items (incident_id, id);
