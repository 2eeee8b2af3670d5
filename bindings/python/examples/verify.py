"""Verifies a license file with licet. Run from the root of the licet repository (it uses the
demo key and license there): python bindings/python/examples/verify.py"""

import sys
from datetime import datetime, timezone

import licet

keys = licet.TrustedKeys.from_file("keys/demo-ed25519.pub.pem")
with open("crates/verifier/testdata/demo.lic", "rb") as f:
    license = f.read()

# A fixed evaluation time for the example; leave `at` out to verify at the current time.
report = licet.verify(
    license,
    keys,
    at=datetime(2026, 6, 1, tzinfo=timezone.utc),
    product="example-product",
)
if not report.valid:
    # A "no" verdict is a report, not an exception: EXPIRED, BAD_SIGNATURE, WRONG_PRODUCT, ...
    print(f"license refused: {report.status.value}: {report.reason}", file=sys.stderr)
    sys.exit(1)

print(f"{report.status.value}: license {report.license_id} for {report.customer_id}")
print(f"expires: {report.expires_at.isoformat() if report.expires_at else 'never'}")
print(f"seats: {(report.features or {}).get('seats')}")
