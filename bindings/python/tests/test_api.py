"""The Python API of licet: keys, verify, check with lists, the guard, the report."""

from __future__ import annotations

import importlib.metadata
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import licet
from conftest import AT, CORPUS, DEMO_KEY, REPO

NOW_2027 = datetime(2027, 1, 1, tzinfo=timezone.utc)  # the corpus's evaluation time
MACHINE_A = "57b4ededd7060cf76633d6d73b900c9f529d083bc865cc597f5fe774121ae128"
MACHINE_B = "9d1adefd80771a093e2afacdfd196905120a2d606dfca1682ab5f5ef2763f726"


def corpus(path: str) -> Path:
    return CORPUS / path


def test_the_version_is_the_workspace_version() -> None:
    cargo = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    workspace = re.search(r'\[workspace\.package\][^\[]*?version = "([^"]+)"', cargo)
    assert workspace, "no workspace version in Cargo.toml"
    assert licet.__version__ == workspace.group(1)
    assert licet.version() == licet.__version__
    assert importlib.metadata.version("licet") == licet.__version__


def test_the_wheel_carries_its_type_stubs() -> None:
    package = Path(licet.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_licet.pyi").is_file()


def test_keys_from_files_bytes_and_text_add_up() -> None:
    demo = licet.TrustedKeys.from_file(DEMO_KEY)
    assert len(demo) == 1
    assert demo.kids == ["6hxAd0L5CqbugwZjDRmQcCFAN2ylZaaQ7HTwCCmwHwg"]
    assert licet.TrustedKeys.from_bytes(DEMO_KEY.read_bytes()).kids == demo.kids
    assert licet.TrustedKeys.from_str(DEMO_KEY.read_text()).kids == demo.kids
    assert licet.TrustedKeys.from_file(str(DEMO_KEY)).kids == demo.kids
    both = licet.TrustedKeys.from_file(corpus("keys/ed25519.pub.pem"), corpus("keys/rsa2048.pub.pem"))
    assert len(both) == 2
    assert len(licet.TrustedKeys.from_file(corpus("keys/both.jwks"))) == 2
    assert len(licet.TrustedKeys.from_file(corpus("keys/both.pub.pem"))) == 2
    assert len(licet.TrustedKeys.from_file(corpus("keys/ed25519.jwk"))) == 1
    keys = licet.TrustedKeys()
    assert len(keys) == 0
    assert keys.add(DEMO_KEY.read_bytes()) == 1
    assert keys.add_file(corpus("keys/both.jwks")) == 2
    assert len(keys) == 3
    assert repr(keys) == "<licet.TrustedKeys: 3 key(s)>"


def test_a_valid_license_and_its_report(demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    report = licet.verify(demo_license, demo_keys, at=AT)
    assert report.status is licet.Status.ACTIVE
    assert report.status == "ACTIVE" and str(report.status) == "ACTIVE"
    assert report.status_name == "ACTIVE"
    assert report.valid and report.passed and report.verified
    assert "valid until 2031-01-01" in report.reason
    assert report.alg == "EdDSA"
    assert report.kid == demo_keys.kids[0]
    assert report.license_id == "00000000-0000-4000-8000-000000000001"
    assert report.customer_id == "ACME-001"
    assert report.product == "example-product"
    assert report.license_type == "STANDARD"
    assert report.issuer == "Demo Vendor"
    utc = timezone.utc
    assert report.issued_at == datetime(2026, 1, 1, tzinfo=utc)
    assert report.issued_at.tzinfo is utc
    assert report.expires_at == datetime(2031, 1, 1, tzinfo=utc)
    assert report.not_before is None and report.entitlement_expires_at is None
    assert report.features == {"seats": 10}
    assert report.machine_ids is None and report.grace_days is None
    assert report.license_key is None and report.owner_name is None and report.owner_email is None
    assert report.claims == {
        "aud": "example-product",
        "exp": 1924992000,
        "features": {"seats": 10},
        "iat": 1767225600,
        "iss": "Demo Vendor",
        "jti": "00000000-0000-4000-8000-000000000001",
        "license_type": "STANDARD",
        "sub": "ACME-001",
    }
    assert report.lists == () and report.lists_enforced == 0
    as_json = report.to_dict()
    assert as_json["status"] == "ACTIVE" and as_json["license"]["customerId"] == "ACME-001"
    assert json.loads(report.to_json()) == as_json
    text = repr(report)
    assert text.startswith("<licet.Report status=ACTIVE valid=True")
    assert "license_id='00000000-0000-4000-8000-000000000001'" in text
    assert "expires_at=2031-01-01T00:00:00+00:00" in text


def test_claims_and_features_cannot_be_changed_through_the_report(demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    report = licet.verify(demo_license, demo_keys, at=AT)
    claims = report.claims
    assert claims is not None and claims["features"] == {"seats": 10}
    claims["sub"] = "SOMEONE-ELSE"
    claims["features"]["seats"] = 1000
    features = report.features
    assert features is not None
    features["admin"] = True
    # A later reader sees the license as it was signed.
    again = report.claims
    assert again is not None and again["sub"] == "ACME-001"
    assert again["features"] == {"seats": 10}
    assert report.features == {"seats": 10}
    assert report.customer_id == "ACME-001"


def test_text_and_bytes_give_the_same_verdict(demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    for given in (demo_license, demo_license.decode(), bytearray(demo_license), memoryview(demo_license)):
        assert licet.verify(given, demo_keys, at=AT).status is licet.Status.ACTIVE


def test_the_default_time_is_now(demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    report = licet.verify(demo_license, demo_keys)
    expected = licet.Status.ACTIVE if datetime.now(timezone.utc) < report.expires_at else licet.Status.EXPIRED
    assert report.status is expected


def test_no_verdicts_are_reports_not_exceptions(demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    expired = licet.verify(demo_license, demo_keys, at=datetime(2032, 1, 1, tzinfo=timezone.utc))
    assert expired.status is licet.Status.EXPIRED and not expired.valid and not expired.passed
    assert expired.verified and expired.license_id, "an expired license is still a verified one"
    rolled_back = licet.verify(demo_license, demo_keys, at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert rolled_back.status is licet.Status.CLOCK_ROLLBACK
    wrong = licet.verify(demo_license, demo_keys, at=AT, product="another-product")
    assert wrong.status is licet.Status.WRONG_PRODUCT
    assert licet.verify(demo_license, demo_keys, at=AT, product="example-product").valid
    unknown = licet.verify(demo_license, licet.TrustedKeys(), at=AT)
    assert unknown.status is licet.Status.UNKNOWN_KEY
    assert not unknown.verified and unknown.claims is None and unknown.license_id is None
    assert unknown.issued_at is None and unknown.features is None
    header, payload, signature = demo_license.decode().strip().split(".")
    tampered = ".".join([header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    assert licet.verify(tampered, demo_keys, at=AT).status is licet.Status.BAD_SIGNATURE
    garbage = licet.verify(b"\x00\xff not a license", demo_keys, at=AT)
    assert garbage.status is licet.Status.MALFORMED and garbage.reason
    assert licet.verify(b"x" * 100_000, demo_keys, at=AT).status is licet.Status.MALFORMED
    assert "<licet.Report status=MALFORMED valid=False reason=" in repr(garbage)


def test_leeway_and_clock_tolerance_take_seconds_or_timedeltas() -> None:
    keys = licet.TrustedKeys.from_file(corpus("keys/ed25519.pub.pem"))
    license = corpus("licenses/expired-within-leeway.lic").read_bytes()
    strict = licet.verify(license, keys, at=NOW_2027)
    assert strict.status is licet.Status.EXPIRED
    assert licet.verify(license, keys, at=NOW_2027, leeway=300).valid
    assert licet.verify(license, keys, at=NOW_2027, leeway=timedelta(minutes=5)).valid
    demo = licet.TrustedKeys.from_file(DEMO_KEY)
    before_issue = datetime(2025, 12, 31, 23, 30, tzinfo=timezone.utc)  # 30 min before iat
    demo_license = (REPO / "crates/verifier/testdata/demo.lic").read_bytes()
    assert licet.verify(demo_license, demo, at=before_issue).valid  # the default hour
    assert licet.verify(demo_license, demo, at=before_issue, clock_tolerance=60).status is licet.Status.CLOCK_ROLLBACK
    assert licet.verify(demo_license, demo, at=before_issue, clock_tolerance=timedelta(hours=1)).valid


def test_an_aware_datetime_in_any_zone_is_one_instant(demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    # 2030-12-31T23:59:59Z, one second before the demo license's exp, written in UTC+2.
    plus_two = timezone(timedelta(hours=2))
    assert licet.verify(demo_license, demo_keys, at=datetime(2031, 1, 1, 1, 59, 59, tzinfo=plus_two)).valid
    assert not licet.verify(demo_license, demo_keys, at=datetime(2031, 1, 1, 2, 0, 0, tzinfo=plus_two)).valid
    # Fractions of a second are dropped (times are whole seconds).
    assert licet.verify(demo_license, demo_keys, at=datetime(2030, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)).valid


def test_machine_binding() -> None:
    keys = licet.TrustedKeys.from_file(corpus("keys/ed25519.pub.pem"))
    license = corpus("licenses/node-locked.lic").read_bytes()
    assert licet.verify(license, keys, at=NOW_2027, machine=MACHINE_A).valid
    assert licet.verify(license, keys, at=NOW_2027, machine=MACHINE_A.upper()).valid
    mismatch = licet.verify(license, keys, at=NOW_2027, machine=MACHINE_B)
    assert mismatch.status is licet.Status.MACHINE_MISMATCH
    assert mismatch.machine_ids == [MACHINE_A]
    assert licet.verify(license, keys, at=NOW_2027, check_machine=False).valid
    here = licet.machine_id()
    assert re.fullmatch(r"[0-9a-f]{64}", here)
    this_machine = licet.verify(license, keys, at=NOW_2027)
    assert this_machine.valid == (here == MACHINE_A)


def test_revocation_lists_as_paths_pairs_or_a_mapping() -> None:
    keys = licet.TrustedKeys.from_file(corpus("keys/ed25519.pub.pem"), corpus("keys/rsa2048.pub.pem"))
    license = corpus("licenses/revoked.lic").read_bytes()
    revoking = corpus("lists/revokes-conf-revoked.jwt")
    for lists in (
        [revoking],
        [str(revoking)],
        [("revocations.jwt", revoking.read_bytes())],
        [("revocations.jwt", revoking.read_text())],
        {"revocations.jwt": revoking.read_bytes()},
    ):
        report = licet.check(license, keys, lists, at=NOW_2027)
        assert report.status is licet.Status.REVOKED, lists
        assert not report.valid and not report.passed
        assert report.lists_enforced == 1
        (entry,) = report.lists
        assert entry.status is licet.ListStatus.ACCEPTED and entry.accepted
        assert entry.status_name == "ACCEPTED"
        assert entry.source in (str(revoking), "revocations.jwt")
        assert entry.kid and entry.seq == 5 and entry.entries == 2
        assert entry.issued_at == datetime(2026, 12, 31, tzinfo=timezone.utc)
        assert "verified" in entry.reason
    # Without the list, and with one that revokes another license: ACTIVE.
    assert licet.check(license, keys, at=NOW_2027).valid
    assert licet.check(license, keys, [corpus("lists/revokes-other.jwt")], at=NOW_2027).passed


def test_a_refused_list_fails_passed_but_not_the_license() -> None:
    keys = licet.TrustedKeys.from_file(corpus("keys/ed25519.pub.pem"), corpus("keys/rsa2048.pub.pem"))
    license = corpus("licenses/revoked.lic").read_bytes()
    lists = [corpus("lists/stranger.jwt"), corpus("lists/tampered.jwt"), corpus("lists/a-license.jwt")]
    report = licet.check(license, keys, lists, at=NOW_2027)
    assert report.valid and not report.passed
    assert [entry.status for entry in report.lists] == [
        licet.ListStatus.UNKNOWN_KEY,
        licet.ListStatus.BAD_SIGNATURE,
        licet.ListStatus.MALFORMED,
    ]
    assert all(entry.kid is None and entry.seq is None and entry.issued_at is None for entry in report.lists)
    assert report.lists_enforced == 0
    assert "passed=False" in repr(report)


def test_the_guard_remembers_time_and_lists(tmp_path: Path) -> None:
    keys = licet.TrustedKeys.from_file(corpus("keys/ed25519.pub.pem"))
    license = corpus("licenses/stateful-revoked.lic").read_bytes()
    guard = licet.Guard(tmp_path / "state", keys, clock_tolerance=3600, lock_timeout=1)
    assert guard.state_dir == str(tmp_path / "state")
    assert repr(guard) == f"<licet.Guard state_dir={str(tmp_path / 'state')!r}>"
    first = guard.check(license, [corpus("lists/state-seq-10.jwt")], at=NOW_2027)
    assert first.status is licet.Status.REVOKED and first.lists_enforced == 1
    # Left out later: the revocation sticks.
    again = guard.check(license, at=NOW_2027)
    assert again.status is licet.Status.REVOKED and again.lists == () and again.lists_enforced == 1
    # An older list cannot replace it.
    older = guard.check(license, [corpus("lists/state-seq-9.jwt")], at=NOW_2027)
    assert [entry.status for entry in older.lists] == [licet.ListStatus.OLDER_THAN_SEEN]
    # A second guard on the same directory sees the same state; the clock set back is caught.
    other = licet.Guard(str(tmp_path / "state"), keys, lock_timeout=timedelta(seconds=1))
    back = other.check(license, at=NOW_2027 - timedelta(days=30))
    assert back.status is licet.Status.CLOCK_ROLLBACK
    assert "set back" in back.reason


def test_the_guard_keeps_the_keys_it_was_opened_with(tmp_path: Path, demo_license: bytes) -> None:
    keys = licet.TrustedKeys()
    guard = licet.Guard(tmp_path, keys)
    keys.add_file(DEMO_KEY)
    assert guard.check(demo_license, at=AT).status is licet.Status.UNKNOWN_KEY
    assert licet.Guard(tmp_path, keys).check(demo_license, at=AT).valid


class _FutureNative:
    """A native report as a newer native library could give it: a status this package does not
    know yet."""

    status = "KEY_SUPERSEDED_IN_2040"
    valid = False
    passed = False
    reason = "the key was retired"
    kid = None
    alg = "EdDSA"
    verified = False
    license_id = customer_id = expires_at = None
    lists = [("list.jwt", "SUPERSEDED", "a newer list exists", None, None, None, None)]

    def claims_json(self) -> None:
        return None


def test_unknown_statuses_map_to_unknown() -> None:
    assert licet.Status.from_name("KEY_SUPERSEDED_IN_2040") is licet.Status.UNKNOWN
    assert licet.Status.from_name("ACTIVE") is licet.Status.ACTIVE
    assert licet.Status.from_name("UNKNOWN") is licet.Status.UNKNOWN
    assert licet.ListStatus.from_name("SUPERSEDED") is licet.ListStatus.UNKNOWN
    report = licet.Report(_FutureNative())  # type: ignore[arg-type]
    assert report.status is licet.Status.UNKNOWN
    assert report.status_name == "KEY_SUPERSEDED_IN_2040"
    (entry,) = report.lists
    assert entry.status is licet.ListStatus.UNKNOWN and entry.status_name == "SUPERSEDED"
    assert "status=KEY_SUPERSEDED_IN_2040" in repr(report)


def test_status_names_are_the_verifiers() -> None:
    names = {s.name for s in licet.Status}
    assert all(s.name == s.value for s in licet.Status)
    for name in (
        "ACTIVE", "IN_GRACE", "EXPIRED", "NOT_YET_VALID", "MACHINE_MISMATCH", "WRONG_PRODUCT",
        "BAD_SIGNATURE", "UNKNOWN_KEY", "UNSUPPORTED_ALGORITHM", "MALFORMED", "REVOKED",
        "CLOCK_ROLLBACK", "WRONG_POOL", "LEASE_TOO_LONG", "KEY_RETIRED", "KEY_REVOKED", "UNKNOWN",
    ):
        assert name in names
    assert {s.value for s in licet.ListStatus} == {
        "ACCEPTED", "OLDER_THAN_SEEN", "DATED_AHEAD", "BAD_SIGNATURE", "UNKNOWN_KEY",
        "UNSUPPORTED_ALGORITHM", "MALFORMED", "NOT_AUTHORIZED", "UNKNOWN",
    }


def test_a_lease_is_checked_against_its_pool_and_the_pool_report_is_a_report() -> None:
    keys = licet.TrustedKeys.from_file(corpus("keys/ed25519.pub.pem"))
    lease = corpus("leases/valid.jwt").read_bytes()
    pool = corpus("leases/pool.lic").read_text(encoding="utf-8")  # text is accepted too
    report = licet.verify_lease(lease, pool, keys, at=NOW_2027, machine=MACHINE_A)
    assert report.status is licet.Status.ACTIVE and report.valid and report.passed
    assert report.part is None
    assert report.pool_license_id == "conf-pool-001"
    assert report.machine_id == MACHINE_A
    assert report.expires_at is not None and report.expires_at > NOW_2027
    assert report.pool.license_type == "POOL" and report.pool.valid
    assert json.loads(report.to_json())["status"] == "ACTIVE"
    assert "ACTIVE" in repr(report)
    # The same lease on another machine; a pool license that is not a pool.
    other = licet.verify_lease(lease, pool, keys, at=NOW_2027, machine=MACHINE_B)
    assert (other.status, other.part) == (licet.Status.MACHINE_MISMATCH, "lease")
    not_pool = corpus("leases/not-a-pool.lic").read_bytes()
    wrong = licet.verify_lease(lease, not_pool, keys, at=NOW_2027, machine=MACHINE_A)
    assert (wrong.status, wrong.part) == (licet.Status.WRONG_POOL, "pool")
    assert wrong.lease_id is None
    # The vendor's revocation list revokes the pool.
    revoked = licet.check_lease(
        lease, pool, keys, [corpus("leases/pool-revoked.jwt")], at=NOW_2027, machine=MACHINE_A
    )
    assert (revoked.status, revoked.part) == (licet.Status.REVOKED, "pool")
    assert [entry.status for entry in revoked.pool.lists] == [licet.ListStatus.ACCEPTED]


def test_lease_arguments_of_the_wrong_type_are_named() -> None:
    keys = licet.TrustedKeys.from_file(corpus("keys/ed25519.pub.pem"))
    pool = corpus("leases/pool.lic").read_bytes()
    with pytest.raises(TypeError, match="lease must be bytes or str"):
        licet.verify_lease(42, pool, keys)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pool must be bytes or str"):
        licet.verify_lease(b"x", None, keys)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keys must be a licet.TrustedKeys"):
        licet.verify_lease(b"x", pool, "keys")  # type: ignore[arg-type]


def test_a_rollover_statement_adds_its_key_and_a_refused_one_changes_nothing() -> None:
    statement = CORPUS / "keys" / "ed25519-to-successor.rollover.jwt"
    keys = licet.TrustedKeys.from_file(DEMO_KEY)
    assert keys.add_rollover_file(statement) is False
    assert len(keys) == 2
    with pytest.raises(licet.KeyFileError, match="was refused: .*trusted already"):
        keys.add_rollover(statement.read_bytes())
    assert len(keys) == 2
    empty = licet.TrustedKeys()
    with pytest.raises(licet.KeyFileError, match="was refused") as caught:
        empty.add_rollover_file(statement)
    assert caught.value.path == str(statement)
    assert len(empty) == 0
