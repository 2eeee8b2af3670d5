"""The conformance corpus (fixtures/conformance/cases.json, or the file named by
LICET_CONFORMANCE_CASES) through the installed wheel: every case and step must agree with the
expectation, field by field, as in the Rust reference runner (crates/verifier/tests/conformance.rs).
Paths in the cases are relative to the directory of the cases file."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import licet
from conftest import CORPUS


def cases_file() -> Path:
    return Path(os.environ.get("LICET_CONFORMANCE_CASES") or CORPUS / "cases.json")


def observed(report: licet.Report) -> Dict[str, Any]:
    """What the report says, in the shape of a step's `expect`."""
    claims: Optional[Dict[str, Any]] = None
    if report.verified:
        issued = report.issued_at
        expires = report.expires_at
        claims = {
            "license_id": report.license_id,
            "customer_id": report.customer_id,
            "product": report.product,
            "license_type": report.license_type,
            "issued_at": None if issued is None else int(issued.timestamp()),
            "expires_at": None if expires is None else int(expires.timestamp()),
            "alg": report.alg,
            "kid": report.kid,
        }
    return {
        # The enum's value: an unknown status would show as UNKNOWN and disagree.
        "status": report.status.value,
        "valid": report.valid,
        "passed": report.passed,
        "lists": [entry.status.value for entry in report.lists],
        "claims": claims,
    }


def test_every_case_of_the_conformance_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    path = cases_file()
    corpus = json.loads(path.read_text(encoding="utf-8"))
    assert corpus["format"] == 1, f"{path}: format {corpus['format']}, this runner reads 1"
    base = path.parent
    disagreements: List[str] = []
    cases = corpus["cases"]
    steps_checked = 0
    for case in cases:
        name = case["name"]
        license = (base / case["license"]).read_bytes()
        keys = licet.TrustedKeys.from_file(*(base / f for f in case["trusted"]))
        for statement in case["rollovers"]:
            keys.add_rollover_file(base / statement)
        tolerance = case["clock_tolerance"]
        with tempfile.TemporaryDirectory(prefix="licet-conformance-") as state_dir:
            guard = licet.Guard(state_dir, keys, clock_tolerance=tolerance) if case["state"] else None
            for i, step in enumerate(case["steps"]):
                lists = [(entry, (base / entry).read_bytes()) for entry in step["lists"]]
                options = dict(
                    at=datetime.fromtimestamp(step["at"], tz=timezone.utc),
                    leeway=step["leeway"],
                    machine=step["machine"],
                    product=step["product"],
                )
                if guard is not None:
                    report = guard.check(license, lists, **options)
                else:
                    report = licet.check(license, keys, lists, clock_tolerance=tolerance, **options)
                got = observed(report)
                if got != step["expect"]:
                    disagreements.append(
                        f"case {name}, step {i}: expected {json.dumps(step['expect'], sort_keys=True)}\n"
                        f"  got {json.dumps(got, sort_keys=True)}\n  reason: {report.reason}"
                    )
                steps_checked += 1
    summary = (
        f"conformance ({path}): {len(cases)} cases, {steps_checked} steps, "
        f"{len(disagreements)} disagree"
    )
    with capsys.disabled():
        print(f"\n{summary}")
        for line in disagreements:
            print(line)
    assert cases and steps_checked >= len(cases), f"no case ran: {summary}"
    assert not disagreements, summary + "\n" + "\n".join(disagreements)


def leases_file() -> Path:
    return Path(os.environ.get("LICET_CONFORMANCE_LEASES") or CORPUS / "leases.json")


def observed_lease(report: licet.LeaseReport) -> Dict[str, Any]:
    """What a lease report says, in the shape of a lease case's `expect`."""
    lease: Optional[Dict[str, Any]] = None
    if report.lease_id is not None:
        issued, expires = report.issued_at, report.expires_at
        lease = {
            "lease_id": report.lease_id,
            "machine_id": report.machine_id,
            "pool_license_id": report.pool_license_id,
            "issued_at": None if issued is None else int(issued.timestamp()),
            "expires_at": None if expires is None else int(expires.timestamp()),
        }
    return {
        "status": report.status.value,
        "valid": report.valid,
        "passed": report.passed,
        "part": report.part,
        "lists": [entry.status.value for entry in report.pool.lists],
        "lease": lease,
    }


def test_every_lease_case_of_the_conformance_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    path = leases_file()
    corpus = json.loads(path.read_text(encoding="utf-8"))
    assert corpus["format"] == 1, f"{path}: format {corpus['format']}, this runner reads 1"
    base = path.parent
    disagreements: List[str] = []
    cases = corpus["cases"]
    for case in cases:
        keys = licet.TrustedKeys.from_file(*(base / f for f in case["trusted"]))
        report = licet.check_lease(
            (base / case["lease"]).read_bytes(),
            (base / case["pool"]).read_bytes(),
            keys,
            [(entry, (base / entry).read_bytes()) for entry in case["lists"]],
            at=datetime.fromtimestamp(case["at"], tz=timezone.utc),
            leeway=case["leeway"],
            clock_tolerance=case["clock_tolerance"],
            machine=case["machine"],
        )
        got = observed_lease(report)
        if got != case["expect"]:
            disagreements.append(
                f"lease case {case['name']}: expected {json.dumps(case['expect'], sort_keys=True)}\n"
                f"  got {json.dumps(got, sort_keys=True)}\n  reason: {report.reason}"
            )
    summary = f"lease conformance ({path}): {len(cases)} cases, {len(disagreements)} disagree"
    with capsys.disabled():
        print(f"\n{summary}")
        for line in disagreements:
            print(line)
    assert cases, f"no lease case ran: {summary}"
    assert not disagreements, summary + "\n" + "\n".join(disagreements)
