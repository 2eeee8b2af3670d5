-- When a license key was assigned to its owner (seed 002); NULL = not assigned yet.
ALTER TABLE license_keys ADD COLUMN assigned_at INTEGER;
