-- A message's body is fixed when its outbox row is written (DESIGN.md §3):
-- the transaction that stores an event or retraction renders the JSON the
-- API answers at that moment into `body`, and every delivery of the row's
-- message_id sends those bytes. Rows written before this migration have
-- no body; the publisher renders theirs from the log when it sends them.
ALTER TABLE outbox ADD COLUMN body TEXT;

-- Membership just before an event, looked up inside that transaction:
-- the latest unretracted event of the same release and state before it.
CREATE INDEX events_timeline ON events (dist_name, release_name, state_name, happened_at, id);
