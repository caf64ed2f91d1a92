-- kapd schema, version 10: the ledger lookup of a check follows the check's own order.
--
-- A check streams the open items of its window in the order of their due date (the
-- partial indexes on due) and asks, for each, which notifications were recorded for its
-- current deadline.  With notification_item ordered by item key first, consecutive
-- items looked at pages all over the index: with a day's ledger (122,596 rows on the
-- bench) most lookups read a page from the file.  Ordered by deadline first, the items
-- of one due date find their ledger lines on a few neighbouring pages, which stay in
-- the page cache while that date is read.  The index keeps its name and still covers
-- the lookup.
DROP INDEX notification_item;
CREATE INDEX notification_item ON notification(kind, deadline, item_key, rule, stage,
	recipient_key);
