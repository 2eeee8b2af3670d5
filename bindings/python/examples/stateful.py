"""The stateful check with licet: a state directory remembers the latest trustworthy time seen
and the revocation lists accepted, so setting the clock back, or leaving a revocation list out,
does not help. Run from the root of the licet repository:
python bindings/python/examples/stateful.py [STATE_DIR]"""

import sys
import tempfile
from datetime import datetime, timezone

import licet

keys = licet.TrustedKeys.from_file("keys/demo-ed25519.pub.pem")
with open("crates/verifier/testdata/demo.lic", "rb") as f:
    license = f.read()

# A product keeps its state in a directory of its own, e.g. /var/lib/myapp/licet.
state_dir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="licet-state-")

try:
    guard = licet.Guard(state_dir, keys, clock_tolerance=3600, lock_timeout=5.0)
    # Revocation lists, when the vendor sends them: guard.check(license, ["revocations.jwt"]).
    report = guard.check(license, at=datetime(2026, 6, 1, tzinfo=timezone.utc))
    print(f"{report.status.value}: {report.reason}")

    # The clock set back a year after that check: refused, with the way back named.
    later = guard.check(license, at=datetime(2025, 6, 1, tzinfo=timezone.utc))
    print(f"{later.status.value}: {later.reason}")
except licet.StateError as e:
    # The state cannot be used (unreadable, corrupt, newer format, locked too long): no verdict.
    print(f"the license state cannot be used: {e}", file=sys.stderr)
    sys.exit(2)

sys.exit(0 if report.passed else 1)
