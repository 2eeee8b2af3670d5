"""Usage errors raise licet's exceptions, with a message that names the problem; nothing else
does (a "no" verdict is a report: see test_api.py)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import List, Optional

import pytest

import licet
from conftest import AT, CORPUS, DEMO_KEY, REPO


def test_the_hierarchy() -> None:
    for error in (
        licet.KeyFileError, licet.ListFileError, licet.MachineIdError, licet.OptionsError,
        licet.StateError, licet.StateIOError, licet.StateCorruptError, licet.StateVersionError,
        licet.StateBusyError,
    ):
        assert issubclass(error, licet.LicetError)
    for error in (licet.KeyFileError, licet.ListFileError, licet.MachineIdError, licet.OptionsError):
        assert issubclass(error, ValueError)
    for error in (licet.StateIOError, licet.StateCorruptError, licet.StateVersionError, licet.StateBusyError):
        assert issubclass(error, licet.StateError)
    assert issubclass(licet.StateBusyError, TimeoutError)
    assert not issubclass(licet.LicetError, ValueError)


def test_a_naive_datetime_is_refused(
    demo_keys: licet.TrustedKeys, demo_license: bytes, tmp_path: Path
) -> None:
    with pytest.raises(licet.OptionsError, match="timezone-aware.*2026-06-01T00:00:00 is naive"):
        licet.verify(demo_license, demo_keys, at=datetime(2026, 6, 1))
    with pytest.raises(licet.OptionsError, match="timezone-aware"):
        licet.check(demo_license, demo_keys, at=datetime(2026, 6, 1))
    guard = licet.Guard(tmp_path, demo_keys)
    with pytest.raises(licet.OptionsError, match="timezone-aware"):
        guard.check(demo_license, at=datetime(2026, 6, 1))
    assert not (tmp_path / "state.json").exists(), "nothing recorded"


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"at": datetime(1969, 12, 31, tzinfo=timezone.utc)}, licet.OptionsError, "between 1970-01-01 and 9999-12-31"),
        ({"at": 1790000000}, TypeError, "timezone-aware datetime or None, not int"),
        ({"at": date(2026, 6, 1)}, TypeError, "not date"),
        ({"leeway": -1}, licet.OptionsError, "leeway must be between 0 and 4294967295 seconds; got -1"),
        ({"leeway": 2**32}, licet.OptionsError, "leeway must be between"),
        ({"leeway": 1.5}, TypeError, "leeway must be an int"),
        ({"leeway": True}, TypeError, "leeway must be an int"),
        ({"leeway": timedelta(milliseconds=1500)}, licet.OptionsError, "whole seconds"),
        ({"clock_tolerance": -5}, licet.OptionsError, "clock_tolerance must be between"),
        ({"machine": "abc"}, licet.MachineIdError, "`abc` is not a machine id: expected 64 hexadecimal"),
        ({"machine": "g" * 64}, licet.MachineIdError, "is not a machine id"),
        ({"machine": b"0" * 64}, TypeError, "machine must be a str"),
        ({"machine": "0" * 64, "check_machine": False}, licet.OptionsError, "not both"),
        ({"check_machine": "no"}, TypeError, "check_machine must be a bool"),
        ({"product": 7}, TypeError, "product must be a str"),
    ],
)
def test_options_out_of_range(
    demo_keys: licet.TrustedKeys, demo_license: bytes, options: dict, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        licet.verify(demo_license, demo_keys, **options)


def test_of_two_bad_arguments_the_first_is_reported(
    demo_keys: licet.TrustedKeys, demo_license: bytes, tmp_path: Path
) -> None:
    # The arguments are checked in the order of the signature (natively, since the common call
    # makes no Python-level conversions), so the error does not depend on how they are checked.
    missing = tmp_path / "missing.jwt"
    with pytest.raises(TypeError, match="license must be bytes or str"):
        licet.check(1234, demo_keys, [missing], at=AT)  # type: ignore[arg-type]
    with pytest.raises(licet.ListFileError):
        licet.check(demo_license, demo_keys, [missing], at=datetime(2026, 6, 1))
    with pytest.raises(licet.OptionsError, match="timezone-aware"):
        licet.verify(demo_license, demo_keys, at=datetime(2026, 6, 1), leeway=-1)
    with pytest.raises(TypeError, match="leeway must be an int"):
        licet.verify(demo_license, demo_keys, leeway="5", clock_tolerance=-1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="product must be a str"):
        licet.verify(demo_license, demo_keys, machine="abc", product=7)  # type: ignore[arg-type]
    with pytest.raises(licet.MachineIdError):
        licet.verify(demo_license, demo_keys, machine="abc", leeway=5)
    guard = licet.Guard(tmp_path / "state", demo_keys)
    with pytest.raises(TypeError, match="license must be bytes or str"):
        guard.check(1234, [missing], at=datetime(2026, 6, 1))  # type: ignore[arg-type]
    with pytest.raises(licet.OptionsError, match="clock_tolerance must be between"):
        licet.Guard(tmp_path / "other", demo_keys, clock_tolerance=-1)


def test_seconds_and_times_of_subclasses(demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    class Seconds(int):
        def __str__(self) -> str:
            return "SECONDS"

    class Span(timedelta):
        pass

    class Instant(datetime):
        pass

    assert licet.verify(demo_license, demo_keys, at=Instant(2026, 6, 1, tzinfo=timezone.utc), leeway=Seconds(5)).valid
    assert licet.verify(demo_license, demo_keys, at=AT, clock_tolerance=Span(hours=2)).valid
    # An f-string shows an int subclass with its str(): the message is the same as before.
    with pytest.raises(licet.OptionsError, match="got SECONDS"):
        licet.verify(demo_license, demo_keys, leeway=Seconds(-1))
    with pytest.raises(licet.OptionsError, match=r"whole seconds; got Span\(microseconds=1\)"):
        licet.verify(demo_license, demo_keys, leeway=Span(microseconds=1))
    with pytest.raises(licet.OptionsError, match="2026-06-01T00:00:00 is naive"):
        licet.verify(demo_license, demo_keys, at=Instant(2026, 6, 1))
    with pytest.raises(UnicodeEncodeError):
        licet.verify(demo_license.decode() + "\ud800", demo_keys)


def test_wrong_argument_types(demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    with pytest.raises(TypeError, match="license must be bytes or str"):
        licet.verify(1234, demo_keys)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keys must be a licet.TrustedKeys"):
        licet.verify(demo_license, DEMO_KEY)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a single value"):
        licet.check(demo_license, demo_keys, b"a list")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"\(source: str, contents\)"):
        licet.check(demo_license, demo_keys, [(b"x", b"y")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="expected a path"):
        licet.check(demo_license, demo_keys, [42])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        licet.verify(demo_license, demo_keys, AT)  # type: ignore[misc]  (options are keywords)


def test_key_files_that_are_not_keys(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(licet.KeyFileError, match=f"the key file {missing} could not be read: No such file") as caught:
        licet.TrustedKeys.from_file(missing)
    assert caught.value.path == str(missing)
    with pytest.raises(licet.KeyFileError, match="could not be read"):
        licet.TrustedKeys.from_file(tmp_path)  # a directory
    private = REPO / "keys" / "demo-ed25519.key.pem"
    with pytest.raises(licet.KeyFileError, match=f"the key file {private}: this is a private key") as caught:
        licet.TrustedKeys.from_file(DEMO_KEY, private)
    assert caught.value.path == str(private)
    with pytest.raises(licet.KeyFileError, match="no public key found"):
        licet.TrustedKeys.from_bytes(b"   ")
    with pytest.raises(licet.KeyFileError, match="not a public key"):
        licet.TrustedKeys.from_str("hello")
    with pytest.raises(licet.KeyFileError, match="the JWK is invalid"):
        licet.TrustedKeys.from_str(json.dumps({"kty": "OKP", "crv": "Ed25519"}))
    with pytest.raises(TypeError, match="text must be str"):
        licet.TrustedKeys.from_str(b"bytes")  # type: ignore[arg-type]
    # Nothing of a refused input is added: a PEM with a good block and a private one.
    keys = licet.TrustedKeys.from_file(DEMO_KEY)
    mixed = DEMO_KEY.read_bytes() + private.read_bytes()
    with pytest.raises(licet.KeyFileError):
        keys.add(mixed)
    assert len(keys) == 1


def test_a_list_file_that_cannot_be_read(demo_keys: licet.TrustedKeys, demo_license: bytes, tmp_path: Path) -> None:
    missing = tmp_path / "revocations.jwt"
    with pytest.raises(licet.ListFileError, match=f"the revocation list {missing} could not be read") as caught:
        licet.check(demo_license, demo_keys, [missing], at=AT)
    assert caught.value.path == str(missing)


# In a child process, with a timeout: a FIFO read the old way blocks for ever (open waits for a
# writer), and /dev/zero read to its end fills the memory.
_REFUSAL = """
import json, sys
import licet
kind, path, key = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    if kind == "key":
        licet.TrustedKeys.from_file(path)
    else:
        keys = licet.TrustedKeys.from_file(key)
        licet.check(b"x", keys, [path])
except licet.LicetError as e:
    print(json.dumps([type(e).__name__, str(e), e.path]))
else:
    print(json.dumps(None))
"""


def _refusal(kind: str, path: Path) -> List[Optional[str]]:
    """The exception (class name, message, path) reading ``path`` as a key file (``kind`` "key")
    or a revocation list ("list") raises, in a child process that must finish within 20 s."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _REFUSAL, kind, str(path), str(DEMO_KEY)],
            capture_output=True, text=True, timeout=20,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path} as a {kind} file still runs after 20 s: it hangs")
    assert done.returncode == 0, done.stderr
    got: Optional[List[Optional[str]]] = json.loads(done.stdout)
    assert got is not None, f"{path} was read as a {kind} file"
    return got


@pytest.mark.parametrize(("kind", "error", "what"), [
    ("key", "KeyFileError", "the key file"),
    ("list", "ListFileError", "the revocation list"),
])
def test_only_regular_files_are_read(tmp_path: Path, kind: str, error: str, what: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    name, message, path = _refusal(kind, fifo)
    assert name == error and path == str(fifo)
    assert message == f"{what} {fifo} could not be read: it is not a regular file (a FIFO); licet reads regular files only"
    name, message, path = _refusal(kind, Path("/dev/zero"))
    assert name == error and path == "/dev/zero"
    assert "it is not a regular file" in str(message)
    name, message, path = _refusal(kind, tmp_path)
    assert name == error and path == str(tmp_path)
    assert "it is not a regular file (a directory)" in str(message)


def test_files_over_the_limits_are_refused(tmp_path: Path, demo_license: bytes) -> None:
    # A key file: at most 1 MiB (a real key padded with newlines, so only the size is wrong).
    pem = DEMO_KEY.read_bytes()
    exact = tmp_path / "exact.pem"
    exact.write_bytes(pem + b"\n" * (1024 * 1024 - len(pem)))
    assert len(licet.TrustedKeys.from_file(exact)) == 1
    big = tmp_path / "big.pem"
    big.write_bytes(pem + b"\n" * (1024 * 1024 + 1 - len(pem)))
    with pytest.raises(licet.KeyFileError, match=f"the key file {big} is larger than 1048576 bytes") as caught:
        licet.TrustedKeys.from_file(big)
    assert caught.value.path == str(big)
    # A revocation list: at most MAX_REVOCATION_LIST_BYTES (8 MiB).
    keys = licet.TrustedKeys.from_file(CORPUS / "keys" / "ed25519.pub.pem")
    big_list = tmp_path / "big.jwt"
    big_list.write_bytes(b"x" * (8 * 1024 * 1024 + 1))
    with pytest.raises(licet.ListFileError, match=f"the revocation list {big_list} is larger than 8388608 bytes") as caught_list:
        licet.check(demo_license, keys, [big_list], at=AT)
    assert caught_list.value.path == str(big_list)
    # Bytes paths name the same file.
    assert len(licet.TrustedKeys.from_file(os.fsencode(DEMO_KEY))) == 1


def test_state_errors(tmp_path: Path, demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    with pytest.raises(licet.StateIOError, match="the state directory") as caught:
        licet.Guard(a_file, demo_keys)
    assert caught.value.path

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "state.json").write_text("{")
    with pytest.raises(licet.StateCorruptError, match="is corrupt.*does not reset it") as caught:
        licet.Guard(corrupt, demo_keys)
    assert caught.value.path == str(corrupt / "state.json")

    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "state.json").write_text('{"version": 99}')
    with pytest.raises(licet.StateVersionError, match="format version 99, newer than this licet reads"):
        licet.Guard(newer, demo_keys)

    # A state that goes bad after the guard opened it: the check raises, no verdict.
    good = tmp_path / "good"
    guard = licet.Guard(good, demo_keys)
    assert guard.check(demo_license, at=AT).valid
    (good / "state.json").write_text("[]")
    with pytest.raises(licet.StateCorruptError):
        guard.check(demo_license, at=AT)

    with pytest.raises(licet.OptionsError, match="lock_timeout"):
        licet.Guard(tmp_path / "t", demo_keys, lock_timeout=-1)
    with pytest.raises(TypeError, match="lock_timeout"):
        licet.Guard(tmp_path / "t", demo_keys, lock_timeout="5")  # type: ignore[arg-type]


def test_a_busy_state_times_out(tmp_path: Path, demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    guard = licet.Guard(tmp_path, demo_keys, lock_timeout=0.2)
    with open(tmp_path / "state.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(licet.StateBusyError, match="locked by another check") as caught:
            guard.check(demo_license, at=AT)
        assert caught.value.path == str(tmp_path / "state.lock")
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert guard.check(demo_license, at=AT).valid


def test_a_linked_lock_file_is_refused(tmp_path: Path, demo_keys: licet.TrustedKeys, demo_license: bytes) -> None:
    guard = licet.Guard(tmp_path / "state", demo_keys)
    os.symlink(tmp_path / "elsewhere", tmp_path / "state" / "state.lock")
    with pytest.raises(licet.StateIOError, match="symbolic link"):
        guard.check(demo_license, at=AT)
    assert not (tmp_path / "elsewhere").exists()
