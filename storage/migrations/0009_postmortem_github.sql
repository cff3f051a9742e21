-- The pull request of a post-mortem draft and the issues of action items.

ALTER TABLE postmortems ADD COLUMN pull_request TEXT NOT NULL DEFAULT '';
ALTER TABLE action_items ADD COLUMN issue_url TEXT NOT NULL DEFAULT '';
