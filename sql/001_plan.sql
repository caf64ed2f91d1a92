-- kapd schema, version 1: the whole key account plan (SPEC §2, plan-format.md).
--
-- Conventions: every table has an integer id (internal) and, where plan-format.md gives
-- the object a key, a UNIQUE key checked for its syntax.  Dates are 'YYYY-MM-DD' text
-- checked to be real calendar dates; timestamps are UTC 'YYYY-MM-DDTHH:MM:SSZ'.
-- Every enumeration is a CHECK.  Foreign keys are enforced (PRAGMA foreign_keys=ON on
-- every connection).  Applied in one transaction by db.c, which sets user_version.

CREATE TABLE person (
	id         INTEGER PRIMARY KEY,
	key        TEXT NOT NULL UNIQUE
	           CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position   INTEGER NOT NULL DEFAULT 0,
	name       TEXT NOT NULL CHECK (length(name) > 0),
	email      TEXT,
	language   TEXT,
	timezone   TEXT,
	notify     TEXT CHECK (notify IN ('digest', 'immediate', 'escalations-only', 'none')),
	function   TEXT,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE absence (
	id            INTEGER PRIMARY KEY,
	person_id     INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
	position      INTEGER NOT NULL DEFAULT 0,
	from_date     TEXT NOT NULL CHECK (date(from_date) IS from_date),
	until_date    TEXT NOT NULL CHECK (date(until_date) IS until_date),
	substitute_id INTEGER REFERENCES person(id) ON DELETE SET NULL,
	created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	CHECK (until_date >= from_date),
	CHECK (substitute_id IS NOT person_id)
);
CREATE INDEX absence_person ON absence(person_id, from_date);

CREATE TABLE account (
	id                  INTEGER PRIMARY KEY,
	key                 TEXT NOT NULL UNIQUE
	                    CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position            INTEGER NOT NULL DEFAULT 0,
	name                TEXT NOT NULL CHECK (length(name) > 0),
	industry            TEXT,
	address             TEXT,
	phone               TEXT,
	email               TEXT,
	website             TEXT,
	rating              TEXT,
	potential           TEXT,
	networks            TEXT,
	market_volume       REAL,
	market_currency     TEXT CHECK (market_currency GLOB '[A-Z][A-Z][A-Z]'),
	positioning         TEXT,
	strategic_direction TEXT,
	processes           TEXT,
	created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	CHECK ((market_volume IS NULL) = (market_currency IS NULL))
);

-- Customer contact persons with their role in the buying decision.
CREATE TABLE contact (
	id            INTEGER PRIMARY KEY,
	account_id    INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	key           TEXT NOT NULL UNIQUE
	              CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position      INTEGER NOT NULL DEFAULT 0,
	name          TEXT NOT NULL CHECK (length(name) > 0),
	function      TEXT,
	email         TEXT,
	phone         TEXT,
	decision_role TEXT CHECK (decision_role IN ('decision-maker', 'influencer', 'buyer', 'user',
	                                            'gatekeeper', 'champion', 'opponent', 'unknown')),
	attitude      TEXT CHECK (attitude IN ('supportive', 'neutral', 'critical', 'unknown')),
	notes         TEXT,
	created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX contact_account ON contact(account_id, position);

-- Needs (Bedarfe) of the customer.
CREATE TABLE need (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	key        TEXT NOT NULL UNIQUE
	           CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position   INTEGER NOT NULL DEFAULT 0,
	text       TEXT NOT NULL CHECK (length(text) > 0),
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX need_account ON need(account_id, position);

CREATE TABLE competitor (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	key        TEXT NOT NULL UNIQUE
	           CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position   INTEGER NOT NULL DEFAULT 0,
	name       TEXT NOT NULL CHECK (length(name) > 0),
	market_position TEXT,
	strengths  TEXT,
	weaknesses TEXT,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX competitor_account ON competitor(account_id, position);

-- Revenue and contribution margin per period ("2025", "2025-Q3"...).
CREATE TABLE history (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	period     TEXT NOT NULL CHECK (length(period) BETWEEN 1 AND 32),
	position   INTEGER NOT NULL DEFAULT 0,
	revenue    REAL,
	margin     REAL,
	currency   TEXT NOT NULL CHECK (currency GLOB '[A-Z][A-Z][A-Z]'),
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	UNIQUE (account_id, period)
);

CREATE TABLE project (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	key        TEXT NOT NULL UNIQUE
	           CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position   INTEGER NOT NULL DEFAULT 0,
	title      TEXT NOT NULL CHECK (length(title) > 0),
	start_date TEXT CHECK (date(start_date) IS start_date),
	end_date   TEXT CHECK (date(end_date) IS end_date),
	state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'cancelled')),
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX project_account ON project(account_id, position);

CREATE TABLE complaint (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	key        TEXT NOT NULL UNIQUE
	           CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position   INTEGER NOT NULL DEFAULT 0,
	date       TEXT NOT NULL CHECK (date(date) IS date),
	subject    TEXT NOT NULL CHECK (length(subject) > 0),
	state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'in-progress', 'closed')),
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX complaint_account ON complaint(account_id, position);

CREATE TABLE swot (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	position   INTEGER NOT NULL DEFAULT 0,
	kind       TEXT NOT NULL CHECK (kind IN ('strength', 'weakness', 'opportunity', 'threat')),
	text       TEXT NOT NULL CHECK (length(text) > 0),
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX swot_account ON swot(account_id, position);

-- A plan: one account has a current plan and archived older versions.  Only 'active'
-- plans are controlled.
CREATE TABLE plan (
	id          INTEGER PRIMARY KEY,
	account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	key         TEXT NOT NULL UNIQUE
	            CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position    INTEGER NOT NULL DEFAULT 0,
	title       TEXT NOT NULL CHECK (length(title) > 0),
	language    TEXT,
	timezone    TEXT,
	state       TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('draft', 'active', 'archived')),
	last_review TEXT CHECK (date(last_review) IS last_review),
	next_review TEXT CHECK (date(next_review) IS next_review),
	created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX plan_account ON plan(account_id, position);
CREATE INDEX plan_active_review ON plan(next_review) WHERE state = 'active';

-- The key account team: exactly one KAM (the import and kapctl enforce "at least one";
-- the partial unique indexes enforce "at most one" KAM and sponsor).
CREATE TABLE team_member (
	id         INTEGER PRIMARY KEY,
	plan_id    INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
	person_id  INTEGER NOT NULL REFERENCES person(id),
	position   INTEGER NOT NULL DEFAULT 0,
	role       TEXT NOT NULL CHECK (role IN ('kam', 'sponsor', 'member')),
	function   TEXT,
	created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	UNIQUE (plan_id, person_id)
);
CREATE UNIQUE INDEX team_one_kam ON team_member(plan_id) WHERE role = 'kam';
CREATE UNIQUE INDEX team_one_sponsor ON team_member(plan_id) WHERE role = 'sponsor';
CREATE INDEX team_person ON team_member(person_id);

-- Strategic perspective.
CREATE TABLE goal (
	id          INTEGER PRIMARY KEY,
	plan_id     INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
	key         TEXT NOT NULL UNIQUE
	            CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position    INTEGER NOT NULL DEFAULT 0,
	horizon     TEXT NOT NULL CHECK (horizon IN ('mid', 'long')),
	focus       TEXT CHECK (focus IN ('product', 'application', 'region', 'subsidiary', 'other')),
	focus_value TEXT,
	text        TEXT NOT NULL CHECK (length(text) > 0),
	target      TEXT,
	due         TEXT CHECK (date(due) IS due),
	created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX goal_plan ON goal(plan_id, position);

-- Operative perspective: milestones and activities (an activity may belong to a
-- milestone of the same plan and to a project of the plan's account).
CREATE TABLE milestone (
	id          INTEGER PRIMARY KEY,
	plan_id     INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
	key         TEXT NOT NULL UNIQUE
	            CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position    INTEGER NOT NULL DEFAULT 0,
	title       TEXT NOT NULL CHECK (length(title) > 0),
	description TEXT,
	owner_id    INTEGER REFERENCES person(id),
	due         TEXT NOT NULL CHECK (date(due) IS due),
	state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'cancelled')),
	done_on     TEXT CHECK (date(done_on) IS done_on),
	project_id  INTEGER REFERENCES project(id) ON DELETE SET NULL,
	created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	CHECK (done_on IS NULL OR state = 'done')
);
CREATE INDEX milestone_plan ON milestone(plan_id, position);
CREATE INDEX milestone_open_due ON milestone(due) WHERE state = 'open';
CREATE INDEX milestone_owner ON milestone(owner_id);

CREATE TABLE activity (
	id           INTEGER PRIMARY KEY,
	plan_id      INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
	key          TEXT NOT NULL UNIQUE
	             CHECK (length(key) BETWEEN 1 AND 64 AND key NOT GLOB '*[^A-Za-z0-9._-]*'),
	position     INTEGER NOT NULL DEFAULT 0,
	title        TEXT NOT NULL CHECK (length(title) > 0),
	description  TEXT,
	owner_id     INTEGER REFERENCES person(id),
	due          TEXT NOT NULL CHECK (date(due) IS due),
	state        TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'cancelled')),
	done_on      TEXT CHECK (date(done_on) IS done_on),
	milestone_id INTEGER REFERENCES milestone(id) ON DELETE SET NULL,
	project_id   INTEGER REFERENCES project(id) ON DELETE SET NULL,
	created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	CHECK (done_on IS NULL OR state = 'done')
);
CREATE INDEX activity_plan ON activity(plan_id, position);
CREATE INDEX activity_open_due ON activity(due) WHERE state = 'open';
CREATE INDEX activity_owner ON activity(owner_id);
CREATE INDEX activity_milestone ON activity(milestone_id);
-- The at-risk flag: open activities of a milestone that are overdue.
CREATE INDEX activity_milestone_open ON activity(milestone_id, due) WHERE state = 'open';

-- History of deadline and owner changes (and of the plan's review date), kept by
-- triggers so that every writer (import, kapctl edit, future tools) records it.
CREATE TABLE item_change (
	id         INTEGER PRIMARY KEY,
	kind       TEXT NOT NULL CHECK (kind IN ('milestone', 'activity', 'plan')),
	item_id    INTEGER NOT NULL,
	plan_id    INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
	field      TEXT NOT NULL CHECK (field IN ('due', 'owner', 'next_review', 'state')),
	old_value  TEXT,
	new_value  TEXT,
	changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX item_change_item ON item_change(kind, item_id, changed_at);
CREATE INDEX item_change_plan ON item_change(plan_id, changed_at);

CREATE TRIGGER milestone_due_change AFTER UPDATE OF due ON milestone
	WHEN OLD.due IS NOT NEW.due
BEGIN
	INSERT INTO item_change(kind, item_id, plan_id, field, old_value, new_value)
	VALUES ('milestone', NEW.id, NEW.plan_id, 'due', OLD.due, NEW.due);
END;
CREATE TRIGGER milestone_owner_change AFTER UPDATE OF owner_id ON milestone
	WHEN OLD.owner_id IS NOT NEW.owner_id
BEGIN
	INSERT INTO item_change(kind, item_id, plan_id, field, old_value, new_value)
	VALUES ('milestone', NEW.id, NEW.plan_id, 'owner',
	        (SELECT key FROM person WHERE id = OLD.owner_id),
	        (SELECT key FROM person WHERE id = NEW.owner_id));
END;
CREATE TRIGGER milestone_state_change AFTER UPDATE OF state ON milestone
	WHEN OLD.state IS NOT NEW.state
BEGIN
	INSERT INTO item_change(kind, item_id, plan_id, field, old_value, new_value)
	VALUES ('milestone', NEW.id, NEW.plan_id, 'state', OLD.state, NEW.state);
END;
CREATE TRIGGER activity_due_change AFTER UPDATE OF due ON activity
	WHEN OLD.due IS NOT NEW.due
BEGIN
	INSERT INTO item_change(kind, item_id, plan_id, field, old_value, new_value)
	VALUES ('activity', NEW.id, NEW.plan_id, 'due', OLD.due, NEW.due);
END;
CREATE TRIGGER activity_owner_change AFTER UPDATE OF owner_id ON activity
	WHEN OLD.owner_id IS NOT NEW.owner_id
BEGIN
	INSERT INTO item_change(kind, item_id, plan_id, field, old_value, new_value)
	VALUES ('activity', NEW.id, NEW.plan_id, 'owner',
	        (SELECT key FROM person WHERE id = OLD.owner_id),
	        (SELECT key FROM person WHERE id = NEW.owner_id));
END;
CREATE TRIGGER activity_state_change AFTER UPDATE OF state ON activity
	WHEN OLD.state IS NOT NEW.state
BEGIN
	INSERT INTO item_change(kind, item_id, plan_id, field, old_value, new_value)
	VALUES ('activity', NEW.id, NEW.plan_id, 'state', OLD.state, NEW.state);
END;
CREATE TRIGGER plan_review_change AFTER UPDATE OF next_review ON plan
	WHEN OLD.next_review IS NOT NEW.next_review
BEGIN
	INSERT INTO item_change(kind, item_id, plan_id, field, old_value, new_value)
	VALUES ('plan', NEW.id, NEW.id, 'next_review', OLD.next_review, NEW.next_review);
END;
