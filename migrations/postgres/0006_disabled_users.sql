-- An operator can disable a person (`releasetracker user disable`): their
-- sessions end at their next request, their tokens are revoked, and they
-- cannot sign in again until enabled.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMPTZ;
