"""Hidden ``.partial`` result folders name their owner, so that stale ones can be removed.

A run writes into ``.NAME-PID.START.HOST-XXXXXXXX.partial`` (next to its final place, so
that the final rename stays atomic on one file system): ``PID`` is the writing process,
``START`` its start time (``/proc/PID/stat``, clock ticks since boot; 0 where unknown)
and ``HOST`` the first 8 hex digits of the SHA-1 of the host name. A partial folder is
**stale** when it was written on this host and its owner is gone: no process ``PID``,
or a process ``PID`` started at another time (the number was reused). Partial folders of
another host are kept (their owner cannot be checked from here). Older names
``.NAME-PID-XXXXXXXX.partial`` are judged by the PID alone, and only by ``dendrite clean``.

Every run removes the stale partial folders of the folder it writes into before it
starts, as do a sweep (its results folder) and ``dendrite clean``.

Files written whole and then renamed into place (a sweep's point files, its table) are
written as ``.NAME.PID.START.HOST.tmp`` (:func:`temporary_name`), judged the same way
(:func:`remove_stale_temporaries`); older names ``.NAME.tmp`` and ``.NAME.PID.tmp`` are
stale when no process ``PID`` runs.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import socket
from pathlib import Path

__all__ = ["partial_prefix", "is_stale", "remove_stale_partials", "temporary_name", "remove_stale_temporaries"]

_OWNED = re.compile(r"-(\d+)\.(\d+)\.([0-9a-f]{8})-[^-]*\.partial$")
_LEGACY = re.compile(r"-(\d+)-[^-]*\.partial$")
_OWNED_FILE = re.compile(r"\.(\d+)\.(\d+)\.([0-9a-f]{8})\.tmp$")
_LEGACY_FILE = re.compile(r"\.(\d+)\.tmp$")


@functools.cache
def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def _start_time(pid: int | str) -> int | None:
    """Start of process ``pid`` in clock ticks since boot (``/proc``); None if no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[19])  # field 22; the name in (...) may hold spaces


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        pass
    return True


def _owner() -> str:
    """``PID.START.HOST`` of this process."""
    start = _start_time("self") if Path("/proc/self/stat").exists() else 0
    return f"{os.getpid()}.{start or 0}.{_host()}"


def partial_prefix(name: str) -> str:
    """``.NAME-PID.START.HOST-``: the prefix of this process's partial folders."""
    return f".{name}-{_owner()}-"


def temporary_name(name: str) -> str:
    """``.NAME.PID.START.HOST.tmp``: this process's hidden temporary file for ``NAME``."""
    return f".{name}.{_owner()}.tmp"


def _owner_gone(pid: int, start: int, host: str) -> bool:
    if host != _host():
        return False
    if not _pid_alive(pid):
        return True
    now = _start_time(pid)
    return now is None or bool(start and now and now != start)


def is_stale(path: Path, legacy: bool = True) -> bool:
    """True when the owner of the partial folder ``path`` is known to be gone (see the module).

    ``legacy=False``: a folder with an old name (no start time, no host) is never stale:
    it may come from another host sharing the file system, still writing."""
    owned = _OWNED.search(path.name)
    if owned:
        return _owner_gone(int(owned.group(1)), int(owned.group(2)), owned.group(3))
    if not legacy:
        return False
    old = _LEGACY.search(path.name)
    return not (old and _pid_alive(int(old.group(1))))


def _stale_file(path: Path) -> bool:
    owned = _OWNED_FILE.search(path.name)
    if owned:
        return _owner_gone(int(owned.group(1)), int(owned.group(2)), owned.group(3))
    old = _LEGACY_FILE.search(path.name)
    return not (old and _pid_alive(int(old.group(1))))


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Remove the hidden temporary files ``.*.tmp`` in ``folder`` whose owner is gone (a
    process killed while it wrote them); returns the removed paths."""
    removed = []
    for path in sorted(Path(folder).glob(".*.tmp")):
        if path.is_file() and not path.is_symlink() and _stale_file(path):
            try:
                path.unlink()
            except FileNotFoundError:  # its owner renamed it after all
                continue
            removed.append(path)
    return removed


def remove_stale_partials(parent: str | Path) -> list[Path]:
    """Remove the stale ``.*.partial`` folders in ``parent`` that name their owner (old
    names are left to ``dendrite clean``); returns the removed paths."""
    parent = Path(parent)
    if not parent.is_dir():
        return []
    removed = []
    for path in sorted(parent.glob(".*.partial")):
        if is_stale(path, legacy=False):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
