-- kapd schema, version 9: "already mailed?" answered from the index alone.
--
-- A check asks, for every open item in its window, which notifications were recorded
-- for the item's current deadline: (rule, stage, recipient) by (kind, item_key,
-- deadline).  notification_item answered the lookup but every row it found cost a read
-- of the table for the other three columns: with a day's ledger (122,596 rows on the
-- bench) that was most of the check.  This index covers the lookup; it starts with the
-- columns of notification_item, which it replaces.
CREATE INDEX notification_seen ON notification(kind, item_key, deadline, rule, stage,
	recipient_key);
DROP INDEX notification_item;
