-- kapd schema, version 11: the ledger keeps one index on its key, not two.
--
-- Since version 10 notification_item holds the same six columns as the table's UNIQUE
-- constraint (kind, deadline, item_key, rule, stage, recipient_key, in the order a check
-- reads them), so every recorded notification was written into two B-trees of the same
-- shape: a first check records about 120,000 lines, and the second tree was about a
-- seventh of its time.  notification_item becomes the unique index, which keeps the rule
-- "one line per rule, item, deadline, stage and recipient" (INSERT OR IGNORE relies on
-- it), and the constraint goes.  SQLite cannot drop a constraint, so the table is rebuilt
-- as in version 8: nothing references notification, so foreign keys stay on.

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
	created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
INSERT INTO notification_new (id, rule, kind, item_key, plan_key, deadline, stage,
	recipient_key, on_behalf_of, unowned, title, owner_name, at_risk, delivery_id, created_at)
SELECT id, rule, kind, item_key, plan_key, deadline, stage, recipient_key, on_behalf_of,
	unowned, title, owner_name, at_risk, delivery_id, created_at
FROM notification;
DROP TABLE notification;
ALTER TABLE notification_new RENAME TO notification;
CREATE UNIQUE INDEX notification_item ON notification(kind, deadline, item_key, rule, stage,
	recipient_key);
CREATE INDEX notification_delivery ON notification(delivery_id);
CREATE INDEX notification_plan ON notification(plan_key, created_at);
CREATE INDEX notification_recipient ON notification(recipient_key, created_at);
