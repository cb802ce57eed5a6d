-- The bus announces the schedule and the audit too (DESIGN.md §7, docs/messages.md):
-- a plan revision (`plan`, ref_id the revision id), a plan found overdue
-- (`plan_overdue`, ref_id the overdue revision's id: one message per key
-- and revision, whichever instance sees it first) and a new disagreement
-- with Bodhi (`audit_drift`, ref_id a hash of the finding).
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('event', 'retraction', 'plan', 'plan_overdue', 'audit_drift'));
