-- kapd schema, version 8: rule names come from the rule table (daemon/core/rules.c).
--
-- Version 2 listed the rule names in a CHECK constraint, so a new rule needed a table
-- rebuild.  The names are now checked where they are made, by the rule table; the
-- column only keeps their shape.  SQLite cannot drop a constraint, so the table is
-- rebuilt (https://sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
-- Changes"): nothing references notification, so foreign keys stay on.

CREATE TABLE notification_new (
	id            INTEGER PRIMARY KEY,
	rule          TEXT NOT NULL
	              CHECK (length(rule) BETWEEN 1 AND 32 AND rule NOT GLOB '*[^a-z-]*'),
	kind          TEXT NOT NULL CHECK (kind IN ('activity', 'milestone', 'plan')),
	item_key      TEXT NOT NULL,
	plan_key      TEXT NOT NULL,
	deadline      TEXT NOT NULL CHECK (date(deadline) IS deadline),
	stage         TEXT NOT NULL,
	recipient_key TEXT NOT NULL,
	on_behalf_of  TEXT,              -- the absent person a substitute received it for
	unowned       INTEGER NOT NULL DEFAULT 0 CHECK (unowned IN (0, 1)),
	title         TEXT,              -- the item as it was mailed
	owner_name    TEXT,
	at_risk       INTEGER NOT NULL DEFAULT 0 CHECK (at_risk IN (0, 1)),
	delivery_id   INTEGER NOT NULL REFERENCES delivery(id),
	created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	UNIQUE (rule, kind, item_key, deadline, stage, recipient_key)
);
INSERT INTO notification_new (id, rule, kind, item_key, plan_key, deadline, stage,
	recipient_key, on_behalf_of, unowned, title, owner_name, at_risk, delivery_id, created_at)
SELECT id, rule, kind, item_key, plan_key, deadline, stage, recipient_key, on_behalf_of,
	unowned, title, owner_name, at_risk, delivery_id, created_at
FROM notification;
DROP TABLE notification;
ALTER TABLE notification_new RENAME TO notification;
CREATE INDEX notification_item ON notification(kind, item_key, deadline);
CREATE INDEX notification_delivery ON notification(delivery_id);
CREATE INDEX notification_plan ON notification(plan_key, created_at);
CREATE INDEX notification_recipient ON notification(recipient_key, created_at);
