-- kapd schema, version 2: the mail ledger.  One row per notification (rule, item,
-- deadline, stage, recipient): the unique constraint makes a second mailing impossible,
-- across restarts.  One row per email in delivery.  Rows are kept: they are the audit
-- trail (kapctl log) and the memory of what was mailed.

CREATE TABLE delivery (
	id            INTEGER PRIMARY KEY,
	recipient_key TEXT NOT NULL,
	email         TEXT NOT NULL,
	mode          TEXT NOT NULL CHECK (mode IN ('digest', 'immediate')),
	message_id    TEXT NOT NULL UNIQUE,
	-- sending: recorded before the transport was asked; sent: the transport accepted it;
	-- deferred: a temporary failure, retried from next_attempt; failed: permanent.
	state         TEXT NOT NULL DEFAULT 'sending'
	              CHECK (state IN ('sending', 'sent', 'deferred', 'failed')),
	slot_at       INTEGER NOT NULL,    -- the slot (unix time) this email was made for
	armed_at      INTEGER NOT NULL,    -- give_up_after counts from here (kapctl queue retry)
	local_date    TEXT NOT NULL CHECK (date(local_date) IS local_date), -- recipient's day
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_attempt  INTEGER,
	last_error    TEXT,
	created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	sent_at       TEXT
);
CREATE INDEX delivery_recipient ON delivery(recipient_key, mode, slot_at);
CREATE INDEX delivery_state ON delivery(state) WHERE state IN ('sending', 'deferred');

CREATE TABLE notification (
	id            INTEGER PRIMARY KEY,
	rule          TEXT NOT NULL CHECK (rule IN ('upcoming', 'due', 'overdue', 'escalation',
	                  'sponsor', 'review-upcoming', 'review-due', 'review-overdue',
	                  'review-escalation', 'status-report')),
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
CREATE INDEX notification_item ON notification(kind, item_key, deadline);
CREATE INDEX notification_delivery ON notification(delivery_id);
CREATE INDEX notification_plan ON notification(plan_key, created_at);
CREATE INDEX notification_recipient ON notification(recipient_key, created_at);

-- Small facts the daemon keeps about itself (last check, next check...).
CREATE TABLE daemon_state (
	key        TEXT PRIMARY KEY,
	value      TEXT,
	updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
