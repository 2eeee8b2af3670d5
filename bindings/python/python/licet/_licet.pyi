"""Type stubs of licet._licet, the native module (private: use the package ``licet``)."""

from datetime import datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union, final

__all__ = [
    "DEFAULT_CLOCK_TOLERANCE",
    "DEFAULT_LOCK_TIMEOUT",
    "Guard",
    "LeaseReport",
    "MAX_KEY_FILE_BYTES",
    "MAX_LICENSE_FILE_BYTES",
    "MAX_REVOCATION_LIST_BYTES",
    "MAX_UNIX_TIME",
    "Report",
    "TrustedKeys",
    "__version__",
    "check",
    "check_lease",
    "machine_id",
    "read_key_file",
    "read_list_file",
]

__version__: str
DEFAULT_CLOCK_TOLERANCE: int
DEFAULT_LOCK_TIMEOUT: float
MAX_KEY_FILE_BYTES: int
MAX_LICENSE_FILE_BYTES: int
MAX_REVOCATION_LIST_BYTES: int
MAX_UNIX_TIME: int

@final
class TrustedKeys:
    def __new__(cls) -> "TrustedKeys": ...
    def add(self, data: bytes, source: Optional[str] = None) -> int: ...
    def add_rollover(self, data: bytes, source: Optional[str] = None) -> bool: ...
    def __len__(self) -> int: ...
    def kids(self) -> List[str]: ...

@final
class Report:
    @property
    def status(self) -> str: ...
    @property
    def valid(self) -> bool: ...
    @property
    def passed(self) -> bool: ...
    @property
    def reason(self) -> str: ...
    @property
    def kid(self) -> Optional[str]: ...
    @property
    def alg(self) -> Optional[str]: ...
    @property
    def verified(self) -> bool: ...
    def claims(self) -> Optional[Dict[str, Any]]: ...
    def features(self) -> Optional[Dict[str, Any]]: ...
    @property
    def license_id(self) -> Optional[str]: ...
    @property
    def customer_id(self) -> Optional[str]: ...
    @property
    def product(self) -> Optional[str]: ...
    @property
    def license_type(self) -> Optional[str]: ...
    @property
    def issuer(self) -> Optional[str]: ...
    @property
    def issued_at(self) -> Optional[int]: ...
    @property
    def not_before(self) -> Optional[int]: ...
    @property
    def expires_at(self) -> Optional[int]: ...
    @property
    def entitlement_expires_at(self) -> Optional[int]: ...
    @property
    def grace_days(self) -> Optional[int]: ...
    @property
    def machine_ids(self) -> Optional[List[str]]: ...
    @property
    def license_key(self) -> Optional[str]: ...
    @property
    def owner_name(self) -> Optional[str]: ...
    @property
    def owner_email(self) -> Optional[str]: ...
    @property
    def lists(
        self,
    ) -> List[
        Tuple[str, str, str, Optional[str], Optional[int], Optional[int], Optional[int]]
    ]: ...
    @property
    def lists_enforced(self) -> int: ...
    def to_json(self) -> str: ...

@final
class Guard:
    def __new__(
        cls,
        state_dir: Union[str, bytes],
        keys: TrustedKeys,
        clock_tolerance: Union[int, timedelta],
        lock_timeout: float,
    ) -> "Guard": ...
    @property
    def state_dir(self) -> Path: ...
    # The arguments as licet.Guard.check takes them, checked here; lists: see check.
    def check(
        self,
        license: Union[bytes, bytearray, memoryview, str],
        lists: object,
        at: Optional[datetime],
        leeway: Union[int, timedelta],
        machine: Optional[str],
        check_machine: bool,
        product: Optional[str],
    ) -> Report: ...

# The arguments as licet.check takes them, checked here; keys is a licet.TrustedKeys (the caller
# checks that), lists None, () or [] (none), else anything licet._lists converts.
def check(
    license: Union[bytes, bytearray, memoryview, str],
    keys: object,
    lists: object,
    at: Optional[datetime],
    leeway: Union[int, timedelta],
    clock_tolerance: Union[int, timedelta],
    machine: Optional[str],
    check_machine: bool,
    product: Optional[str],
) -> Report: ...
def machine_id() -> str: ...
def read_key_file(path: Union[str, PathLike[str]]) -> bytes: ...
def read_list_file(path: Union[str, PathLike[str]]) -> bytes: ...

@final
class LeaseReport:
    @property
    def status(self) -> str: ...
    @property
    def valid(self) -> bool: ...
    @property
    def passed(self) -> bool: ...
    @property
    def reason(self) -> str: ...
    @property
    def part(self) -> Optional[str]: ...
    @property
    def lease_id(self) -> Optional[str]: ...
    @property
    def machine_id(self) -> Optional[str]: ...
    @property
    def pool_license_id(self) -> Optional[str]: ...
    @property
    def issued_at(self) -> Optional[int]: ...
    @property
    def expires_at(self) -> Optional[int]: ...
    def pool(self) -> Report: ...
    def to_json(self) -> str: ...

def check_lease(
    lease: Any,
    pool: Any,
    keys: Any,
    lists: Any,
    at: Optional[datetime],
    leeway: Union[int, timedelta],
    clock_tolerance: Union[int, timedelta],
    machine: Optional[str],
    check_machine: bool,
) -> LeaseReport: ...
