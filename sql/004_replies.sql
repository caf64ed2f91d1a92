-- kapd schema, version 4: replies (SPEC §8).
--
-- reply_key: the reply key of one email (delivery), 128 random bits as 32 lowercase hex
-- digits from getrandom(), in the email's Reply-To, Message-ID and References.  What the
-- email contained and to whom it went is the delivery and its notifications.  The key
-- is a secret: it is never logged nor shown in feeds or pages.
CREATE TABLE reply_key (
	delivery_id INTEGER PRIMARY KEY REFERENCES delivery(id),
	key         TEXT NOT NULL UNIQUE
	            CHECK (length(key) = 32 AND key NOT GLOB '*[^0-9a-f]*'),
	expires_at  INTEGER NOT NULL,   -- unix time; a reply after it changes nothing
	created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- reply: one row per incoming message handled, whatever the outcome.  The row, the
-- changes it made (reply_change, and item_change through the triggers) and the answer to
-- send commit in one transaction; UNIQUE (message_id, reply_key) makes a replayed or
-- refetched message change nothing (exactly once, also across a crash).
CREATE TABLE reply (
	id           INTEGER PRIMARY KEY,
	message_id   TEXT NOT NULL,            -- the incoming Message-ID (or a digest of the bytes)
	reply_key    TEXT NOT NULL DEFAULT '', -- the key it named ('' for none)
	delivery_id  INTEGER REFERENCES delivery(id),
	sender       TEXT,                     -- its From address
	received_at  INTEGER NOT NULL,         -- unix time it was handled
	outcome      TEXT NOT NULL CHECK (outcome IN ('applied', 'unchanged', 'refused',
	                 'automatic', 'unreadable')),
	reason       TEXT,                     -- why, in words, for the log and kapctl replies
	commands     TEXT,                     -- the commands read, one a line
	answer       BLOB,                     -- the answer email while it waits to be sent
	answer_state TEXT NOT NULL DEFAULT 'none'
	             CHECK (answer_state IN ('none', 'pending', 'sent', 'failed', 'limited')),
	UNIQUE (message_id, reply_key)
);
CREATE INDEX reply_sender ON reply(sender, received_at);
CREATE INDEX reply_answer ON reply(answer_state) WHERE answer_state = 'pending';

-- reply_change: what a reply changed, with old and new value, for the status report.
CREATE TABLE reply_change (
	id         INTEGER PRIMARY KEY,
	reply_id   INTEGER NOT NULL REFERENCES reply(id),
	kind       TEXT NOT NULL CHECK (kind IN ('activity', 'milestone', 'plan')),
	item_key   TEXT NOT NULL,
	plan_key   TEXT NOT NULL,
	field      TEXT NOT NULL CHECK (field IN ('state', 'due', 'next_review')),
	old_value  TEXT,
	new_value  TEXT,
	changed_at INTEGER NOT NULL            -- unix time
);
CREATE INDEX reply_change_plan ON reply_change(plan_key, changed_at);
