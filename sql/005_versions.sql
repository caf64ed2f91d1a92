-- kapd schema: versions of a plan kept at each annual update, and the links between a
-- plan and the plan that continues it (SPEC §10).

-- A version is the plan's kapd-plan/1 export as JSON text at the moment it was
-- reviewed.  change_mark is the last item_change id then, so "what changed since this
-- version" reads exactly the history written after it.
CREATE TABLE plan_version (
	id          INTEGER PRIMARY KEY,
	plan_id     INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
	number      INTEGER NOT NULL CHECK (number >= 1),
	reviewed_on TEXT NOT NULL CHECK (date(reviewed_on) IS reviewed_on),
	change_mark INTEGER NOT NULL DEFAULT 0,
	document    TEXT NOT NULL CHECK (json_valid(document)),
	created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	UNIQUE (plan_id, number)
);

-- kapctl rollover: next year's plan continues this one.
CREATE TABLE plan_link (
	id          INTEGER PRIMARY KEY,
	plan_id     INTEGER NOT NULL UNIQUE REFERENCES plan(id) ON DELETE CASCADE,
	next_id     INTEGER NOT NULL UNIQUE REFERENCES plan(id) ON DELETE CASCADE,
	created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	CHECK (next_id IS NOT plan_id)
);
