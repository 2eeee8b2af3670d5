-- Seat licenses are leases (issue 9 §1): the license file of a seat expires at the end of its
-- lease, min(key expiry, now + lease_days), and /license/validate renews it. NULL = the default
-- (30 days for online seats; offline seats then get the key's expiry).
ALTER TABLE license_keys ADD COLUMN lease_days INTEGER CHECK (lease_days IS NULL OR lease_days BETWEEN 1 AND 3650);
