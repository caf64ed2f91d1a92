-- kapd schema, version 9: "already mailed?" answered from the index alone.
--
-- A check asks, for every open item in its window, which notifications were recorded
-- for the item's current deadline: (rule, stage, recipient) by (kind, item_key,
-- deadline).  notification_item answered the lookup, but every row it found cost a read
-- of the table for the other three columns: with a day's ledger (122,596 rows on the
-- bench) that was most of the check.  The index keeps its name and now covers the
-- lookup.
DROP INDEX notification_item;
CREATE INDEX notification_item ON notification(kind, item_key, deadline, rule, stage,
	recipient_key);
