"""The exceptions of licet: usage errors only.

A "no" verdict (EXPIRED, BAD_SIGNATURE, REVOKED, CLOCK_ROLLBACK, a refused revocation list, ...)
is never an exception: it is a :class:`licet.Report` whose ``valid``/``passed`` is false. These
exceptions say that a check could not be made as asked: a key file that holds no usable key, a
malformed machine id, an option out of range, a state directory that cannot be used.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
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


class LicetError(Exception):
    """The base class of every licet exception.

    ``path`` names the file or directory concerned, when there is one.
    """

    path: Optional[str]

    def __init__(self, message: str, path: Optional[str] = None) -> None:
        super().__init__(message)
        self.path = path


class KeyFileError(LicetError, ValueError):
    """Trusted keys could not be loaded: the file is missing or unreadable, not a regular file
    (a directory, a FIFO, a device: never waited on or read) or larger than 1 MiB, or it holds no
    usable public key (a private key, a certificate, a damaged PEM block, an RSA key under 2048
    bits, ...). Nothing of that input was added."""


class ListFileError(LicetError, ValueError):
    """A revocation list given as a path could not be read: missing or unreadable, not a
    regular file (a directory, a FIFO, a device) or larger than 8 MiB
    (``MAX_REVOCATION_LIST_BYTES``). (A list that was read but refused,
    for example with a bad signature, is not an error: its status is in ``Report.lists``.)"""


class MachineIdError(LicetError, ValueError):
    """A machine id is not 64 hexadecimal characters, or this machine's id could not be read."""


class OptionsError(LicetError, ValueError):
    """An option is out of range or contradictory: a naive ``datetime`` for ``at``, a negative
    leeway, ``machine`` given together with ``check_machine=False``, ..."""


class StateError(LicetError):
    """The state directory of a :class:`licet.Guard` cannot be used. The verdict of a check is
    never a ``StateError``; this says no check was made."""


class StateIOError(StateError):
    """The state directory or a file in it could not be created, read or written (permissions,
    a symbolic link where the lock file should be, a full disk, ...)."""


class StateCorruptError(StateError):
    """The state file is not what licet writes. licet does not reset it, since that would forget
    what it guards: restore it from a backup, or remove it knowingly."""


class StateVersionError(StateError):
    """The state was written by a newer licet, in a format this one does not read."""


class StateBusyError(StateError, TimeoutError):
    """Another check held the state's lock for longer than ``lock_timeout``."""
