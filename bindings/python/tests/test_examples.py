"""The examples of docs/EMBEDDING.md (bindings/python/examples), run as scripts from the root of
the repository, as the documentation says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO

EXAMPLES = REPO / "bindings" / "python" / "examples"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_verify_example() -> None:
    done = run(str(EXAMPLES / "verify.py"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "ACTIVE: license 00000000-0000-4000-8000-000000000001 for ACME-001",
        "expires: 2031-01-01T00:00:00+00:00",
        "seats: 10",
    ]


def test_stateful_example(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = run(str(EXAMPLES / "stateful.py"), str(state))
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("ACTIVE: the license is valid until 2031-01-01")
    assert second.startswith("CLOCK_ROLLBACK: the clock reads 2025-06-01T00:00:00Z")
    assert (state / "state.json").is_file()
    # A state that cannot be used: the example exits 2 with the reason.
    (state / "state.json").write_text("{")
    done = run(str(EXAMPLES / "stateful.py"), str(state))
    assert done.returncode == 2
    assert "the license state cannot be used: the state file" in done.stderr
