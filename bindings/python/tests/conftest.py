"""Shared fixtures of the licet Python tests. They test the installed wheel (bindings/python/test
installs it into a fresh virtual environment), never the sources in ../python."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import licet

REPO = Path(__file__).resolve().parents[3]
SOURCES = REPO / "bindings" / "python" / "python"
DEMO_KEY = REPO / "keys" / "demo-ed25519.pub.pem"
DEMO_LICENSE = REPO / "crates" / "verifier" / "testdata" / "demo.lic"
CORPUS = REPO / "fixtures" / "conformance"
#: The evaluation time of the examples: the demo license is ACTIVE then.
AT = datetime(2026, 6, 1, tzinfo=timezone.utc)


def pytest_report_header(config: pytest.Config) -> str:
    return f"licet {licet.__version__} from {Path(licet.__file__).parent}"


@pytest.fixture(scope="session", autouse=True)
def _the_installed_wheel() -> None:
    """The package under test is the installed one, with its native module."""
    package = Path(licet.__file__).resolve().parent
    assert SOURCES not in package.parents, f"licet imported from the sources ({package}), not the wheel"
    assert "site-packages" in package.parts, package
    assert list(package.glob("_licet*.so")), f"no native module in {package}"


@pytest.fixture(scope="session")
def demo_keys() -> licet.TrustedKeys:
    return licet.TrustedKeys.from_file(DEMO_KEY)


@pytest.fixture(scope="session")
def demo_license() -> bytes:
    return DEMO_LICENSE.read_bytes()
