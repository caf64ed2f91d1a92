-- kapd schema, version 6: plan pages (SPEC §9).
--
-- page: one row per plan that has (or had) a page.  The token is the page's file name
-- without ".html" and the secret in its URL: 128 random bits as 32 lowercase hex digits
-- from getrandom() (lib/token), never derived from keys, and not the plan's feed token,
-- so that a page URL and a feed URL can be shared and rotated apart.  Rotating it
-- (kapctl pages rotate) replaces the token; the daemon then writes the new file and
-- removes the old one.  content_hash lets a check see that a page's bytes are unchanged
-- without replacing the file (hex FNV-1a, change detection only).
CREATE TABLE page (
	id           INTEGER PRIMARY KEY,
	plan_id      INTEGER NOT NULL UNIQUE REFERENCES plan(id) ON DELETE CASCADE,
	token        TEXT NOT NULL UNIQUE
	             CHECK (length(token) = 32 AND token NOT GLOB '*[^0-9a-f]*'),
	content_hash TEXT,  -- of the bytes last written; NULL: write it
	written_at   TEXT,  -- UTC, when the file was last replaced
	created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
