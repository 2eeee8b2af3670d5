"""licet: offline verification of licet license files, for Python.

The Rust verifier (``licet-verifier``) in a native module: the signature (EdDSA, RS256, PS256,
the algorithm pinned by the trusted key), expiry and grace period, not-before, product, machine
binding, revocation lists and, with a :class:`Guard`, the clock-rollback guard and lists that
stick. Entirely offline.

>>> from datetime import datetime, timezone
>>> import licet
>>> keys = licet.TrustedKeys.from_file("keys/demo-ed25519.pub.pem")       # doctest: +SKIP
>>> report = licet.verify(open("demo.lic", "rb").read(), keys,
...                       at=datetime(2026, 6, 1, tzinfo=timezone.utc))     # doctest: +SKIP
>>> report.status, report.valid                                           # doctest: +SKIP
(<Status.ACTIVE: 'ACTIVE'>, True)

A "no" verdict is a report, never an exception; the exceptions (:class:`LicetError` and its
subclasses) are for usage errors. Every function and class is thread-safe, and verification
releases the GIL: threads that share one :class:`TrustedKeys` verify in parallel.
"""

from __future__ import annotations

import enum
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
)

from . import _licet
from ._errors import (
    KeyFileError,
    LicetError,
    ListFileError,
    MachineIdError,
    OptionsError,
    StateBusyError,
    StateCorruptError,
    StateError,
    StateIOError,
    StateVersionError,
)

__all__ = [
    "__version__",
    "version",
    "machine_id",
    "TrustedKeys",
    "verify",
    "check",
    "verify_lease",
    "check_lease",
    "LeaseReport",
    "Guard",
    "Report",
    "ListReport",
    "Status",
    "ListStatus",
    "DEFAULT_CLOCK_TOLERANCE",
    "DEFAULT_LOCK_TIMEOUT",
    "LicetError",
    "KeyFileError",
    "ListFileError",
    "MachineIdError",
    "OptionsError",
    "StateError",
    "StateIOError",
    "StateCorruptError",
    "StateVersionError",
    "StateBusyError",
]

# The check itself: it takes every argument as the caller gave it and checks it natively, with
# the messages documented here (one native call is the whole per-call work of licet.verify).
_native_check = _licet.check
_native_check_lease = _licet.check_lease

#: The version of licet (the Rust workspace's), e.g. ``"0.1.0"``.
__version__: str = _licet.__version__

#: The default clock tolerance, in seconds (one hour).
DEFAULT_CLOCK_TOLERANCE: int = _licet.DEFAULT_CLOCK_TOLERANCE

#: How long a :class:`Guard` waits for the state's lock by default, in seconds.
DEFAULT_LOCK_TIMEOUT: float = _licet.DEFAULT_LOCK_TIMEOUT

StrPath = Union[str, "os.PathLike[str]"]
#: License contents: the file's bytes, or its text.
LicenseData = Union[bytes, bytearray, memoryview, str]
#: A revocation list: a path to read, or ``(source, contents)``.
ListInput = Union[StrPath, Tuple[str, LicenseData]]
#: The revocation lists of a check: in order, or a mapping of source name to contents.
Lists = Union[Iterable[ListInput], Mapping[str, LicenseData]]


def version() -> str:
    """The version of licet (the same as ``licet.__version__``)."""
    return __version__


def machine_id() -> str:
    """This machine's id: 64 lowercase hex characters (the SHA-256 of the operating system's
    machine identifier), as ``licet machine-id`` prints it.

    :raises MachineIdError: when no machine identifier can be read here.
    """
    return _licet.machine_id()


class Status(str, enum.Enum):
    """The verdict on a license. The member names (and values) are the status names of every
    licet verifier (``licet verify --json``). ``UNKNOWN`` stands for a status this version of
    the package does not know yet (a newer native library); ``Report.status_name`` has its
    name."""

    ACTIVE = "ACTIVE"
    IN_GRACE = "IN_GRACE"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    MACHINE_MISMATCH = "MACHINE_MISMATCH"
    WRONG_PRODUCT = "WRONG_PRODUCT"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    UNSUPPORTED_ALGORITHM = "UNSUPPORTED_ALGORITHM"
    MALFORMED = "MALFORMED"
    REVOKED = "REVOKED"
    CLOCK_ROLLBACK = "CLOCK_ROLLBACK"
    #: A lease check only: the lease is a seat of another pool, or the pool license given is not
    #: of type POOL.
    WRONG_POOL = "WRONG_POOL"
    #: A lease check only: the lease lives longer than the pool's ``max_lease_ttl``.
    LEASE_TOO_LONG = "LEASE_TOO_LONG"
    #: Signed by a key a rollover statement retired, on or after the retirement date.
    KEY_RETIRED = "KEY_RETIRED"
    #: Signed by a revoked key (from a date on or before the license's ``iat``), or by a key
    #: trusted through a rollover that a revoked key signed.
    KEY_REVOKED = "KEY_REVOKED"
    UNKNOWN = "UNKNOWN"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def from_name(cls, name: str) -> "Status":
        """The member named ``name``; ``UNKNOWN`` for a name this version does not know."""
        return _STATUSES.get(name, cls.UNKNOWN)


class ListStatus(str, enum.Enum):
    """The verdict on one revocation list given to a check. ``UNKNOWN`` stands for a status this
    version of the package does not know yet; ``ListReport.status_name`` has its name."""

    ACCEPTED = "ACCEPTED"
    OLDER_THAN_SEEN = "OLDER_THAN_SEEN"
    DATED_AHEAD = "DATED_AHEAD"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    UNSUPPORTED_ALGORITHM = "UNSUPPORTED_ALGORITHM"
    MALFORMED = "MALFORMED"
    #: It revokes a signing key it has no say over: refused, not recorded.
    NOT_AUTHORIZED = "NOT_AUTHORIZED"
    UNKNOWN = "UNKNOWN"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def from_name(cls, name: str) -> "ListStatus":
        """The member named ``name``; ``UNKNOWN`` for a name this version does not know."""
        return _LIST_STATUSES.get(name, cls.UNKNOWN)


# UNKNOWN itself is not a status the verifier reports: a native "UNKNOWN" would be unknown too.
_STATUSES: Dict[str, Status] = {s.value: s for s in Status if s is not Status.UNKNOWN}
_UNKNOWN_STATUS = Status.UNKNOWN
_LIST_STATUSES: Dict[str, ListStatus] = {
    s.value: s for s in ListStatus if s is not ListStatus.UNKNOWN
}


def _utc(secs: Optional[int]) -> Optional[datetime]:
    return None if secs is None else datetime.fromtimestamp(secs, tz=timezone.utc)


def _read(path: StrPath, what: str, reader: Callable[[str], bytes]) -> Tuple[str, bytes]:
    """The name and contents of the file ``path``, read by the native ``reader``: a regular
    file only (a FIFO or a device is refused, never waited on or read without end), of at most
    that kind's size; its error (``KeyFileError``, ``ListFileError``) names the file."""
    try:
        name = os.fspath(path)
    except TypeError:
        raise TypeError(f"{what}: expected a path (str or os.PathLike), got {type(path).__name__}") from None
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return name, reader(name)


def _data(value: Any, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes or str (the contents), not {type(value).__name__}")


class TrustedKeys:
    """The public keys a verifier trusts: PEM (one or more ``PUBLIC KEY`` blocks), a JWK or a
    JWKS, from one or more sources, which add up.

    Thread-safe: one set may be shared by every thread. Adding keys while other threads verify is
    safe; a verification uses the keys as they were when it started.
    """

    __slots__ = ("_native",)

    def __init__(self) -> None:
        """An empty set (every license is then UNKNOWN_KEY); see :meth:`from_file`,
        :meth:`from_bytes`, :meth:`from_str`."""
        self._native = _licet.TrustedKeys()

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview, str]) -> "TrustedKeys":
        """The keys in ``data``, the contents of a key file.

        :raises KeyFileError: when it holds no usable public key.
        """
        keys = cls()
        keys.add(data)
        return keys

    @classmethod
    def from_str(cls, text: str) -> "TrustedKeys":
        """The keys in ``text`` (PEM, JWK or JWKS text). :raises KeyFileError: as ``from_bytes``."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        return cls.from_bytes(text)

    @classmethod
    def from_file(cls, path: StrPath, *more: StrPath) -> "TrustedKeys":
        """The keys in one or more key files, all trusted.

        :raises KeyFileError: when a file cannot be read (missing, unreadable, not a regular
            file: a directory, a FIFO, a device; larger than 1 MiB) or holds no usable public
            key (the exception's ``path`` names it).
        """
        keys = cls()
        for p in (path, *more):
            keys.add_file(p)
        return keys

    def add(self, data: Union[bytes, bytearray, memoryview, str]) -> int:
        """Adds the keys in ``data`` and returns how many. Nothing is added when any part of it
        is not a usable key.

        :raises KeyFileError: when it holds no usable public key.
        """
        return self._native.add(_data(data, "key data"))

    def add_file(self, path: StrPath) -> int:
        """Adds the keys in the key file ``path`` and returns how many.

        :raises KeyFileError: when the file cannot be read (as :meth:`from_file`) or holds no
            usable public key.
        """
        name, data = _read(path, "key file", _licet.read_key_file)
        return self._native.add(data, name)

    def add_rollover(self, data: Union[bytes, bytearray, memoryview, str]) -> bool:
        """Adds the new key that a key rollover statement (``licet key rollover``) introduces,
        when a key of this set signed it, and returns whether that key was trusted already.
        From then on licenses of the new key verify, and licenses the old key signs from its
        retirement date are ``KEY_RETIRED``. Add statements in the order they chain.

        :raises KeyFileError: when the statement is refused (no key of the set signed it, a bad
            signature, signed after the old key was retired, ...); nothing changes.
        """
        return self._native.add_rollover(_data(data, "rollover statement"))

    def add_rollover_file(self, path: StrPath) -> bool:
        """:meth:`add_rollover` with the statement in the file ``path``.

        :raises KeyFileError: when the file cannot be read or the statement is refused (the
            exception's ``path`` names the file).
        """
        name, data = _read(path, "rollover statement", _licet.read_key_file)
        return self._native.add_rollover(data, name)

    @property
    def kids(self) -> List[str]:
        """The RFC 7638 thumbprints of the keys (the ``kid`` of what they sign), in order."""
        return self._native.kids()

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        return f"<licet.TrustedKeys: {len(self)} key(s)>"


@dataclass(frozen=True)
class ListReport:
    """One revocation list given to a check, and its verdict."""

    #: Where it came from, as given (a path, or the source name of a ``(source, data)`` pair).
    source: str
    #: The verdict.
    status: ListStatus
    #: The verdict's name, as the native library gave it (also for ``ListStatus.UNKNOWN``).
    status_name: str
    #: Why, in a sentence.
    reason: str
    #: The key that signed it, when it verified.
    kid: Optional[str]
    #: Its sequence number, when it verified.
    seq: Optional[int]
    #: When it was issued (UTC), when it verified.
    issued_at: Optional[datetime]
    #: How many licenses it revokes, when it verified.
    entries: Optional[int]

    @property
    def accepted(self) -> bool:
        """Whether the list was verified and applied."""
        return self.status is ListStatus.ACCEPTED


class Report:
    """The verdict of a check: the license's status, and each revocation list's.

    The claim properties (``license_id``, ``expires_at``, ...) and :attr:`claims` are ``None``
    unless the signature verified with a trusted key; they are set whatever the status (an
    EXPIRED or REVOKED license is still a verified one). Times are timezone-aware ``datetime``
    objects in UTC.
    """

    # The native report makes each field when it is read: the claims dict on the first read of
    # claims or features (and a new copy of it on each), the datetimes and lists when asked for.
    __slots__ = ("_native", "_lists")

    def __init__(self, native: "_licet.Report") -> None:
        self._native = native
        self._lists: Optional[Tuple[ListReport, ...]] = None

    @property
    def status(self) -> Status:
        """The license's status (``Status.UNKNOWN`` for one this version does not know)."""
        return _STATUSES.get(self._native.status, _UNKNOWN_STATUS)

    @property
    def status_name(self) -> str:
        """The status's name, as the native library gave it (also for ``Status.UNKNOWN``)."""
        return self._native.status

    @property
    def valid(self) -> bool:
        """True for ACTIVE and IN_GRACE: the license may be used."""
        return self._native.valid

    @property
    def passed(self) -> bool:
        """Valid, and every revocation list given was accepted (what ``licet verify`` exits 0
        on): a refused list is worth noticing even when the license is fine."""
        return self._native.passed

    @property
    def reason(self) -> str:
        """Why, in a sentence a person can act on."""
        return self._native.reason

    @property
    def kid(self) -> Optional[str]:
        """The thumbprint of the key that verified the signature, or else the token's ``kid``."""
        return self._native.kid

    @property
    def alg(self) -> Optional[str]:
        """The token's algorithm (``EdDSA``, ``RS256``, ``PS256``), if it is one licet accepts."""
        return self._native.alg

    @property
    def verified(self) -> bool:
        """Whether the signature verified with a trusted key (whatever the status)."""
        return self._native.verified

    @property
    def claims(self) -> Optional[Dict[str, Any]]:
        """Every claim of the license (``jti``, ``sub``, ``iat``, ``exp``, ``features``, ...) as
        a dict with the JSON names and values (times in Unix seconds); ``None`` unless the
        signature verified. A new dict on each access: changing it changes nothing else."""
        return self._native.claims()

    @property
    def license_id(self) -> Optional[str]:
        """``jti``."""
        return self._native.license_id

    @property
    def customer_id(self) -> Optional[str]:
        """``sub``."""
        return self._native.customer_id

    @property
    def product(self) -> Optional[str]:
        """``aud``: the product the license is for, if it names one."""
        return self._native.product

    @property
    def license_type(self) -> Optional[str]:
        """``license_type`` (``STANDARD`` when the license has none)."""
        return self._native.license_type

    @property
    def issuer(self) -> Optional[str]:
        """``iss``."""
        return self._native.issuer

    @property
    def issued_at(self) -> Optional[datetime]:
        """``iat``, UTC."""
        return _utc(self._native.issued_at)

    @property
    def not_before(self) -> Optional[datetime]:
        """``nbf``, UTC, if set."""
        return _utc(self._native.not_before)

    @property
    def expires_at(self) -> Optional[datetime]:
        """``exp``, UTC; ``None`` for a perpetual license."""
        return _utc(self._native.expires_at)

    @property
    def entitlement_expires_at(self) -> Optional[datetime]:
        """``entitlement_exp``, UTC: when the entitlement behind a seat file ends, if stated."""
        return _utc(self._native.entitlement_expires_at)

    @property
    def grace_days(self) -> Optional[int]:
        """``grace_days``: days after expiry in which the license is IN_GRACE."""
        return self._native.grace_days

    @property
    def features(self) -> Optional[Dict[str, Any]]:
        """``features``: the entitlements, a dict, if the license has them (a new dict on each
        access, as :attr:`claims`)."""
        return self._native.features()

    @property
    def machine_ids(self) -> Optional[List[str]]:
        """``machine_ids``: the machines a node-locked license is bound to; ``None`` if it is
        not node-locked."""
        return self._native.machine_ids

    @property
    def license_key(self) -> Optional[str]:
        """``license_key``."""
        return self._native.license_key

    @property
    def owner_name(self) -> Optional[str]:
        """``owner_name``."""
        return self._native.owner_name

    @property
    def owner_email(self) -> Optional[str]:
        """``owner_email``."""
        return self._native.owner_email

    @property
    def lists(self) -> Tuple[ListReport, ...]:
        """Each revocation list given, in order, with its own verdict."""
        if self._lists is None:
            self._lists = tuple(
                ListReport(
                    source=source,
                    status=_LIST_STATUSES.get(status, ListStatus.UNKNOWN),
                    status_name=status,
                    reason=reason,
                    kid=kid,
                    seq=seq,
                    issued_at=_utc(issued_at),
                    entries=entries,
                )
                for source, status, reason, kid, seq, issued_at, entries in self._native.lists
            )
        return self._lists

    @property
    def lists_enforced(self) -> int:
        """How many revocation lists the license was checked against: those given and accepted
        and, with a :class:`Guard`, every list the state kept from earlier checks."""
        return self._native.lists_enforced

    def to_json(self) -> str:
        """The report as ``licet verify --json`` prints it (one JSON object)."""
        return self._native.to_json()

    def to_dict(self) -> Dict[str, Any]:
        """:meth:`to_json`, parsed."""
        parsed: Dict[str, Any] = json.loads(self.to_json())
        return parsed

    def __repr__(self) -> str:
        parts = [f"status={self.status_name}", f"valid={self.valid}"]
        if self.lists:
            parts.append(f"passed={self.passed}")
        if self.verified:
            parts.append(f"license_id={self.license_id!r}")
            parts.append(f"customer_id={self.customer_id!r}")
            expires = self.expires_at
            parts.append(f"expires_at={expires.isoformat() if expires else None}")
        parts.append(f"reason={self.reason!r}")
        return f"<licet.Report {' '.join(parts)}>"


def _lists(lists: Optional[Lists]) -> List[Tuple[str, bytes]]:
    """The revocation lists of a check as (source, contents), the files read. The native check
    calls this for a ``lists`` argument other than ``None``, ``()`` or ``[]``, after it converted
    the license (so of two bad arguments the first in the signature is reported)."""
    if lists is None:
        return []
    if isinstance(lists, (str, bytes, bytearray, memoryview, os.PathLike)):
        raise TypeError(
            "lists must be a list of revocation lists (paths, or (source, contents) pairs) "
            "or a mapping of source to contents, not a single value: wrap it in a list"
        )
    if isinstance(lists, Mapping):
        return [(str(source), _data(data, f"revocation list {source}")) for source, data in lists.items()]
    out: List[Tuple[str, bytes]] = []
    for item in lists:
        if isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[0], str):
                raise TypeError("a revocation list given as a tuple must be (source: str, contents)")
            out.append((item[0], _data(item[1], f"revocation list {item[0]}")))
        else:
            out.append(_read(item, "revocation list", _licet.read_list_file))
    return out


def verify(
    license: LicenseData,
    keys: TrustedKeys,
    *,
    at: Optional[datetime] = None,
    leeway: Union[int, timedelta] = 0,
    clock_tolerance: Union[int, timedelta] = DEFAULT_CLOCK_TOLERANCE,
    machine: Optional[str] = None,
    check_machine: bool = True,
    product: Optional[str] = None,
) -> Report:
    """Verifies a license file's contents against the trusted keys. Never raises for a verdict:
    a bad signature, an expired license and every other "no" are in the report.

    :param license: the license file's contents (bytes, or its text).
    :param at: the evaluation time, a timezone-aware ``datetime``; ``None`` (default): now.
    :param leeway: clock skew tolerated on ``nbf`` and ``exp`` (seconds or a timedelta).
    :param clock_tolerance: how far the clock may be behind the license's ``iat`` before the
        check says CLOCK_ROLLBACK (seconds or a timedelta; default one hour).
    :param machine: the machine id (64 hex) a node-locked license is checked against;
        ``None``: this machine (read only when the license is node-locked).
    :param check_machine: ``False`` to check no machine binding (audits on another machine);
        then ``machine`` must be ``None``.
    :param product: if given, the license must be issued for this product (``aud``).
    :raises OptionsError: an option out of range (a naive ``at``, a negative leeway, ...).
    :raises MachineIdError: ``machine`` is not 64 hexadecimal characters.
    """
    # The native call checks and converts every other argument itself (see _licet.check).
    if not isinstance(keys, TrustedKeys):
        raise TypeError(f"keys must be a licet.TrustedKeys, not {type(keys).__name__}")
    return Report(
        _native_check(license, keys, (), at, leeway, clock_tolerance, machine, check_machine, product)
    )


def check(
    license: LicenseData,
    keys: TrustedKeys,
    lists: Optional[Lists] = (),
    *,
    at: Optional[datetime] = None,
    leeway: Union[int, timedelta] = 0,
    clock_tolerance: Union[int, timedelta] = DEFAULT_CLOCK_TOLERANCE,
    machine: Optional[str] = None,
    check_machine: bool = True,
    product: Optional[str] = None,
) -> Report:
    """:func:`verify` with revocation lists, without a state: each list is verified (one dated
    ahead of ``at`` by more than ``clock_tolerance`` is refused), the accepted ones are applied,
    and each list's verdict is in ``Report.lists``. ``Report.passed`` is false when a list was
    refused.

    :param lists: the revocation lists, in order: paths to read, ``(source, contents)`` pairs,
        or a mapping of source name to contents.
    :raises ListFileError: a list given as a path cannot be read (missing, unreadable, not a
        regular file, larger than 8 MiB).

    The other parameters and exceptions are those of :func:`verify`.
    """
    if not isinstance(keys, TrustedKeys):
        raise TypeError(f"keys must be a licet.TrustedKeys, not {type(keys).__name__}")
    return Report(
        _native_check(license, keys, lists, at, leeway, clock_tolerance, machine, check_machine, product)
    )



class Guard:
    """The stateful check: a state directory that remembers the latest trustworthy time seen
    (so a clock set back is CLOCK_ROLLBACK) and every revocation list accepted (so a revocation
    sticks when the list is later left out, and an older list cannot replace a newer one).

    Each :meth:`check` takes the state's lock (waiting at most ``lock_timeout``), loads the
    state, checks, records and saves atomically. Several threads, processes or guards may share
    one state directory. The guard keeps the keys it was opened with (a snapshot).

    :param state_dir: the state directory (created, 0700, if missing).
    :param keys: the trusted keys.
    :param clock_tolerance: how far behind the latest trustworthy time the clock may be, and how
        far ahead a revocation list may be dated (seconds or a timedelta; default one hour).
    :param lock_timeout: how long a check waits for another one holding the lock (seconds or a
        timedelta; default 5 s), then raises :class:`StateBusyError`.
    :raises StateError: the state cannot be used (I/O, corrupt, of a newer format).
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        state_dir: StrPath,
        keys: TrustedKeys,
        *,
        clock_tolerance: Union[int, timedelta] = DEFAULT_CLOCK_TOLERANCE,
        lock_timeout: Union[float, timedelta] = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        if not isinstance(keys, TrustedKeys):
            raise TypeError(f"keys must be a licet.TrustedKeys, not {type(keys).__name__}")
        if isinstance(lock_timeout, timedelta):
            timeout = lock_timeout.total_seconds()
        elif isinstance(lock_timeout, (int, float)) and not isinstance(lock_timeout, bool):
            timeout = float(lock_timeout)
        else:
            raise TypeError(f"lock_timeout must be seconds or a timedelta, not {type(lock_timeout).__name__}")
        if not 0 <= timeout < 1e9:
            raise OptionsError(f"lock_timeout must be 0 or more seconds; got {lock_timeout!r}")
        self._native = _licet.Guard(os.fspath(state_dir), keys._native, clock_tolerance, timeout)

    @property
    def state_dir(self) -> str:
        """The state directory."""
        return os.fspath(self._native.state_dir)

    def check(
        self,
        license: LicenseData,
        lists: Optional[Lists] = (),
        *,
        at: Optional[datetime] = None,
        leeway: Union[int, timedelta] = 0,
        machine: Optional[str] = None,
        check_machine: bool = True,
        product: Optional[str] = None,
    ) -> Report:
        """Checks a license with the lists given and every list the state kept, and records
        what it saw. The clock tolerance is the guard's. The parameters are those of
        :func:`check`.

        :raises StateError: the state cannot be used (then no check was made): I/O
            (:class:`StateIOError`), corrupt (:class:`StateCorruptError`), newer format
            (:class:`StateVersionError`), locked too long (:class:`StateBusyError`).
        """
        return Report(self._native.check(license, lists, at, leeway, machine, check_machine, product))

    def __repr__(self) -> str:
        return f"<licet.Guard state_dir={self.state_dir!r}>"


class LeaseReport:
    """The verdict on a floating-seat lease (a token from ``licet relay serve``) and on the pool
    license it is a seat of. ``status`` is the pool's when the pool failed (``part == "pool"``),
    else the lease's. The lease fields are ``None`` unless the lease's signature verified with
    the relay key the pool license names."""

    __slots__ = ("_native", "_pool")

    def __init__(self, native: "_licet.LeaseReport") -> None:
        self._native = native
        self._pool: Optional[Report] = None

    @property
    def status(self) -> Status:
        """The verdict (``Status.UNKNOWN`` for one this version does not know)."""
        return _STATUSES.get(self._native.status, _UNKNOWN_STATUS)

    @property
    def status_name(self) -> str:
        """The verdict's name, as the native library gave it."""
        return self._native.status

    @property
    def valid(self) -> bool:
        """Whether the lease may be used: the pool license is valid and the lease ACTIVE."""
        return self._native.valid

    @property
    def passed(self) -> bool:
        """Whether the lease is valid and every revocation list given was accepted."""
        return self._native.passed

    @property
    def reason(self) -> str:
        """Why, in a sentence."""
        return self._native.reason

    @property
    def part(self) -> Optional[str]:
        """``"pool"`` or ``"lease"``: the half that failed; ``None`` when valid."""
        return self._native.part

    @property
    def lease_id(self) -> Optional[str]:
        """The lease's id (``jti``, the same across renewals)."""
        return self._native.lease_id

    @property
    def machine_id(self) -> Optional[str]:
        """The machine the lease is for (64 hex)."""
        return self._native.machine_id

    @property
    def pool_license_id(self) -> Optional[str]:
        """The pool license the lease names (``pool``)."""
        return self._native.pool_license_id

    @property
    def issued_at(self) -> Optional[datetime]:
        """When the relay signed this token (UTC)."""
        return _utc(self._native.issued_at)

    @property
    def expires_at(self) -> Optional[datetime]:
        """When the lease ends unless renewed (UTC)."""
        return _utc(self._native.expires_at)

    @property
    def pool(self) -> Report:
        """The pool license's own verdict, with each revocation list's, as a :class:`Report`."""
        if self._pool is None:
            self._pool = Report(self._native.pool())
        return self._pool

    def to_json(self) -> str:
        """The report as ``licet verify-lease --json`` prints it."""
        return self._native.to_json()

    def __repr__(self) -> str:
        parts = [f"status={self.status_name}"]
        if self.part is not None:
            parts.append(f"part={self.part}")
        if self.lease_id is not None:
            parts.append(f"lease_id={self.lease_id!r}")
        return f"<licet.LeaseReport {' '.join(parts)}>"


def verify_lease(
    lease: LicenseData,
    pool: LicenseData,
    keys: TrustedKeys,
    *,
    at: Optional[datetime] = None,
    leeway: Union[int, timedelta] = 0,
    clock_tolerance: Union[int, timedelta] = DEFAULT_CLOCK_TOLERANCE,
    machine: Optional[str] = None,
    check_machine: bool = True,
) -> LeaseReport:
    """Verifies a lease token (the ``lease`` of the relay's answer) against the pool license it
    is a seat of and the vendor's trusted keys, offline (docs/RELAY.md): the pool license as any
    license except its machine binding (it names the relay's machine), of type POOL; the lease
    signed with EdDSA by the relay key the pool license names (never a key the lease carries),
    naming that pool, no longer than its ``max_lease_ttl``, unexpired, and for this machine (or
    ``machine``). Never raises for a verdict.

    The parameters and exceptions are those of :func:`verify` (there is no ``product``: a pool
    names its product, and a lease is for that pool).
    """
    if not isinstance(keys, TrustedKeys):
        raise TypeError(f"keys must be a licet.TrustedKeys, not {type(keys).__name__}")
    return LeaseReport(
        _native_check_lease(lease, pool, keys, (), at, leeway, clock_tolerance, machine, check_machine)
    )


def check_lease(
    lease: LicenseData,
    pool: LicenseData,
    keys: TrustedKeys,
    lists: Optional[Lists] = (),
    *,
    at: Optional[datetime] = None,
    leeway: Union[int, timedelta] = 0,
    clock_tolerance: Union[int, timedelta] = DEFAULT_CLOCK_TOLERANCE,
    machine: Optional[str] = None,
    check_machine: bool = True,
) -> LeaseReport:
    """:func:`verify_lease` with the vendor's revocation lists, without a state: a revoked pool
    license is REVOKED (``part == "pool"``), and ``LeaseReport.passed`` is false when a list was
    refused. ``lists`` as for :func:`check`."""
    if not isinstance(keys, TrustedKeys):
        raise TypeError(f"keys must be a licet.TrustedKeys, not {type(keys).__name__}")
    return LeaseReport(
        _native_check_lease(lease, pool, keys, lists, at, leeway, clock_tolerance, machine, check_machine)
    )
