-- Timeline events name the chat message they come from, so that messages
-- filled in from the channel's history are not put on it twice.

ALTER TABLE events ADD COLUMN ref TEXT NOT NULL DEFAULT '';

CREATE UNIQUE INDEX events_ref ON events (incident_id, ref) WHERE ref <> '';

ALTER TABLE postmortems ADD COLUMN users_affected TEXT NOT NULL DEFAULT '';
ALTER TABLE postmortems ADD COLUMN revenue_lost TEXT NOT NULL DEFAULT '';
