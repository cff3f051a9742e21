-- Deployments warroom decided on or reported, with the rule that decided
-- and, for emergencies, who approved them and where they were documented.

CREATE TABLE deploys (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	kind          TEXT    NOT NULL,
	repo          TEXT    NOT NULL,
	environment   TEXT    NOT NULL,
	git_ref       TEXT    NOT NULL DEFAULT '',
	sha           TEXT    NOT NULL DEFAULT '',
	creator       TEXT    NOT NULL DEFAULT '',
	risk          TEXT    NOT NULL DEFAULT '',
	run_id        INTEGER NOT NULL DEFAULT 0,
	deployment_id INTEGER NOT NULL DEFAULT 0,
	url           TEXT    NOT NULL DEFAULT '',
	allowed       INTEGER NOT NULL DEFAULT 0,
	rule          TEXT    NOT NULL DEFAULT '',
	reason        TEXT    NOT NULL DEFAULT '',
	status        TEXT    NOT NULL,
	decided_by    TEXT    NOT NULL DEFAULT '',
	why           TEXT    NOT NULL DEFAULT '',
	emergency     INTEGER NOT NULL DEFAULT 0,
	documented    TEXT    NOT NULL DEFAULT '',
	outcome       TEXT    NOT NULL DEFAULT '',
	channel       TEXT    NOT NULL DEFAULT '',
	message_ts    TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER,
	decided_at    INTEGER
);

CREATE INDEX deploys_deployment ON deploys (repo, deployment_id);
CREATE INDEX deploys_followups ON deploys (id) WHERE emergency = 1 AND documented = '';
