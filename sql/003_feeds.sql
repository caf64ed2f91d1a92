-- kapd schema, version 3: calendar feeds (SPEC §5).
--
-- feed: one row per plan and per person that has (or had) a feed.  The token is the
-- feed's file name without ".ics" and the secret in its URL: 128 random bits as 32
-- lowercase hex digits, from getrandom(), never derived from keys or addresses.
-- Rotating it (kapctl feeds rotate) replaces the token; the daemon then writes the new
-- file and removes the old one.  digest and content_hash let a check see that a feed is
-- unchanged without writing it (hex FNV-1a, change detection only).
CREATE TABLE feed (
	id           INTEGER PRIMARY KEY,
	plan_id      INTEGER UNIQUE REFERENCES plan(id) ON DELETE CASCADE,
	person_id    INTEGER UNIQUE REFERENCES person(id) ON DELETE CASCADE,
	token        TEXT NOT NULL UNIQUE
	             CHECK (length(token) = 32 AND token NOT GLOB '*[^0-9a-f]*'),
	digest       TEXT,  -- of what the file last written shows; NULL: write it
	content_hash TEXT,  -- of the bytes last written
	written_at   TEXT,  -- UTC, when the file was last replaced
	created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	CHECK ((plan_id IS NULL) <> (person_id IS NULL))
);

-- feed_item: what the feeds last showed of each milestone (kind 0), activity (1) and
-- plan's annual update (2), so that an event keeps its SEQUENCE across checks and
-- restarts.  The daemon compares the digest of what an event shows now (title, deadline,
-- state, owner, plan; 64-bit FNV-1a as an integer) with the stored one; when it differs,
-- sequence grows by one (never decreases, RFC 5545 §3.8.7.4) and changed_at, the event's
-- DTSTAMP and LAST-MODIFIED (unix time), is set.  Integers throughout: one row per item
-- of every active plan, written in bulk by a first check.
CREATE TABLE feed_item (
	kind       INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),
	item_id    INTEGER NOT NULL,
	sequence   INTEGER NOT NULL DEFAULT 0 CHECK (sequence >= 0),
	digest     INTEGER NOT NULL,
	changed_at INTEGER NOT NULL,
	PRIMARY KEY (kind, item_id)
) WITHOUT ROWID;

-- Rows of deleted items go with them (the id of a deleted row can be used again).
CREATE TRIGGER milestone_feed_gone AFTER DELETE ON milestone
BEGIN
	DELETE FROM feed_item WHERE kind = 0 AND item_id = OLD.id;
END;
CREATE TRIGGER activity_feed_gone AFTER DELETE ON activity
BEGIN
	DELETE FROM feed_item WHERE kind = 1 AND item_id = OLD.id;
END;
CREATE TRIGGER plan_feed_gone AFTER DELETE ON plan
BEGIN
	DELETE FROM feed_item WHERE kind = 2 AND item_id = OLD.id;
END;
