-- When a delivery's last outcome was recorded (unix time of the check, so --now holds):
-- the status report lists every failure recorded since the last report that was sent,
-- whatever day the mail was made for (issue 10, D3).
ALTER TABLE delivery ADD COLUMN outcome_at INTEGER;
